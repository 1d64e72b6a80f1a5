"""Run pycharge's ptests on an emulated 32-bit ARM (QEMU virt, Debian armhf), as CI does.

Builds (or takes from the cache) a Debian bookworm armhf initramfs with python3, mosquitto and
the test libraries, adds pycharge from this checkout at the Yocto recipe's paths, boots it under
qemu-system-arm, runs run-ptest like ptest-runner, measures the stack's start-up and memory, and
exits 0 only if every result is PASS or SKIP, something passed and the guest finished.
Started by tests/qemu/run-ptest-qemu, which installs the host's tools first.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from tests.qemu.console import PtestLog, boot, qemu_command
from tests.qemu.layer import build_layer
from tests.qemu.rootfs import CACHE, MIRROR, Base, build_base, log


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="run-ptest-qemu", description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=CACHE,
                        help="downloaded packages and built base (default: %(default)s)")
    parser.add_argument("--refresh", action="store_true",
                        help="update the package lists even if they are less than a day old")
    parser.add_argument("--mirror", default=MIRROR,
                        help="Debian mirror for the armhf packages (default: %(default)s)")
    parser.add_argument("--timeout", type=float, default=3600.0,
                        help="seconds for boot to power-off before QEMU is killed")
    parser.add_argument("--test-timeout", type=int, default=300,
                        help="seconds run-ptest may stay silent (ptest-runner's -t)")
    parser.add_argument("--pytest-args", default=os.environ.get("PYCHARGE_QEMU_PYTEST_ARGS", ""),
                        help="arguments for run-ptest, e.g. a selection: 'tests/runtime -k bus' "
                             "(default: none, the whole packaged suite)")
    parser.add_argument("--selection-file", type=Path,
                        help="run the tests listed in this file (one pytest path per line, "
                             "# comments), e.g. tests/qemu/ci-selection")
    parser.add_argument("--cpu", default="cortex-a7", help="QEMU CPU model (the board: Cortex-A7)")
    parser.add_argument("--bench", action="store_true",
                        help="also run bench/run --quick (latency, footprint, start-up) inside")
    parser.add_argument("--no-measure", action="store_true",
                        help="skip the start-up/memory measurement of bsp-only.yaml")
    parser.add_argument("--require-measure", action="store_true",
                        help="fail when the measurement cannot run (not only when it fails)")
    parser.add_argument("--console-log", type=Path, help="also write the console to this file")
    args = parser.parse_args(argv)
    if args.selection_file is not None:
        lines = args.selection_file.read_text().splitlines()
        selected = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
        args.pytest_args = " ".join([*selected, args.pytest_args]).strip()
    return args


def build_initrd(work: Path, base: Base, run_ptest_args: str = "") -> Path:
    """The cached base with this checkout's layer unpacked over it, as one initramfs."""
    layer = build_layer(work, run_ptest_args)
    initrd = work / "initrd.gz"
    with initrd.open("wb") as out:
        for part in (base.archive, layer):
            with part.open("rb") as source:
                shutil.copyfileobj(source, out)
    return initrd


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("PIP_ROOT_USER_ACTION", "ignore")  # CI runs as root, on purpose
    started = time.monotonic()
    args.cache.mkdir(parents=True, exist_ok=True)
    base = build_base(args.cache, args.mirror, args.refresh)
    base_done = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="pycharge-qemu-") as tmp:
        initrd = build_initrd(Path(tmp), base, args.pytest_args)
        append = (f"console=ttyAMA0 rdinit=/init quiet panic=-1 "
                  f"pycharge_qemu.timeout={args.test_timeout} "
                  f"pycharge_qemu.measure={0 if args.no_measure else 1} "
                  f"pycharge_qemu.bench={1 if args.bench else 0}")
        command = qemu_command(base.kernel, initrd, args.cpu, append)
        log(f"booting: {' '.join(command)}")
        console = PtestLog(measure_required=args.require_measure)
        booted = time.monotonic()
        if args.console_log:
            with args.console_log.open("w") as echo:
                status = boot(command, console, args.timeout, _Tee(echo))
        else:
            status = boot(command, console, args.timeout)
    finished = time.monotonic()
    log(f"QEMU exited with status {status}")
    log(f"times: base {'from cache' if base.cached else 'built'} {base_done - started:.0f} s, "
        f"layer {booted - base_done:.0f} s, boot to power-off {finished - booted:.0f} s, "
        f"total {finished - started:.0f} s")
    for note in console.notes:
        log(note)
    if not args.require_measure:
        for warning in console.measure_warnings():
            log(f"warning (stack measurement, not a ptest): {warning}")
    problems = console.problems()
    for problem in problems:
        log(f"problem: {problem}")
    print(f"qemu-ptest: {console.summary()}", flush=True)
    return 1 if problems else 0


class _Tee:
    """stdout and a log file at once."""

    def __init__(self, other: object) -> None:
        self.other = other

    def write(self, text: str) -> None:
        sys.stdout.write(text)
        self.other.write(text)

    def flush(self) -> None:
        sys.stdout.flush()
        self.other.flush()


if __name__ == "__main__":
    sys.exit(main())
