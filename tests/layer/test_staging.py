"""pycharge installed the recipe's way runs: the package holds what the stack loads at run time,
and the default configuration runs from the staging root on the simulated board until SIGTERM.
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import yaml

from tests.conftest import Mosquitto
from tests.layer import recipe
from tests.layer.staging import Staged
from tests.support.probe import Probe
from tests.support.waiting import wait_until

SOURCE = recipe.CHECKOUT / "src" / "pycharge"


def test_the_package_holds_every_definition_module_and_config(staged: Staged) -> None:
    """package_data mistakes only show once installed: compare with the source tree."""
    wanted = {p.relative_to(SOURCE.parent) for pattern in ("*.yaml", "*.md")
              for p in SOURCE.rglob(pattern)}
    installed = {p.relative_to(staged.site_packages) for pattern in ("*.yaml", "*.md")
                 for p in (staged.site_packages / "pycharge").rglob(pattern)}
    assert sorted(map(str, wanted - installed)) == []


def test_the_staged_pycharge_is_the_one_imported(staged: Staged) -> None:
    found = subprocess.run([str(staged.python), "-c", "import pycharge; print(pycharge.__file__)"],
                           env=staged.env(dict(os.environ)), capture_output=True, text=True,
                           check=True).stdout.strip()
    assert Path(found).is_relative_to(staged.site_packages)


def test_default_config_runs_on_the_simulated_board_and_stops_on_sigterm(
        staged: Staged, private_mosquitto: Mosquitto, tmp_path: Path) -> None:
    modules = set(yaml.safe_load(staged.config.read_text())["active_modules"])
    probe = Probe(private_mosquitto.address)
    probe.subscribe("everest/modules/+/ready")
    log = tmp_path / "pycharge.log"
    with log.open("wb") as output:
        stack = subprocess.Popen(
            [str(staged.python), str(staged.pycharge), "run", str(staged.config), "--sim",
             "--broker", f"127.0.0.1:{private_mosquitto.port}"],
            cwd=staged.root / "var/lib/pycharge", env=staged.env(dict(os.environ)),
            stdout=output, stderr=subprocess.STDOUT)
    try:
        def ready() -> bool:
            done = {t.split("/")[2] for t, p in list(probe.messages) if p == b"true"}
            return modules <= done or stack.poll() is not None

        wait_until(ready, timeout=60, what="every module of the default config ready")
        assert stack.poll() is None, log.read_text()
        stack.send_signal(signal.SIGTERM)
        assert stack.wait(30) == 0, log.read_text()
    finally:
        if stack.poll() is None:
            stack.kill()
            stack.wait()
        probe.close()
    assert "Traceback" not in log.read_text()
