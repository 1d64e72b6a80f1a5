"""Measure pycharge, print one markdown report, write it as JSON, check the hard limits.

Exit status: 0 all hard limits held, 1 a limit broken or a section could not be measured,
2 bad arguments. ``--quick`` is the short version CI runs (about a minute).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import brokers, bus, configs, latency_run, limits, report, stack_figures
from bench.machine import describe

RESULTS = Path(__file__).parent / "results" / "latest.json"
SECTIONS = ("bus", "latency", "stack")
# boot the emulated board (QEMU): only when asked for; board-ocpp: bsp-only-ocpp.yaml, idle
OPTIONAL_SECTIONS = ("board", "board-ocpp")
# (full, quick)
EVENTS, WORKERS, SETTLE_S, BUS_S = (200, 20), (6, 2), (3, 1), (2.0, 0.5)
# single process: the product's default, measured longest; process per module: starts slower
RUNS, IDLE_S, CHARGING_S = (3, 1), (60, 10), (20, 5)
RUNS_PER_MODULE, IDLE_PER_MODULE_S, CHARGING_PER_MODULE_S = (2, 1), (10, 5), (10, 5)
LATENCY_BUDGET_S = 600.0
# board: settle, idle, charging windows in s (full: issue 14's 30 s settle and 60 s idle)
BOARD_WINDOWS_S = ((30.0, 60.0, 60.0), (10.0, 20.0, 20.0))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/run", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short version for CI")
    parser.add_argument("--only", default=",".join(SECTIONS),
                        help=f"comma-separated sections to run (default: {','.join(SECTIONS)}; "
                             "also: board, the stack on the emulated board, bench/board.py; "
                             "board-ocpp, the same with the OCPP module, idle)")
    parser.add_argument("--config", type=Path, default=configs.SHIPPED,
                        help="configuration for latency, footprint, start-up (default: the "
                             "shipped bsp-only.yaml)")
    parser.add_argument("--broker", help="for latency/footprint/start-up, and the only broker "
                        "of the bus section: mosquitto, embedded, embedded-in-process or "
                        "HOST:PORT of a running broker (default: mosquitto if installed)")
    parser.add_argument("--events", type=int, help="events per latency figure (200; quick 20)")
    parser.add_argument("--workers", type=int,
                        help="latency worker processes (6; quick 2; 1 with HOST:PORT)")
    parser.add_argument("--idle-seconds", type=float, help="idle CPU window (60; quick 10)")
    parser.add_argument("--no-per-module", action="store_true",
                        help="skip the --process-per-module footprint and start-up")
    parser.add_argument("--json", type=Path, default=RESULTS, help="where to write the results")
    parser.add_argument("--limit-open-ms", type=float, default=limits.Limits.open_ms)
    parser.add_argument("--limit-rss-mib", type=float, default=limits.Limits.rss_mib)
    args = parser.parse_args(argv)
    unknown = set(args.only.split(",")) - set(SECTIONS) - set(OPTIONAL_SECTIONS)
    if unknown:
        parser.error(f"unknown section(s) {', '.join(sorted(unknown))}; "
                     f"choose from {', '.join(SECTIONS + OPTIONAL_SECTIONS)}")
    if not args.config.exists():
        parser.error(f"no configuration at {args.config}")
    return args


def _pick(value: Any, pair: tuple[Any, Any], quick: bool) -> Any:
    return value if value is not None else pair[1 if quick else 0]


def _progress(text: str) -> None:
    print(f"bench: {text}", file=sys.stderr, flush=True)


def run_bus(args: argparse.Namespace) -> list[dict[str, Any]]:
    kinds = [args.broker] if args.broker else [
        k for k in (brokers.MOSQUITTO, brokers.EMBEDDED_PROCESS, brokers.EMBEDDED_IN_PROCESS)
        if k != brokers.MOSQUITTO or brokers.mosquitto_binary()]
    rows = []
    for kind in kinds:
        _progress(f"bus through {kind}")
        rows.append(bus.measure(kind, _pick(None, BUS_S, args.quick)))
    return rows


def run_latency(args: argparse.Namespace) -> dict[str, Any]:
    broker = args.broker or brokers.default_kind()
    shared = ":" in broker
    workers = 1 if shared else _pick(args.workers, WORKERS, args.quick)
    events = _pick(args.events, EVENTS, args.quick)
    _progress(f"latency: {events} events of each kind, {workers} worker(s)")
    return latency_run.run(args.config, broker, events, workers, not args.quick,
                           LATENCY_BUDGET_S)


def run_stack(args: argparse.Namespace) -> list[dict[str, Any]]:
    broker = args.broker or brokers.default_kind()
    settle = _pick(None, SETTLE_S, args.quick)
    modes = [(False, RUNS, _pick(args.idle_seconds, IDLE_S, args.quick), CHARGING_S)]
    if not args.no_per_module:
        modes.append((True, RUNS_PER_MODULE, _pick(None, IDLE_PER_MODULE_S, args.quick),
                      CHARGING_PER_MODULE_S))
    results = []
    for per_module, runs, idle, charging in modes:
        _progress(f"start-up and footprint, {'process per module' if per_module else 'single'}")
        results.append(stack_figures.measure(
            args.config, broker, per_module, _pick(None, runs, args.quick), settle, idle,
            _pick(None, charging, args.quick)))
    return results


def run_board(args: argparse.Namespace) -> dict[str, Any]:
    from bench import board  # imports the QEMU harness of tests/qemu: only for this section

    settle, idle, charging = BOARD_WINDOWS_S[1 if args.quick else 0]
    idle = args.idle_seconds or idle
    _progress(f"board: booting the emulated board (icount shift {board.ICOUNT_SHIFT}); "
              f"{settle:.0f} s settle, {idle:.0f} s idle, {charging:.0f} s charging")
    return board.measure(settle, idle, charging)


def run_board_ocpp(args: argparse.Namespace) -> dict[str, Any]:
    from bench import board

    settle, idle, _ = BOARD_WINDOWS_S[1 if args.quick else 0]
    idle = args.idle_seconds or idle
    _progress(f"board-ocpp: booting the emulated board with bsp-only-ocpp.yaml and a CSMS; "
              f"{settle:.0f} s settle, {idle:.0f} s idle")
    return board.measure(settle, idle, 0.0, ocpp=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    results: dict[str, Any] = {
        "machine": describe(),
        "options": {"quick": args.quick, "config": str(args.config),
                    "broker": args.broker or brokers.default_kind()},
        "errors": {}}
    steps: dict[str, Callable[[argparse.Namespace], Any]] = {
        "bus": run_bus, "latency": run_latency, "stack": run_stack, "board": run_board,
        "board-ocpp": run_board_ocpp}
    for section in args.only.split(","):
        try:
            results[section] = steps[section](args)
        except Exception as exc:  # one broken section must not hide the others' numbers
            traceback.print_exc()
            results["errors"][section] = f"{type(exc).__name__}: {exc}".splitlines()[0]
    results["wall_s"] = round(time.monotonic() - started, 1)
    checks = limits.check(results, limits.Limits(args.limit_open_ms, args.limit_rss_mib))
    results["checks"] = [{"passed": ok, "check": text} for ok, text in checks]
    print(report.markdown(results, checks))
    print(f"\n(measured in {results['wall_s']:.0f} s; JSON in {args.json})")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=1) + "\n")
    failed = [text for ok, text in checks if not ok]
    for text in failed:
        print(f"bench: FAIL: {text}", file=sys.stderr)
    return 1 if failed else 0
