"""The pycharge command: exit codes, messages, run until SIGTERM, process per module."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import yaml

from tests.conftest import EXAMPLE_MODULES, Mosquitto
from tests.runtime.conftest import EXAMPLE_CONFIG
from tests.sil.stack import bsp_only_path
from tests.support.processes import OutputWatcher
from tests.support.stack import write_config

PYCHARGE = [sys.executable, "-m", "pycharge"]


def pycharge(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*PYCHARGE, *args], check=False, capture_output=True, text=True,
                          timeout=60)


def test_check_accepts_a_good_config(tmp_path: Path) -> None:
    path = write_config(tmp_path, EXAMPLE_CONFIG)
    result = pycharge("check", str(path), "--modules-dir", str(EXAMPLE_MODULES))
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{path}: OK, 2 modules: provider (ExampleProvider), user (ExampleUser)\n"


def test_check_lists_every_problem_and_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({"active_modules": {
        "a": {"module": "NotThere"}, "b": {"module": "ExampleProvider",
                                           "config_module": {"start": "x"}}}}))
    result = pycharge("check", str(path), "--modules-dir", str(EXAMPLE_MODULES))
    assert result.returncode == 2
    assert result.stderr.startswith("pycharge: 2 problems in the configuration:\n")
    assert f"{path}: module 'a': module: module 'NotThere' is not available" in result.stderr
    assert f"{path}: module 'b': config_module.start: expected integer" in result.stderr
    assert "Traceback" not in result.stderr


def test_modules_lists_interfaces_and_keys() -> None:
    result = pycharge("modules", "ExampleProvider", "--modules-dir", str(EXAMPLE_MODULES))
    assert result.returncode == 0
    assert result.stdout.splitlines() == [
        "ExampleProvider: Provides the example interface (runtime tests)",
        "  provides main: example",
        "      config scale: number = 1.0",
        "  config start: integer = 0",
        "  config mode: string = 'fast' one of fast, slow",
    ]


def test_unreachable_broker_is_a_user_error(tmp_path: Path) -> None:
    path = write_config(tmp_path, EXAMPLE_CONFIG)
    result = pycharge("run", str(path), "--modules-dir", str(EXAMPLE_MODULES),
                      "--broker", "127.0.0.1:1")
    assert result.returncode == 2
    assert "cannot reach the MQTT broker at 127.0.0.1:1" in result.stderr


def children_of(pid: int) -> dict[int, str]:
    """pid -> command line of the direct children of ``pid``."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                cmdline = (entry / "cmdline").read_text().replace("\0", " ")
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found[int(entry.name)] = cmdline
    return found


def test_process_per_module_restarts_a_killed_child_and_stops_on_sigterm(
        tmp_path: Path, mosquitto: Mosquitto) -> None:
    path = write_config(tmp_path, EXAMPLE_CONFIG)
    run = subprocess.Popen([*PYCHARGE, "run", str(path), "--process-per-module",
                            "--modules-dir", str(EXAMPLE_MODULES),
                            "--broker", f"127.0.0.1:{mosquitto.port}"],
                           stderr=subprocess.PIPE, text=True)
    output = OutputWatcher(run.stderr)
    try:
        output.wait_for("all 2 modules started", timeout=120)  # two child Pythons to start
        children = children_of(run.pid)
        assert len(children) == 2
        provider = next(pid for pid, cmd in children.items() if "--module provider" in cmd)
        os.kill(provider, signal.SIGKILL)
        output.wait_for("module provider stopped (its process exited with status -9)")
        output.wait_for("module provider is back after restart 1", timeout=60)
    finally:
        run.send_signal(signal.SIGTERM)
        assert run.wait(15) == 0
    assert children_of(run.pid) == {}


def test_check_suggests_the_names_meant_by_three_common_typos(tmp_path: Path) -> None:
    # chargebyte's bsp-only.yaml with a mistyped module type, config key and module id
    text = bsp_only_path().read_text()
    typos = {"module: EvseManager": "module: EvseManger",
             "fuse_limit_A: 16": "fuse_limit_a: 16",
             "- module_id: tarragon_bsp": "- module_id: tarragon_bps"}
    for right, wrong in typos.items():
        assert text.count(right) == 1, right
        text = text.replace(right, wrong)
    path = tmp_path / "typos.yaml"
    path.write_text(text)
    result = pycharge("check", str(path))
    assert result.returncode == 2, result.stdout
    assert "module 'connector': module: module 'EvseManger' is not available " \
           "(did you mean 'EvseManager'?)" in result.stderr
    assert "module 'grid_connection_point': config_module.fuse_limit_a: unknown config key " \
           "(did you mean 'fuse_limit_A'?)" in result.stderr
    assert "module 'grid_connection_point': config_module.fuse_limit_A: missing mandatory" \
        in result.stderr
    # the module id typo sits in the connector's connections, which are checked only once the
    # connector's module type is known: fix that typo first, as the user would
    path.write_text(text.replace("module: EvseManger", "module: EvseManager"))
    result = pycharge("check", str(path))
    assert "module 'connector': connections.bsp[0]: module id 'tarragon_bps' is not in " \
           "active_modules (did you mean 'tarragon_bsp'?)" in result.stderr


def test_the_cli_loads_no_simulation_until_a_command_needs_it() -> None:
    """Start-up on the board's single core: ``pycharge run`` on the charger never needs it."""
    code = ("import sys, pycharge.cli.main\n"
            "print(sorted(m for m in sys.modules if m.startswith('pycharge.simulation')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"
