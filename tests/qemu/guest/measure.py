"""Start-up time and memory of ``pycharge run CONFIG --sim`` on the emulated CPU.

Start-up is the time from starting the process to its systemd READY=1 (received on a
NOTIFY_SOCKET of our own); memory is the sum over the process and its children of VmRSS and of
Pss (shared pages counted once) from /proc, at READY and again after a settling period.
Prints ``MEASURE:`` lines, or ``MEASURE: not possible yet: <why>`` while the stack cannot run
the configuration. Usage: measure.py CONFIG [--broker HOST:PORT] [--settle S] [--ready-timeout S]
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path


def report(what: str, value: str) -> None:
    print(f"MEASURE: {what}: {value}", flush=True)


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it (process-per-module starts children)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    family, frontier = [pid], [pid]
    while frontier:
        frontier = [child for child, parent in parents.items() if parent in frontier]
        family += frontier
    return family


def kib(path: Path, key: str) -> int:
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return 0
    return sum(int(line.split()[1]) for line in lines if line.startswith(key + ":"))


def memory(pid: int) -> str:
    pids = descendants(pid)
    rss = sum(kib(Path(f"/proc/{p}/status"), "VmRSS") for p in pids)
    pss = sum(kib(Path(f"/proc/{p}/smaps_rollup"), "Pss") for p in pids)
    threads = sum(kib(Path(f"/proc/{p}/status"), "Threads") for p in pids)
    return f"RSS {rss / 1024:.1f} MiB, PSS {pss / 1024:.1f} MiB, {len(pids)} process(es), " \
           f"{threads} threads"


class Notifications(threading.Thread):
    """Reads the stack's datagrams for as long as it runs.

    A reader must keep reading: once the socket's queue is full (10 datagrams by default), the
    stack's next WATCHDOG=1 blocks in sendto, and with it the manager's main loop.
    """

    def __init__(self, sock: socket.socket) -> None:
        super().__init__(daemon=True)
        self.sock = sock
        self.ready = threading.Event()

    def run(self) -> None:
        while True:
            try:
                message = self.sock.recv(4096)
            except OSError:
                return
            if b"READY=1" in message.split(b"\n"):
                self.ready.set()


def wait_ready(ready: threading.Event, process: subprocess.Popen, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not ready.wait(0.1):
        if process.poll() is not None or time.monotonic() > deadline:
            return False
    return True


def tail(path: Path, lines: int = 15) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def measure(args: argparse.Namespace, workdir: Path) -> int:
    if not args.config.exists():
        report("not possible yet", f"{args.config} is not installed")
        return 0
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(workdir / "notify"))
    output = workdir / "pycharge.log"
    command = ["pycharge", "run", str(args.config), "--sim", "--broker", args.broker]
    report("command", " ".join(command))
    env = dict(os.environ, NOTIFY_SOCKET=str(workdir / "notify"))
    started = time.monotonic()
    with output.open("wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    notifications = Notifications(sock)
    notifications.start()
    ready = wait_ready(notifications.ready, process, args.ready_timeout)
    startup = time.monotonic() - started
    if not ready:
        if process.poll() is None:
            process.kill()
            why = f"no READY=1 within {args.ready_timeout:.0f} s"
        else:
            why = f"pycharge run exited with {process.returncode} before READY=1"
        process.wait()
        report("not possible yet", f"{why}; its last output:\n{tail(output)}")
        return 0
    report("start-up to READY=1", f"{startup:.2f} s")
    report("memory at READY", memory(process.pid))
    try:
        process.wait(args.settle)
    except subprocess.TimeoutExpired:
        report(f"memory {args.settle:.0f} s later", memory(process.pid))
    else:
        report("failed", f"pycharge run exited with {process.returncode} after READY:\n"
                         f"{tail(output)}")
        return 1
    stopping = time.monotonic()
    process.send_signal(signal.SIGTERM)
    try:
        status = process.wait(60)
    except subprocess.TimeoutExpired:
        process.kill()
        status = process.wait()
    if status != 0:
        report("failed", f"pycharge run did not stop cleanly on SIGTERM (exit status {status} "
                         f"after {time.monotonic() - stopping:.1f} s); its last output:\n"
                         f"{tail(output)}")
        return 1
    report("stop on SIGTERM", f"{time.monotonic() - stopping:.2f} s")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", type=Path)
    parser.add_argument("--broker", default="127.0.0.1:1883")
    parser.add_argument("--settle", type=float, default=10.0)
    parser.add_argument("--ready-timeout", type=float, default=180.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        status = measure(args, Path(workdir))
    mosquitto = subprocess.run(["pidof", "mosquitto"], capture_output=True, text=True,
                               check=False).stdout.split()
    if mosquitto:
        report("mosquitto", memory(int(mosquitto[0])))
    report("guest MemAvailable", f"{kib(Path('/proc/meminfo'), 'MemAvailable') / 1024:.0f} MiB")
    return status


if __name__ == "__main__":
    sys.exit(main())
