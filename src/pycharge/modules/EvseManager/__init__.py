"""EvseManager module package (see README.md)."""
