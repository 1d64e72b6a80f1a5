"""ptest-runner's output for Debian guests, which have no ptest-runner package.

Prints what ptest-runner 2.4 prints around each suite (START/BEGIN/DURATION/END/STOP, and ERROR
for a non-zero exit or TIMEOUT after ``--timeout`` seconds without output), so the host parses
the same lines testimage would. Usage: ptest_runner.py [--timeout S] [--args A] PTEST_DIR...
"""

from __future__ import annotations

import argparse
import os
import selectors
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path


def stamp() -> str:
    return time.strftime("%Y-%m-%dT%H:%M")


def relay(process: subprocess.Popen, timeout: float) -> bool:
    """Copy the suite's output to ours; False if it stayed silent for ``timeout`` seconds."""
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while True:
            if not selector.select(timeout):
                return False
            chunk = os.read(process.stdout.fileno(), 65536)
            if not chunk:
                return True
            sys.stdout.buffer.write(chunk)
            sys.stdout.buffer.flush()


def run_suite(directory: Path, timeout: float, args: list[str]) -> bool:
    print(f"BEGIN: {directory}", flush=True)
    started = time.monotonic()
    process = subprocess.Popen([str(directory / "run-ptest"), *args], cwd=directory,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, start_new_session=True)
    finished = relay(process, timeout)
    if not finished:
        os.killpg(process.pid, signal.SIGKILL)
    status = process.wait()
    process.stdout.close()
    print(f"DURATION: {round(time.monotonic() - started)}")
    if not finished:
        print(f"TIMEOUT: {directory}")
    elif status != 0:
        print(f"ERROR: Exit status is {status}")
    print(f"END: {directory}\n{stamp()}", flush=True)
    return finished and status == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=300.0,
                        help="seconds a suite may stay silent before it is killed")
    parser.add_argument("--args", default="", help="arguments for each run-ptest (a selection)")
    parser.add_argument("directories", nargs="+", type=Path)
    args = parser.parse_args()
    print(f"START: ptest-runner\n{stamp()}", flush=True)
    results = [run_suite(directory, args.timeout, shlex.split(args.args))
               for directory in args.directories]
    print("STOP: ptest-runner", flush=True)
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
