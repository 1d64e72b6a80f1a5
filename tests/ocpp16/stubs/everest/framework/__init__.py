"""Import-only stand-in for everestpy's ``everest.framework`` (the C++ bindings).

The suite's harness imports RuntimeSession and Module at load time; only tests with a
ProbeModule use them, and those are out of scope for the pycharge adapter.
"""

from __future__ import annotations


class RuntimeSession:
    """Holds what the harness passes; pycharge has no everestpy runtime to join."""

    def __init__(self, prefix: str, config_file: str) -> None:
        self.prefix = prefix
        self.config_file = config_file


class Module:
    """A ProbeModule would join the EVerest runtime; pycharge's adapter cannot offer that."""

    def __init__(self, module_id: str, session: RuntimeSession) -> None:
        raise NotImplementedError(f"ProbeModule ({module_id}) needs everestpy: out of scope for pycharge")
