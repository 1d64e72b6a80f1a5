"""Embedded MQTT 3.1.1 broker, so that ``pycharge run --sim`` needs nothing else on a laptop.

The board runs mosquitto; this broker is a convenience, but the bus tests run against it too.
"""

from pycharge.broker.server import EmbeddedBroker

__all__ = ["EmbeddedBroker"]
