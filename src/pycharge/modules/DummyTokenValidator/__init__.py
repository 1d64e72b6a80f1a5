"""DummyTokenValidator module (see README.md)."""
