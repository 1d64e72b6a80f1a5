"""The tests find every program they run through one table, so .ci/run installs all of them."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.layer import recipe
from tests.support import host_tools

LOOKUP_ON_PATH = re.compile(r"shutil\.which\(|subprocess\.\w+\(\[\s*[\"'](?!git[\"'])[\w.-]+[\"']")
# The QEMU harness is no test: tests/qemu/run-ptest-qemu installs its tools (cpio, dpkg-deb) itself.
OWN_INSTALLER = recipe.CHECKOUT / "tests/qemu"


def test_no_test_looks_a_program_up_on_the_path() -> None:
    """shutil.which or a bare program name would find what a developer installed by hand."""
    offenders = [f"{p.relative_to(recipe.CHECKOUT)}:{text.count(chr(10), 0, m.start()) + 1}"
                 for p in sorted((recipe.CHECKOUT / "tests").rglob("*.py"))
                 if not p.is_relative_to(OWN_INSTALLER)
                 for text in [p.read_text()] for m in LOOKUP_ON_PATH.finditer(text)]
    assert offenders == [], "use tests/support/host_tools.py"


def test_a_tool_missing_from_the_table_is_refused() -> None:
    with pytest.raises(KeyError, match=r"host_tools\.py"):
        host_tools.find("bitbake")


def test_the_table_gives_ci_its_debian_packages() -> None:
    printed = subprocess.run([sys.executable, str(recipe.CHECKOUT / "tests/support/host_tools.py"),
                              "debian-packages"], capture_output=True, text=True, check=True)
    assert printed.stdout.split() == sorted(set(host_tools.DEBIAN.values()))
    assert "tests/support/host_tools.py debian-packages" in (recipe.CHECKOUT / ".ci/run").read_text()
