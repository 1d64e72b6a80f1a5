"""Soak: back-to-back simulated sessions with pauses, limit changes and faults, for a while.

``bench/soak --hours 24`` runs the long version; the CI test runs the same :func:`soak` for a
couple of minutes. The stack is ``pycharge run --sim`` on bsp-only.yaml with a session store,
as a child process; its footprint is sampled from /proc every few seconds. The run fails if a
session gets stuck, an error stays active after a session, the log shows something no injected
fault explains, or threads, descriptors or memory grow (see ``soak_verdict``).
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bench.brokers import default_kind, running_broker
from bench.configs import SHIPPED
from bench.procfs import Footprint
from bench.soak_plan import CI_PACE, LONG_PACE, Pace, SessionPlan, session_plan
from bench.soak_stack import SoakStack, with_store
from bench.soak_verdict import growth, unexpected
from pycharge.runtime.mqtt import BrokerAddress

STEP_TIMEOUT_S = 40.0  # a charging start waits for the relays' 10 s minimum close interval
ERRORS_GONE_S = 5.0  # the API publishes the active errors every second


@dataclass
class SoakResult:
    seed: int
    seconds: float = 0.0
    sessions: int = 0
    actions: Counter = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    samples: list[tuple[float, Footprint]] = field(default_factory=list)
    log_lines: int = 0

    def summary(self) -> dict[str, Any]:
        checks = growth(self.samples) if len(self.samples) >= 6 else []
        first = self.samples[0][1] if self.samples else None
        return {
            "seed": self.seed, "seconds": round(self.seconds), "sessions": self.sessions,
            "actions": dict(self.actions), "log_lines": self.log_lines,
            "samples": len(self.samples),
            "start": first.as_dict() if first else None,
            "growth": [{"what": g.what, "first": g.first, "last": g.last,
                        "allowed": g.allowed, "ok": g.ok} for g in checks],
            "problems": self.problems + [g.describe() for g in checks if not g.ok],
        }


def soak_config(directory: Path) -> Path:
    """bsp-only.yaml with a session store, its files and MQTT prefixes this run's own."""
    config = with_store(yaml.safe_load(SHIPPED.read_text()), directory)
    unique = directory.name.replace("-", "_")
    config["settings"] = {**(config.get("settings") or {}),
                          "mqtt_everest_prefix": f"soak_{unique}",
                          "mqtt_external_prefix": f"soak_{unique}_external/"}
    path = directory / "soak.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


class _Sampler:
    """Samples the stack's footprint on a thread until stopped."""

    def __init__(self, stack: SoakStack, period_s: float, into: list[tuple[float, Footprint]]
                 ) -> None:
        self._stack, self._period, self._into = stack, period_s, into
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="soak-sampler", daemon=True)

    def _run(self) -> None:
        started = time.monotonic()
        while not self._stop.wait(self._period):
            self._into.append((time.monotonic() - started, self._stack.footprint()))

    def __enter__(self) -> _Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


def run_session(stack: SoakStack, plan: SessionPlan, result: SoakResult) -> bool:
    """One car from plug-in to unplug; False (with a problem noted) if the stack got stuck."""
    mark = stack.mark()
    charge = f"draw_power_regulated {plan.amps},{plan.phases};sleep 100000"
    stack.car(f"sleep 0.5;iec_wait_pwr_ready;{charge}")
    try:
        stack.wait_event("ChargingStarted", mark, STEP_TIMEOUT_S)
        started = time.monotonic()
        for at_s, what, do in _timeline(stack, plan, charge):
            time.sleep(max(0.0, started + at_s - time.monotonic()))
            do()
            result.actions[what] += 1
        time.sleep(max(0.0, started + plan.charge_s - time.monotonic()))
        stack.car_modify("unplug")  # the script ends: the car is back to its defaults
        stack.wait_event("SessionFinished", mark, STEP_TIMEOUT_S)
    except TimeoutError as exc:
        result.problems.append(f"session {result.sessions + 1} ({plan}): {exc}; events "
                               f"{[e['event'] for e in stack.events(mark)]}")
        return False
    result.sessions += 1
    deadline = time.monotonic() + ERRORS_GONE_S
    while stack.active_errors() and time.monotonic() < deadline:
        time.sleep(0.2)
    if stack.active_errors():
        result.problems.append(f"session {result.sessions}: errors still active after the car "
                               f"left: {[e['type'] for e in stack.active_errors()]}")
    time.sleep(plan.rest_s)
    return True


