"""CbTarragonDIs module package (see README.md)."""
