"""Every program the tests run besides Python, and where it comes from: one table.

The tests find a tool only where ``.ci/run`` puts it: a Debian package's program in the system
directories, a Python package's program beside the interpreter running the tests (the venv's
bin, which nobody has to put on PATH). PATH is not searched, so a tool that a developer once
installed by hand in ~/.local/bin or a pyenv shim cannot make a test pass that a fresh machine
fails. ``.ci/run`` installs the Debian packages from this table:

    python3 tests/support/host_tools.py debian-packages
"""

from __future__ import annotations

import sys
from pathlib import Path

# program -> the Debian package that installs it
DEBIAN = {
    "journalctl": "systemd",
    "mosquitto": "mosquitto",
    "mosquitto_passwd": "mosquitto",
    "openssl": "openssl",
    "shellcheck": "shellcheck",
    "start-stop-daemon": "dpkg",
    "systemd-analyze": "systemd",
}
# program -> the Python distribution (setup.cfg's dev extra) that installs it into the venv
VENV = {
    "kas": "kas",
    "oelint-adv": "oelint-adv",
}
SYSTEM_DIRS = ("/usr/bin", "/usr/sbin", "/bin", "/sbin")


def find(tool: str) -> str | None:
    """The path of ``tool`` where .ci/run installs it, or None; a tool not in the table is a bug."""
    if tool in VENV:
        candidates = [Path(sys.executable).parent / tool]
    elif tool in DEBIAN:
        candidates = [Path(directory, tool) for directory in SYSTEM_DIRS]
    else:
        raise KeyError(f"{tool} is not in tests/support/host_tools.py: name it there, with the "
                       "package that brings it, so that .ci/run installs it")
    return next((str(path) for path in candidates if path.is_file()), None)


def path(tool: str) -> str:
    """The path of ``tool``; a test that needs it fails with how to get it when it is missing."""
    found = find(tool)
    if found is None:
        raise FileNotFoundError(f"{tool} is not installed ({where(tool)})")
    return found


def where(tool: str) -> str:
    """How to get ``tool``, for the message of a test that cannot find it."""
    if tool in VENV:
        return f"pip install {VENV[tool]} into {Path(sys.executable).parent.parent}"
    return f"apt-get install {DEBIAN[tool]}"


if __name__ == "__main__":
    if sys.argv[1:] != ["debian-packages"]:
        sys.exit("usage: host_tools.py debian-packages")
    print("\n".join(sorted(set(DEBIAN.values()))))
