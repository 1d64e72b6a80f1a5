#!/usr/bin/env python3
"""EVerest's ``manager`` as the OCPP suite's harness starts it, running pycharge instead.

``manager --config F --status-fifo FIFO --prefix P [--standalone M]``: the EVerest config F is
rewritten into a pycharge one (convert.py), ``pycharge run --sim`` runs it as a child on the
harness's broker (MQTT_SERVER_ADDRESS/PORT), and ALL_MODULES_STARTED goes to the FIFO once the
child reports READY=1 over the systemd notify protocol (every module ready). SIGINT or SIGTERM
stop the child with SIGTERM; the exit code is the child's.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the project, for tests.ocpp16
from tests.ocpp16.convert import convert

log = logging.getLogger("ocpp16.manager")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--status-fifo", type=Path)
    parser.add_argument("--prefix", type=Path)
    parser.add_argument("--standalone", action="append", default=[])
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s manager %(levelname)s %(message)s")
    if args.standalone:
        log.error("--standalone %s: standalone (probe) modules are out of scope for pycharge",
                  args.standalone)
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="pycharge-", dir=args.config.parent))
    converted = workdir / "pycharge.yaml"
    converted.write_text(yaml.safe_dump(convert(yaml.safe_load(args.config.read_text()), workdir)))
    log.info("pycharge config: %s", converted)
    host = os.environ.get("MQTT_SERVER_ADDRESS", "127.0.0.1")
    broker = f"{host}:{os.environ.get('MQTT_SERVER_PORT', '1883')}"
    notify_path = workdir / "notify.sock"
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(notify_path))
    env = dict(os.environ, NOTIFY_SOCKET=str(notify_path))
    child = subprocess.Popen([sys.executable, "-m", "pycharge", "run", "--sim", "--broker", broker,
                              str(converted)], env=env, stdout=sys.stderr)
    stopping = False  # a stop asked for before READY: no ALL_MODULES_STARTED

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    notify.settimeout(0.5)
    announced = False
    while child.poll() is None:
        try:
            message = notify.recv(4096).decode(errors="replace")
        except (TimeoutError, InterruptedError):
            continue
        if not announced and not stopping and "READY=1" in message.splitlines():
            announced = True
            log.info("every module ready")
            if args.status_fifo:
                with open(args.status_fifo, "w") as fifo:
                    fifo.write("ALL_MODULES_STARTED\n")
    notify.close()
    return child.wait()


if __name__ == "__main__":
    sys.exit(main())
