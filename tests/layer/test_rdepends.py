"""The recipe's RDEPENDS list every package the code imports from, for kirkstone and scarthgap.

A missing stdlib split package only shows on the target, as an ImportError; this finds it on
the host. Every entry must also be needed by at least one release, so the lists stay honest.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.layer import recipe
from tests.layer.imports import Import, imports_in
from tests.layer.stdlib_packages import PACKAGES, RELEASES

OWN = {"pycharge", "tests"}
# What meta-python / oe-core call the third-party packages we use.
THIRD_PARTY = {
    "paho": "python3-paho-mqtt",
    "periphery": "python3-periphery",
    "yaml": "python3-pyyaml",
    "pytest": "python3-pytest",
    "hypothesis": "python3-hypothesis",
    "websockets": "python3-websockets",
    "ocpp": "python3-ocpp",
}
# Programs (not Python modules) the code looks up with shutil.which or host_tools, or runs
# from a path in a module's config, and their packages; OPTIONAL ones only enable a test that
# skips without them; SYSTEM ones come with the BSP's base system (systemd, RAUC), not pycharge.
PROGRAMS = {"mosquitto": "mosquitto", "openssl": "openssl-bin"}
OPTIONAL_PROGRAMS = {"journalctl"}
SYSTEM_PROGRAMS = {"rauc", "reboot", "journalctl", "timedatectl"}
PROGRAM_DIRS = ("/bin/", "/sbin/", "/usr/bin/", "/usr/sbin/")
SERVICES = {"mosquitto.service": "mosquitto"}
POKY_MIRROR = Path(os.environ.get("MIRROR", recipe.CHECKOUT.parent / ".mirror"),
                   "yoctoproject+poky", "repo")


def packaged_tests() -> list[Path]:
    host_only = [recipe.CHECKOUT / d for d in recipe.values(recipe.recipe(),
                                                            "PYCHARGE_PTEST_HOST_ONLY")]
    return [p for p in sorted((recipe.CHECKOUT / "tests").rglob("*.py"))
            if not any(p.is_relative_to(d) for d in host_only)]


def needed(found: list[Import], release: str) -> dict[str, list[Import]]:
    """Package -> the imports that need it; fails on modules it cannot place."""
    column = RELEASES.index(release)
    packages: dict[str, list[Import]] = {}
    unknown = []
    for item in found:
        if item.top in OWN:
            continue
        if item.top in THIRD_PARTY:
            package = THIRD_PARTY[item.top]
        elif item.top in PACKAGES:
            package = PACKAGES[item.top][column]
            if package is None:
                if not item.optional:
                    unknown.append(f"{item.path}:{item.line}: {item.module} does not exist in "
                                   f"{release}'s Python")
                continue
        elif (recipe.CHECKOUT / item.top).is_dir():
            unknown.append(f"{item.path}:{item.line}: {item.module} comes from the checkout and "
                           "is not installed: list the test folder in PYCHARGE_PTEST_HOST_ONLY")
            continue
        else:
            unknown.append(f"{item.path}:{item.line}: {item.module}: add it to THIRD_PARTY or "
                           "stdlib_packages.py")
            continue
        if not item.optional:
            packages.setdefault(package, []).append(item)
    assert not unknown, "\n".join(unknown)
    return packages


def programs_configured() -> set[str]:
    """Programs the modules run from a path in their config (``*_path`` keys, e.g. CbSystem)."""
    programs = set()
    for manifest in (recipe.CHECKOUT / "src" / "pycharge" / "modules").glob("*/manifest.yaml"):
        for key, spec in (yaml.safe_load(manifest.read_text()).get("config") or {}).items():
            default = str(spec.get("default", ""))
            if key.endswith("_path") and default.startswith(PROGRAM_DIRS):
                programs.add(default.rsplit("/", 1)[1])
    unknown = programs - set(PROGRAMS) - SYSTEM_PROGRAMS
    assert not unknown, f"add {sorted(unknown)} to PROGRAMS (with its package) or SYSTEM_PROGRAMS"
    return programs


def programs_started(files: list[Path]) -> set[str]:
    text = "\n".join(p.read_text(encoding="utf-8") for p in files)
    programs = set(re.findall(r"(?:shutil\.which|host_tools\.(?:find|path))\([\"']([^\"']+)[\"']\)",
                              text))
    unknown = programs - set(PROGRAMS) - OPTIONAL_PROGRAMS
    assert not unknown, f"add {sorted(unknown)} to PROGRAMS (with its package) or OPTIONAL_PROGRAMS"
    if files == source_files():
        programs |= programs_configured()
    return {PROGRAMS[p] for p in programs & set(PROGRAMS)}


def services_required() -> set[str]:
    unit = (recipe.FILES / "pycharge.service").read_text()
    required = {u for line in re.findall(r"^Requires=(.*)$", unit, re.MULTILINE) for u in line.split()}
    return {SERVICES[u] for u in required}


def source_files() -> list[Path]:
    return sorted((recipe.CHECKOUT / "src" / "pycharge").rglob("*.py"))


def describe(missing: dict[str, list[Import]]) -> str:
    return "\n".join(f"{package}: {', '.join(sorted({i.module for i in items}))} "
                     f"(e.g. {items[0].path.relative_to(recipe.CHECKOUT)}:{items[0].line})"
                     for package, items in sorted(missing.items()))


@pytest.mark.parametrize("release", RELEASES)
def test_package_rdepends_cover_the_imports_of_src(release: str) -> None:
    declared = set(recipe.values(recipe.recipe(), "RDEPENDS:${PN}"))
    needs = needed(imports_in(source_files()), release)
    missing = {p: i for p, i in needs.items() if p not in declared}
    assert not missing, f"RDEPENDS:${{PN}} lacks, for {release}:\n{describe(missing)}"
    assert services_required() <= declared


@pytest.mark.parametrize("release", RELEASES)
def test_ptest_rdepends_cover_the_imports_of_the_packaged_tests(release: str) -> None:
    bb = recipe.recipe()
    declared = set(recipe.values(bb, "RDEPENDS:${PN}")) | set(
        recipe.values(bb, "RDEPENDS:${PN}-ptest"))
    needs = needed(imports_in(packaged_tests()), release)
    missing = {p: i for p, i in needs.items() if p not in declared}
    assert not missing, f"RDEPENDS:${{PN}}-ptest lacks, for {release}:\n{describe(missing)}"
    assert programs_started(packaged_tests()) <= declared


def test_every_rdepends_entry_is_needed_by_some_release() -> None:
    bb = recipe.recipe()
    sources, tests = source_files(), packaged_tests()
    for variable, files in (("RDEPENDS:${PN}", sources), ("RDEPENDS:${PN}-ptest", tests)):
        used = programs_started(files) | (services_required() if files is sources else set())
        for release in RELEASES:
            used |= set(needed(imports_in(files), release))
        unused = set(recipe.values(bb, variable)) - used
        assert not unused, f"{variable} lists {sorted(unused)}, which nothing imports or starts"


def test_the_scan_sees_lazy_and_optional_imports(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import sqlite3\n"
                      "def f():\n    import json\ntry:\n    import tomllib\n"
                      "except ImportError:\n    tomllib = None\n")
    found = {(i.module, i.optional) for i in imports_in([module])}
    assert found == {("typing", False), ("json", False), ("tomllib", True)}
    assert set(needed(imports_in([module]), "kirkstone")) == {"python3-core", "python3-json"}


def _manifest(release: str) -> dict:
    lock = (recipe.CHECKOUT / "kas" / f"{release}.lock.yml").read_text()
    commit = re.search(r"poky:\s*\n\s*commit:\s*([0-9a-f]{40})", lock).group(1)
    text = subprocess.run(["git", "--git-dir", str(POKY_MIRROR), "show",
                           f"{commit}:meta/recipes-devtools/python/python3/python3-manifest.json"],
                          check=True, capture_output=True, text=True).stdout
    return json.loads("".join(line for line in text.splitlines(keepends=True)
                              if not line.lstrip().startswith("#")))


@pytest.mark.skipif(not POKY_MIRROR.is_dir(),
                    reason=f"no poky mirror at {POKY_MIRROR} (set MIRROR) to re-check the table")
@pytest.mark.parametrize("release", RELEASES)
def test_the_table_matches_the_pinned_python3_manifest(release: str) -> None:
    column = RELEASES.index(release)
    manifest = _manifest(release)
    owners: dict[str, set[str]] = {}
    for package, entry in manifest.items():
        for path in entry["files"]:
            match = re.fullmatch(r"\$\{libdir\}/python\$\{PYTHON_MAJMIN\}/(?:lib-dynload/)?"
                                 r"([A-Za-z0-9_]+)(?:\.py|/?|\..*\.so)", path)
            if match:
                owners.setdefault(match.group(1), set()).add(f"python3-{package}")
    wrong = [f"{module}: table {packages[column]}, manifest {sorted(owners[module])}"
             for module, packages in PACKAGES.items()
             if module in owners and packages[column] not in owners[module]]
    unlisted = [module for module, packages in PACKAGES.items()
                if module not in owners and packages[column] not in (None, "python3-core",
                                                                     "python3-misc")]
    assert not wrong and not unlisted, "\n".join(wrong + unlisted)
