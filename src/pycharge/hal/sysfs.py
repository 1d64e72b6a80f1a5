"""Small sysfs helpers: find a device by its name (as chargebyte does), read an integer."""

from __future__ import annotations

import errno
from collections.abc import Callable, Iterable
from pathlib import Path

from pycharge.hal.errors import HalError


def find_named(entries: Iterable[Path], name_of: Callable[[Path], str], wanted: str
               ) -> tuple[Path | None, list[str]]:
    """The first entry named ``wanted``; else None and "name (entry)" for each one seen."""
    seen = []
    for entry in entries:
        try:
            name = name_of(entry)
        except OSError:
            name = "?"
        if name == wanted:
            return entry, seen
        seen.append(f"{name} ({entry.name})")
    return None, seen


def read_int(read: Callable[[], str], path: Path, error: type[HalError]) -> int:
    """An integer attribute; ``error`` names the file if it cannot be read or is no integer."""
    try:
        text = read().strip()
    except OSError as exc:
        raise error(exc.errno, f"cannot read {path}: {exc.strerror}") from exc
    try:
        return int(text)
    except ValueError:
        raise error(errno.EIO, f"{path} holds {text!r}, not an integer") from None
