"""CbTarragonPlugLock module package (see README.md)."""
