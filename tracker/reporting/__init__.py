"""Reports: snapshots with the disclosure level applied once, then pure renderers to bytes."""
