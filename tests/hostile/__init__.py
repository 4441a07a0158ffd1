"""Hostile input against every form, upload, page and command (docs/security.md)."""
