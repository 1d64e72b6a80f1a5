"""Which machine the numbers come from: they mean little without it."""

from __future__ import annotations

import os
import platform
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.procfs import PROC, parse_kib


def cpu_model(cpuinfo: str) -> str:
    """x86's ``model name``; on ARM ``model name``/``Processor`` plus ``Hardware`` if given."""
    fields: dict[str, str] = {}
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    model = fields.get("model name") or fields.get("Processor") or fields.get("cpu model") \
        or platform.processor() or "unknown CPU"
    hardware = fields.get("Hardware")
    return f"{model} ({hardware})" if hardware else model


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def describe(proc: Path = PROC) -> dict[str, Any]:
    try:
        cpuinfo = (proc / "cpuinfo").read_text()
        meminfo = (proc / "meminfo").read_text()
    except OSError:
        cpuinfo = meminfo = ""
    return {
        "cpu": cpu_model(cpuinfo),
        "cores": os.cpu_count(),
        "arch": platform.machine(),
        "kernel": platform.release(),
        "memory_mib": round(parse_kib(meminfo, "MemTotal") / 1024),
        "python": platform.python_version(),
        "paho_mqtt": _version("paho-mqtt"),
        "pycharge": _version("pycharge"),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
    }
