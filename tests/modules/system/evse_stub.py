"""Where the evse_manager definitions for the tests' stand-in EvseManager come from."""

from __future__ import annotations

from pathlib import Path

from pycharge.runtime.definitions import PACKAGE_DIR

FAKES = Path(__file__).parent / "fakes"
FALLBACK = Path(__file__).parent / "evse_definitions"


def definition_dirs() -> list[Path]:
    """The package's evse_manager interface if it has one, else the tests' small fallback."""
    if (PACKAGE_DIR / "interfaces" / "evse_manager.yaml").exists():
        return []
    return [FALLBACK]
