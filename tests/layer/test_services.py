"""The systemd unit and the sysvinit script: checked by systemd-analyze and shellcheck, and the
init script starts, reports on and stops a real stack (example modules, a private mosquitto)
from a temporary root, with the recipe's placeholders pointing into it.
"""

from __future__ import annotations

import configparser
import os
import subprocess
from pathlib import Path

import yaml

from tests.conftest import EXAMPLE_MODULES, Mosquitto
from tests.layer import recipe
from tests.layer.conftest import require
from tests.layer.staging import Staged, substitute
from tests.support.probe import Probe
from tests.support.waiting import wait_until

EXAMPLE_CONFIG = {"active_modules": {
    "provider": {"module": "ExampleProvider"},
    "user": {"module": "ExampleUser",
             "connections": {"provider": [{"module_id": "provider", "implementation_id": "main"}]}},
}}


def unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(recipe.FILES / "pycharge.service")
    return parser


def test_the_unit_is_what_the_stack_needs() -> None:
    service, ordering = unit()["Service"], unit()["Unit"]
    assert service["Type"] == "notify"
    assert service["NotifyAccess"] == "main"
    assert service["ExecStart"] == "@BINDIR@/pycharge run @SYSCONFDIR@/pycharge/config.yaml"
    assert service["Restart"] == "always"
    assert 0 < int(service["WatchdogSec"]) <= 60
    assert "mosquitto.service" in ordering["Requires"].split()
    assert "mosquitto.service" in ordering["After"].split()


def test_the_unit_passes_systemd_analyze_verify(staged: Staged, tmp_path: Path) -> None:
    """ExecStart points at the staged pycharge; mosquitto.service is a stand-in."""
    systemd_analyze = require("systemd-analyze")
    units = tmp_path / "units"
    substitute(recipe.FILES / "pycharge.service", units / "pycharge.service",
               {"@BINDIR@": str(staged.root / "usr/bin"), "@SYSCONFDIR@": str(staged.root / "etc"),
                "@LOCALSTATEDIR@": str(staged.root / "var")}, 0o644)
    (units / "mosquitto.service").write_text("[Service]\nExecStart=/bin/true\n")
    result = subprocess.run([systemd_analyze, "verify", "--man=no",
                             str(units / "pycharge.service")],
                            env={**os.environ, "SYSTEMD_UNIT_PATH": f"{units}:"},
                            capture_output=True, text=True, check=False)
    # verify exits 0 on settings it ignores; any message is a finding
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_the_scripts_pass_shellcheck() -> None:
    shellcheck = require("shellcheck")
    result = subprocess.run([shellcheck, "--shell=sh", str(recipe.FILES / "pycharge.init"),
                             str(recipe.FILES / "run-ptest")],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout


class InitScript:
    """pycharge.init with @BINDIR@, @SYSCONFDIR@ and @LOCALSTATEDIR@ under a temporary root."""

    def __init__(self, root: Path, staged: Staged, broker: Mosquitto) -> None:
        self.root = root
        # start-stop-daemon is in sbin, which a boot script's PATH has and a user's may not
        sbin = str(Path(require("start-stop-daemon")).parent)
        self.env = staged.env({**os.environ, "PATH": f"{os.environ.get('PATH', '')}:{sbin}"})
        dirs = {"@BINDIR@": str(root / "usr/bin"), "@SYSCONFDIR@": str(root / "etc"),
                "@LOCALSTATEDIR@": str(root / "var")}
        self.script = root / "etc/init.d/pycharge"
        substitute(recipe.FILES / "pycharge.init", self.script, dirs, 0o755)
        # the packaged console script, told where the example modules and the broker are
        wrapper = root / "usr/bin/pycharge"
        wrapper.parent.mkdir(parents=True)
        wrapper.write_text(f'#!/bin/sh\nexec "{staged.python}" "{staged.pycharge}" "$@" '
                           f'--modules-dir "{EXAMPLE_MODULES}" --broker 127.0.0.1:{broker.port}\n')
        wrapper.chmod(0o755)
        self.config = root / "etc/pycharge/config.yaml"
        self.config.parent.mkdir(parents=True)
        self.config.write_text(yaml.safe_dump(EXAMPLE_CONFIG))
        self.pidfile = root / "var/run/pycharge.pid"
        self.log = root / "var/log/pycharge.log"

    def __call__(self, action: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(self.script), action], env=self.env, capture_output=True,
                              text=True, timeout=60, check=False)

    def pid(self) -> int:
        return int(self.pidfile.read_text())


def alive(pid: int) -> bool:
    """The process exists and is no zombie (a container's init may be slow to reap it)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_the_init_script_starts_reports_and_stops_the_stack(
        staged: Staged, private_mosquitto: Mosquitto, tmp_path: Path) -> None:
    init = InitScript(tmp_path / "root", staged, private_mosquitto)
    probe = Probe(private_mosquitto.address)
    probe.subscribe("everest/modules/+/ready")
    try:
        assert init("status").returncode == 3
        started = init("start")
        assert started.returncode == 0, started.stdout + started.stderr
        wait_until(lambda: {t.split("/")[2] for t, p in list(probe.messages) if p == b"true"}
                   >= {"provider", "user"}, timeout=30, what="both example modules ready")
        pid = init.pid()
        status = init("status")
        assert (status.returncode, status.stdout) == (0, f"pycharge is running (pid {pid})\n")
        again = init("start")
        assert (again.returncode, again.stdout) == (0, f"pycharge is already running (pid {pid})\n")
        stopped = init("stop")
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr
        assert not alive(pid)
        assert not init.pidfile.exists()
        assert init("status").returncode == 3
        assert "all 2 modules started" in init.log.read_text()
    finally:
        if init.pidfile.exists() and alive(init.pid()):
            os.kill(init.pid(), 9)
        probe.close()


def test_status_tells_a_dead_stack_from_a_stopped_one(
        staged: Staged, private_mosquitto: Mosquitto, tmp_path: Path) -> None:
    init = InitScript(tmp_path / "root", staged, private_mosquitto)
    init.pidfile.parent.mkdir(parents=True)
    init.pidfile.write_text("999999\n")  # above the default pid_max: no such process
    status = init("status")
    assert (status.returncode, status.stdout) == (1, f"pycharge is dead but {init.pidfile} exists\n")
    stop = init("stop")
    assert (stop.returncode, stop.stdout) == (0, "pycharge is not running\n")
    assert not init.pidfile.exists()
