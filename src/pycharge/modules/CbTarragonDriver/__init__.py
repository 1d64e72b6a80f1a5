"""CbTarragonDriver module package (see README.md)."""