def _timeline(stack: SoakStack, plan: SessionPlan, charge: str) -> list[tuple[float, str, Any]]:
    """(seconds after charging started, name, what to do), each action and its undoing."""
    steps: list[tuple[float, str, Any]] = []
    for action in plan.actions:
        end = action.at_s + action.duration_s
        if action.kind == "pause":
            steps += [(action.at_s, "pause", lambda: stack.api("pause_charging")),
                      (end, "resume", lambda: stack.api("resume_charging"))]
        elif action.kind == "limit":
            steps.append((action.at_s, "limit", lambda v=action.value: stack.api(
                "set_limit_amps", str(v))))
        elif action.kind == "ev_pause":
            steps.append((action.at_s, "ev_pause", lambda d=action.duration_s: stack.car_modify(
                f"pause;sleep {d:.1f};{charge}")))
        else:
            steps += [(action.at_s, f"fault {action.value}",
                       lambda f=action.value: stack.inject(str(f), True)),
                      (end, "fault removed", lambda f=action.value: stack.inject(str(f), False))]
    return sorted(steps, key=lambda step: step[0])


def soak(seconds: float, seed: int, broker: BrokerAddress, workdir: Path,
         pace: Pace = CI_PACE, sample_s: float = 2.0) -> SoakResult:
    """Run sessions for ``seconds``; the result says what happened and what went wrong."""
    rng = random.Random(seed)
    result = SoakResult(seed)
    stack = SoakStack(soak_config(workdir), broker, workdir, log_level="warning")
    started = time.monotonic()
    stack.start()
    try:
        stack.wait_event("Enabled", 0, STEP_TIMEOUT_S)
        with _Sampler(stack, sample_s, result.samples):
            while time.monotonic() - started < seconds:
                if not run_session(stack, session_plan(rng, pace), result):
                    break
    finally:
        status = stack.stop()
    result.seconds = time.monotonic() - started
    result.log_lines = stack.lines
    if status != 0:
        result.problems.append(f"the stack exited with status {status} on SIGTERM")
    result.problems += [f"unexpected log line: {line}" for line in unexpected(stack.kept)]
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/soak", description=__doc__.splitlines()[0])
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--hours", type=float, help="how long to run (default: 1 hour)")
    length.add_argument("--minutes", type=float, help="how long to run, in minutes")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--pace", choices=("ci", "long"), default="long",
                        help="session lengths: ci (short, many sessions) or long (default)")
    parser.add_argument("--broker", default=default_kind(),
                        help="mosquitto (default if installed), embedded or HOST:PORT")
    parser.add_argument("--sample-seconds", type=float, default=10.0,
                        help="footprint sample period (default 10 s)")
    parser.add_argument("--json", type=Path, help="also write the summary there")
    args = parser.parse_args(argv)
    seconds = 3600.0 * args.hours if args.hours else 60.0 * (args.minutes or 60.0)
    with tempfile.TemporaryDirectory(prefix="pycharge-soak-") as directory, \
            running_broker(args.broker) as broker:
        result = soak(seconds, args.seed, broker, Path(directory),
                      CI_PACE if args.pace == "ci" else LONG_PACE, args.sample_seconds)
    summary = result.summary()
    text = json.dumps(summary, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 1 if summary["problems"] else 0
