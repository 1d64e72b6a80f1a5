"""docs/writing-a-module.md runs as written: its files are extracted, checked and run."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path

from tests.conftest import Mosquitto
from tests.support.processes import OutputWatcher

DOC = Path(__file__).resolve().parents[2] / "docs" / "writing-a-module.md"


def extract(directory: Path) -> None:
    for block in re.findall(r"```(?:yaml|python)\n(.*?)```", DOC.read_text(), re.S):
        first, _, body = block.partition("\n")
        match = re.match(r"# file: (\S+)", first)
        assert match, f"a code block without '# file:' in {DOC}"
        target = directory / match.group(1)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(body)


def test_the_module_example_runs_as_written(tmp_path: Path, mosquitto: Mosquitto) -> None:
    extract(tmp_path)
    pycharge = [sys.executable, "-m", "pycharge"]
    check = subprocess.run([*pycharge, "check", "greet.yaml", "--modules-dir", "mymodules"],
                           cwd=tmp_path, check=False, capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stderr
    run = subprocess.Popen([*pycharge, "run", "greet.yaml", "--modules-dir", "mymodules",
                            "--broker", f"127.0.0.1:{mosquitto.port}"],
                           cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    output = OutputWatcher(run.stderr)
    try:
        output.wait_for("[visitor] Hello, pycharge!")
        output.wait_for("[visitor] the greeter has greeted 1 time(s)")
    finally:
        run.send_signal(signal.SIGINT)
        assert run.wait(15) == 0
