"""The results as one markdown table per section, for the terminal and the README."""

from __future__ import annotations

from typing import Any

from bench.stats import median


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _mib(kib: int) -> str:
    return f"{kib / 1024:.1f}"


def machine_lines(machine: dict[str, Any], options: dict[str, Any]) -> list[str]:
    load = " / ".join(f"{x:.2f}" for x in machine["load_average"])
    return [
        f"Machine: {machine['cpu']}, {machine['cores']} cores ({machine['arch']}), "
        f"{machine['memory_mib']} MiB, Linux {machine['kernel']}; Python {machine['python']}, "
        f"paho-mqtt {machine['paho_mqtt']}, pycharge {machine['pycharge']}",
        f"Run: {'quick' if options['quick'] else 'full'}, {machine['date']}, load average at "
        f"start {load}; config {options['config']}; broker {options['broker']}",
    ]


def bus_table(rows: list[dict[str, Any]]) -> list[str]:
    lines = ["### Bus: two modules in one process, QoS 1 (bench/modules)", "",
             "| Broker | command round trips/s | variable publications/s |", "|---|---:|---:|"]
    for row in rows:
        partial = "" if row["all_delivered"] else " (not all delivered)"
        lines.append(f"| {row['broker']} | {row['round_trips_per_s']} | "
                     f"{row['publications_per_s']}{partial} |")
    return lines


