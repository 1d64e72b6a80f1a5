"""DummyTokenProvider module (see README.md)."""
