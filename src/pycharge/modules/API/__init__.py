"""API module (see README.md)."""
