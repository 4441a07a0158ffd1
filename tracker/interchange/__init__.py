"""Versioned JSON and CSV export and import of the tracker's records (docs/interchange.md)."""