def latency_table(latency: dict[str, Any]) -> list[str]:
    lines = [f"### Reaction latency on the simulated board's clock (ms; {latency['sessions']} "
             f"sessions, {latency['workers']} worker process(es), {latency['wall_s']:.0f} s)", "",
             "The configuration with `rcm_enable: true` on the board driver (bsp-only.yaml "
             "has no RCM); the benchmark plays a regulated car (C 100 ms after PWM appears); "
             "the 10 s minimum close interval is 0 here. Coil: the driver switched the relay; "
             "contact: the modelled relay (15 ms later) opened or closed.", "",
             "| Event -> reaction | events | p50 | p99 | max | contact p99 | contact max | missed |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for figure in latency["figures"].values():
        main = figure.get("coil") or figure.get("pwm")
        contact = figure.get("contact") or {}
        count = (main or {}).get("count", 0) + figure["missed"]
        lines.append(f"| {figure['label']} | {count} | {_ms((main or {}).get('p50'))} | "
                     f"{_ms((main or {}).get('p99'))} | {_ms((main or {}).get('max'))} | "
                     f"{_ms(contact.get('p99'))} | {_ms(contact.get('max'))} | "
                     f"{figure['missed']} |")
    interval = latency.get("close_interval")
    if interval and "error" in interval:
        lines += ["", f"Minimum close interval: not measured ({interval['error']})."]
    elif interval:
        lines += ["", f"Minimum close interval (shipped {interval['shipped_s']:.0f} s, left out "
                      f"above): two closings {interval['close_to_close_s']:.3f} s apart; the "
                      f"second was held back {interval['held_back_s']:.3f} s."]
    if latency["incidents"]:
        lines += ["", "Incidents (counted, not timed): " + "; ".join(
            f"{text} x{count}" for text, count in sorted(latency["incidents"].items()))]
    return lines


def footprint_table(modes: list[dict[str, Any]]) -> list[str]:
    lines = ["### Footprint and CPU of `pycharge run --sim` (broker apart)", "",
             "| Mode | State | processes | threads | fds | PSS MiB | RSS MiB (peak) | "
             "CPU % of one core |", "|---|---|---:|---:|---:|---:|---:|---:|"]
    for mode in modes:
        for state, label in (("idle", "idle, no car"), ("charging", "charging")):
            row = mode.get(state)
            if row:
                lines.append(f"| {mode['mode']} | {label} ({row['seconds']:.0f} s) | "
                             f"{row['processes']} | {row['threads']} | {row['fds']} | "
                             f"{_mib(row['pss_kib'])} | {_mib(row['rss_kib'])} "
                             f"({_mib(row['peak_rss_kib'])}) | {row['cpu_percent']:.1f} |")
    return lines


def startup_table(modes: list[dict[str, Any]]) -> list[str]:
    lines = ["### Start-up and stop (wall clock, s, median of the runs)", "",
             "| Mode | runs | exec -> all modules ready | exec -> first CP state | "
             "SIGTERM -> exit |", "|---|---:|---:|---:|---:|"]
    for mode in modes:
        runs = mode["runs"]
        if runs:
            lines.append(f"| {mode['mode']} | {len(runs)} | "
                         + " | ".join(f"{median([r[k] for r in runs]):.2f}"
                                      for k in ("ready_s", "first_cp_s", "stop_s")) + " |")
    return lines


def board_table(board: dict[str, Any]) -> list[str]:
    calibration = board["calibration"]
    lines = [f"### The stack on the emulated board (QEMU Cortex-A7, icount shift "
             f"{board['icount_shift']}: guest clock, not the host's)", "",
             f"Calibration workload: {calibration['us_per_round']:.1f} µs per round in the guest, "
             f"{board['host_calibration']['us_per_round']:.2f} on this host "
             f"({board['slowdown']:.1f}x slower).", "",
             f"Start-up: exec -> every module ready {board['startup']['ready_s']:.2f} s, "
             f"-> first CP state {board['startup']['first_cp_s']:.2f} s; relays closed "
             f"{board['charging_start']['relays_closed_after_s']:.2f} s after plugging in.", "",
             "| State | CPU % of the core | threads | PSS MiB | RSS MiB | wakeups/s, busiest "
             "threads |", "|---|---:|---:|---:|---:|---|"]
    for state, label in (("idle", "idle, no car"), ("charging", "charging at 16 A")):
        row = board[state]
        busiest = sorted(row["wakeups_per_s"].items(), key=lambda kv: -kv[1])[:4]
        lines.append(f"| {label} ({row['seconds']:.0f} s) | {row['cpu_percent']:.1f} | "
                     f"{row['threads']} | {_mib(row['pss_kib'])} | {_mib(row['rss_kib'])} | "
                     + ", ".join(f"{name} {rate:g}" for name, rate in busiest) + " |")
    return lines


def ocpp_table(ocpp: dict[str, Any], board: dict[str, Any] | None) -> list[str]:
    """bsp-only-ocpp.yaml idle on the emulated board, and what it adds to bsp-only.yaml."""
    idle = ocpp["idle"]
    lines = ["### With the OCPP module on the emulated board (bsp-only-ocpp.yaml, a CSMS on "
             "loopback in the guest, idle, no car)", "",
             f"Start-up: exec -> every module ready {ocpp['startup']['ready_s']:.2f} s.", "",
             "| Config | CPU % of the core | threads | PSS MiB | RSS MiB |",
             "|---|---:|---:|---:|---:|",
             f"| bsp-only-ocpp.yaml ({idle['seconds']:.0f} s) | {idle['cpu_percent']:.2f} | "
             f"{idle['threads']} | {_mib(idle['pss_kib'])} | {_mib(idle['rss_kib'])} |"]
    if board is not None:
        base = board["idle"]
        lines.append(f"| added by OCPP over bsp-only.yaml | "
                     f"{idle['cpu_percent'] - base['cpu_percent']:+.2f} | "
                     f"{idle['threads'] - base['threads']:+d} | "
                     f"{(idle['pss_kib'] - base['pss_kib']) / 1024:+.1f} | "
                     f"{(idle['rss_kib'] - base['rss_kib']) / 1024:+.1f} |")
    return lines


def markdown(results: dict[str, Any], checks: list[tuple[bool, str]]) -> str:
    lines = ["## pycharge benchmarks", "", *machine_lines(results["machine"], results["options"])]
    if results.get("bus"):
        lines += ["", *bus_table(results["bus"])]
    if results.get("latency"):
        lines += ["", *latency_table(results["latency"])]
    if results.get("stack"):
        lines += ["", *footprint_table(results["stack"]), "", *startup_table(results["stack"])]
    if results.get("board"):
        lines += ["", *board_table(results["board"])]
    if results.get("board-ocpp"):
        lines += ["", *ocpp_table(results["board-ocpp"], results.get("board"))]
    for section, error in results.get("errors", {}).items():
        lines += ["", f"**{section}: not measured**: {error}"]
    if checks:
        lines += ["", "### Hard limits", ""]
        lines += [f"- {'PASS' if ok else 'FAIL'}: {text}" for ok, text in checks]
    return "\n".join(lines)

