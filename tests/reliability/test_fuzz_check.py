"""Random configuration files to ``pycharge check``: exit 0 or 2 with a message, never a crash.

Three kinds of file: arbitrary text (often not YAML at all), arbitrary YAML structures, and
bsp-only.yaml with random changes (a key deleted, a value replaced by something of another
type, an unknown key, a module renamed, a connection pointed elsewhere). ``pycharge check``
runs in this process through the CLI's ``main`` (only its logging set-up is left out, so the
test keeps its own log capture); exit status 1 means "internal error, please report the
traceback", which is what must never happen. A few nasty files also go through the installed
``pycharge`` command as a separate process.
"""

from __future__ import annotations

import copy
import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pycharge.cli import loading
from pycharge.cli import main as cli
from pycharge.runtime.definitions import Definitions
from pycharge.runtime.manifest import ModuleCatalog
from tests.sil.stack import bsp_only

SCALARS = (st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats()
           | st.text(max_size=20) | st.sampled_from(["", "connector", "EvseManager", "evse",
                                                      "~", "null", "yes", "0x1F", "1e400"]))
# YAML keys need not be strings ("1:", "true:", "~:" are an int, a bool and null)
KEYS = st.text(max_size=12) | st.integers(-5, 5) | st.booleans() | st.none() | st.sampled_from(
    ["active_modules", "settings", "module", "config_module", "connections", "mapping"])
TREE = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
    KEYS, inner, max_size=4), max_leaves=20)
FUZZ = settings(max_examples=300, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


@pytest.fixture(autouse=True)
def package_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Interfaces, types and manifests are the package's, not the input: read them once
    (they take most of the 0.2 s a check needs here)."""
    definitions, catalog = Definitions.load([]), ModuleCatalog([])
    monkeypatch.setattr(loading.Definitions, "load", classmethod(lambda _cls, _dirs=(): definitions))
    monkeypatch.setattr(loading, "ModuleCatalog", lambda _dirs=(): catalog)


def check(path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
          caplog: pytest.LogCaptureFixture) -> tuple[int, str]:
    """``pycharge check path`` in this process: (exit status, what it printed)."""
    monkeypatch.setattr(cli, "setup_logging", lambda _level: None)
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        status = cli.main(["check", str(path)])
    out, err = capsys.readouterr()
    tracebacks = [r for r in caplog.records if r.exc_info]
    assert not tracebacks, f"{path.read_text(errors='replace')[:500]!r}: {tracebacks[0].getMessage()}"
    assert status in (0, 2), f"exit status {status} for {path.read_text(errors='replace')[:500]!r}"
    if status == 2:
        assert err.startswith("pycharge: ") and len(err.strip()) > len("pycharge: "), err
    else:
        assert "OK" in out
    return status, out + err


def mutate(config: dict[str, Any], data: st.DataObject) -> dict[str, Any]:
    """One to three random changes somewhere in the configuration tree."""
    config = copy.deepcopy(config)
    for _ in range(data.draw(st.integers(1, 3))):
        parent, key = _random_place(config, data)
        action = data.draw(st.sampled_from(["delete", "replace", "add", "rename_module"]))
        if action == "delete" and isinstance(parent, dict) and parent:
            parent.pop(key, None)
        elif action == "replace":
            parent[key] = data.draw(TREE)
        elif action == "add" and isinstance(parent, dict):
            parent[data.draw(KEYS)] = data.draw(TREE)
        elif action == "rename_module" and isinstance(config.get("active_modules"), dict) \
                and config["active_modules"]:
            modules = config["active_modules"]
            entry = modules[data.draw(st.sampled_from(sorted(modules, key=repr)))]
            if isinstance(entry, dict):
                entry["module"] = data.draw(st.sampled_from(
                    ["EvseManager", "API", "CbTarragonDriver", "PersistentStore", "NoSuchModule",
                     "../../etc", ""]))
    return config


def _random_place(node: Any, data: st.DataObject) -> tuple[Any, Any]:
    """A (container, key) somewhere in the tree, chosen by walking down at random."""
    parent, key = {"root": node}, "root"
    while isinstance(parent[key], (dict, list)) and parent[key] and data.draw(st.booleans()):
        child = parent[key]
        key = data.draw(st.sampled_from(sorted(child, key=repr)) if isinstance(child, dict)
                        else st.integers(0, len(child) - 1))
        parent = child
    return (parent, key) if parent is not None else ({}, "x")


def test_arbitrary_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                        capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "config.yaml"

    @FUZZ
    @given(text=st.text(max_size=300).map(str.encode) | st.binary(max_size=300))
    def fuzz(text: bytes) -> None:
        path.write_bytes(text)
        check(path, monkeypatch, capsys, caplog)

    fuzz()


def test_arbitrary_structures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture[str],
                              caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "config.yaml"

    @FUZZ
    @given(tree=TREE | st.fixed_dictionaries({"active_modules": TREE},
                                               optional={"settings": TREE}))
    def fuzz(tree: Any) -> None:
        path.write_text(yaml.safe_dump(tree))
        check(path, monkeypatch, capsys, caplog)

    fuzz()


def test_changed_bsp_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                          capsys: pytest.CaptureFixture[str],
                          caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "config.yaml"
    original = bsp_only()
    path.write_text(yaml.safe_dump(original))
    assert check(path, monkeypatch, capsys, caplog)[0] == 0
    statuses: set[int] = set()

    @FUZZ
    @given(data=st.data())
    def fuzz(data: st.DataObject) -> None:
        path.write_text(yaml.safe_dump(mutate(original, data)))
        statuses.add(check(path, monkeypatch, capsys, caplog)[0])

    fuzz()
    assert statuses == {0, 2}  # some changes are harmless, most are refused


NASTY = {
    "binary.yaml": b"\x00\xff\xfe garbage \x80",
    "tabs.yaml": b"active_modules:\n\tx: 1\n",
    "alias-bomb.yaml": b"a: &a [x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a]\n"
                       b"c: &c [*b, *b, *b, *b, *b, *b, *b]\nactive_modules: [*c, *c, *c]\n",
    "python-tag.yaml": b"active_modules: !!python/object/apply:os.system ['true']\n",
    "deep.yaml": b"active_modules: " + b"[" * 5000 + b"]" * 5000 + b"\n",
    "empty.yaml": b"",
}


@pytest.mark.parametrize("name", sorted(NASTY))
def test_nasty_files_through_the_command(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(NASTY[name])
    done = subprocess.run([sys.executable, "-m", "pycharge", "check", str(path)],
                          check=False, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("pycharge: "), done.stderr
