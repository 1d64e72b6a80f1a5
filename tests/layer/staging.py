"""pycharge installed into a directory the way the recipe installs it into ${D}.

The same steps as do_unpack (pycharge_source.bbclass), do_compile/do_install (a wheel, installed
under /usr) and our do_install/do_install_ptest appends, at the same paths: the package in
<root>/usr/lib/pythonX.Y/site-packages, ``pycharge`` in <root>/usr/bin, the configurations in
<root>/etc/pycharge (config.yaml a copy of the default), the unit, the init script with the
recipe's placeholders replaced, and the ptest directory without the host-only test folders.
Paths inside the unit and the init script are the target's unless a test asks for others.
What is staged runs with an interpreter holding only what the image's python3 holds
(target_python.py), never with the host's python3.
"""

from __future__ import annotations

import fnmatch
import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

from tests.layer import recipe, target_python

CLASS = recipe.LAYER / "classes" / "pycharge_source.bbclass"
TARGET_DIRS = {"@BINDIR@": "/usr/bin", "@SYSCONFDIR@": "/etc", "@LOCALSTATEDIR@": "/var"}
UNIT_DIR = "usr/lib/systemd/system"
PTEST_DIR = "usr/lib/pycharge/ptest"


@dataclass(frozen=True)
class Staged:
    """Where things went, and how to run the installed package as the image would."""

    root: Path
    site_packages: Path
    python_bin: Path

    @property
    def python(self) -> Path:
        return self.python_bin / "python3"

    @property
    def pycharge(self) -> Path:
        return self.root / "usr/bin/pycharge"

    @property
    def ptest(self) -> Path:
        return self.root / PTEST_DIR

    @property
    def config(self) -> Path:
        return self.root / "etc/pycharge/config.yaml"

    def env(self, base: dict[str, str]) -> dict[str, str]:
        """Environment in which ``python3`` is the target's and imports the staged package."""
        path = os.pathsep.join([str(self.python_bin), base.get("PATH", os.defpath)])
        return {**base, "PATH": path, "PYTHONPATH": str(self.site_packages),
                "PYTHONNOUSERSITE": "1"}


def copy_source(destination: Path) -> None:
    """The files git knows minus the class's excludes. New files not yet added count too (the
    class takes tracked files only), so a test run before ``git add`` sees the work tree."""
    excluded = recipe.values(CLASS, "PYCHARGE_SRCTREE_EXCLUDE")
    names = subprocess.run(["git", "-C", str(recipe.CHECKOUT), "ls-files", "-z", "--cached",
                            "--others", "--exclude-standard"],
                           check=True, capture_output=True, text=True).stdout.split("\0")
    for name in sorted(set(names)):
        source = recipe.CHECKOUT / name
        if not name or not source.is_file() or any(fnmatch.fnmatchcase(name, p) for p in excluded):
            continue
        (destination / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, destination / name)


def build_wheel(source: Path, output: Path) -> Path:
    """A wheel as python_setuptools_build_meta builds it (isolated when wheel is missing)."""
    offline = all(importlib.util.find_spec(name) for name in ("setuptools", "wheel"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                    *(["--no-build-isolation"] if offline else []), "-w", str(output),
                    str(source)], check=True)
    return next(output.glob("pycharge-*.whl"))


def install_wheel(wheel: Path, root: Path) -> Path:
    """Into <root>/usr; --ignore-installed: never touch the host's own (editable) install."""
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index",
                    "--ignore-installed", "--no-warn-script-location", "--root", str(root),
                    "--prefix", "/usr", str(wheel)], check=True)
    purelib = sysconfig.get_path("purelib", vars={"base": "/usr", "platbase": "/usr"})
    return root / purelib.lstrip("/")


def substitute(template: Path, target: Path, dirs: dict[str, str], mode: int) -> None:
    """What the recipe's ``sed -i -e 's,@BINDIR@,${bindir},g' ...`` does."""
    text = template.read_text()
    for placeholder, directory in dirs.items():
        text = text.replace(placeholder, directory)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    target.chmod(mode)


def install_configs(source: Path, root: Path) -> None:
    bb = recipe.recipe()
    configs = source / "src/pycharge/configs"
    etc = root / "etc/pycharge"
    etc.mkdir(parents=True, exist_ok=True)
    for name in recipe.values(bb, "PYCHARGE_CONFIGS"):
        shutil.copy(configs / name, etc / name)
    (default,) = recipe.values(bb, "PYCHARGE_DEFAULT_CONFIG")
    shutil.copy(configs / default, etc / "config.yaml")


def install_services(root: Path, dirs: dict[str, str]) -> None:
    substitute(recipe.FILES / "pycharge.service", root / UNIT_DIR / "pycharge.service", dirs,
               0o644)
    substitute(recipe.FILES / "pycharge.init", root / "etc/init.d/pycharge", dirs, 0o755)


def install_ptest(source: Path, root: Path) -> None:
    ptest = root / PTEST_DIR
    shutil.copytree(source / "tests", ptest / "tests")
    for host_only in recipe.values(recipe.recipe(), "PYCHARGE_PTEST_HOST_ONLY"):
        shutil.rmtree(ptest / host_only, ignore_errors=True)
    shutil.copy(source / "pyproject.toml", ptest)
    (ptest / "docs").mkdir()
    shutil.copy(source / "docs" / "writing-a-module.md", ptest / "docs")  # its test runs it
    shutil.copy(recipe.FILES / "run-ptest", ptest)
    (ptest / "run-ptest").chmod(0o755)


def stage(work: Path) -> Staged:
    """Everything the pycharge and pycharge-ptest packages hold, under ``work``/root."""
    source, root = work / "source", work / "root"
    copy_source(source)
    site_packages = install_wheel(build_wheel(source, work / "dist"), root)
    install_configs(source, root)
    install_services(root, TARGET_DIRS)
    (root / "var/lib/pycharge").mkdir(parents=True)
    install_ptest(source, root)
    return Staged(root, site_packages, target_python.create(work / "python"))
