"""The ``pycharge`` command: one file per sub-command, each with the same small shape."""
