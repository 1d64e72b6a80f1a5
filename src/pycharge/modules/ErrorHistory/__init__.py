"""ErrorHistory module (see README.md)."""
