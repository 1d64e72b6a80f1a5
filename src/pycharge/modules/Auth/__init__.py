"""Auth module (see README.md)."""
