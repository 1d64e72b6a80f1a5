"""The brokers a benchmark can run against, each yielding a BrokerAddress.

mosquitto and the embedded broker in a process of its own come from ``broker_throughput.py``;
``amqtt`` the maintained Python broker (for comparison; not installed with pycharge);
``embedded-in-process`` is what ``pycharge run --sim`` does by default (the broker shares the
stack's process); ``HOST:PORT`` uses a broker that is already running (the board's mosquitto).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.broker_throughput import amqtt_broker, embedded_broker, mosquitto_broker
from pycharge.runtime.mqtt import BrokerAddress

MOSQUITTO, EMBEDDED_PROCESS, EMBEDDED_IN_PROCESS = "mosquitto", "embedded", "embedded-in-process"
AMQTT = "amqtt"  # the maintained Python broker, for comparison (pip install amqtt)
LOCAL = "127.0.0.1"


def mosquitto_binary() -> str | None:
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    return binary if Path(binary).exists() else None


def default_kind() -> str:
    """mosquitto (what the board runs) where installed, else the embedded broker."""
    return MOSQUITTO if mosquitto_binary() else EMBEDDED_PROCESS


@contextmanager
def running_broker(kind: str) -> Iterator[BrokerAddress]:
    """Start the broker ``kind`` on a free port (or use the address ``kind``) until exit."""
    if kind == MOSQUITTO:
        binary = mosquitto_binary()
        if binary is None:
            raise RuntimeError("mosquitto is not installed (Debian package 'mosquitto')")
        with mosquitto_broker(binary) as port:
            yield BrokerAddress(LOCAL, port)
    elif kind == EMBEDDED_PROCESS:
        with embedded_broker() as port:
            yield BrokerAddress(LOCAL, port)
    elif kind == AMQTT:
        with amqtt_broker() as port:
            yield BrokerAddress(LOCAL, port)
    elif kind == EMBEDDED_IN_PROCESS:
        from pycharge.broker import EmbeddedBroker
        broker = EmbeddedBroker(port=0)
        broker.start()
        try:
            yield BrokerAddress(LOCAL, broker.port)
        finally:
            broker.stop()
    else:
        yield BrokerAddress.parse(kind)
