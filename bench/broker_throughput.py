"""Messages per second, publish -> deliver, through the embedded broker and through mosquitto.

Each broker runs in its own process; one publisher and one subscriber speak MQTT from this
process over raw sockets with pre-encoded packets, so the clients cost little next to the broker.
For QoS 1 the publisher keeps at most ``--window`` messages unacknowledged (like paho's
max_inflight) and the subscriber acknowledges every message.

    python bench/broker_throughput.py [--count 50000] [--payload 64] [--window 100]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import selectors
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from pycharge.broker.codec import encode_packet, encode_publish

TOPIC = b"bench/throughput"
EMBEDDED = ("import sys\nfrom pycharge.broker import EmbeddedBroker\n"
            "broker = EmbeddedBroker(port=0)\nbroker.start()\nprint(broker.port, flush=True)\n"
            "sys.stdin.read()\nbroker.stop()\n")
# amqtt (PyPI), the maintained asyncio broker, for comparison only: it is no dependency of ours.
AMQTT = ("import asyncio, socket, sys\nfrom amqtt.broker import Broker\n"
         "async def main():\n"
         "    probe = socket.socket(); probe.bind(('127.0.0.1', 0))\n"
         "    port = probe.getsockname()[1]; probe.close()\n"
         "    broker = Broker({'listeners': {'default': {'type': 'tcp', "
         "'bind': f'127.0.0.1:{port}'}}, 'plugins': {"
         "'amqtt.plugins.authentication.AnonymousAuthPlugin': {'allow_anonymous': True}}})\n"
         "    await broker.start(); print(port, flush=True)\n"
         "    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)\n"
         "    await broker.shutdown()\n"
         "asyncio.run(main())\n")


def _string(data: bytes) -> bytes:
    return struct.pack("!H", len(data)) + data


def _read_exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("broker closed the connection")
        data += chunk
    return data


def _client(port: int, client_id: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    keepalive = 0   # no PINGREQ in the middle of the measured stream
    sock.sendall(encode_packet(0x10, _string(b"MQTT") + bytes((4, 2)) + struct.pack("!H", keepalive)
                         + _string(client_id.encode())))
    if _read_exactly(sock, 4) != b"\x20\x02\x00\x00":
        raise ConnectionError("CONNECT refused")
    return sock


def measure(port: int, qos: int, count: int, payload_size: int, window: int) -> tuple[int, float]:
    """(messages delivered, seconds from the first publish to the last delivery)."""
    publisher, subscriber = _client(port, "bench-pub"), _client(port, "bench-sub")
    subscriber.sendall(encode_packet(0x82, b"\x00\x01" + _string(TOPIC) + bytes((qos,))))
    _read_exactly(subscriber, 5)
    payload = bytes(payload_size)
    # QoS 1 identifiers cycle through 1..60000; the window keeps them unique in flight.
    packets = [encode_publish(TOPIC, payload, qos, False, i % 60000 + 1) for i in range(count)]
    size = len(packets[0])
    limit = count if qos == 0 else window
    sel = selectors.DefaultSelector()
    for sock in (publisher, subscriber):
        sock.setblocking(False)
        sel.register(sock, selectors.EVENT_READ)
    sent = acked_bytes = received = 0
    out, acks, incoming = bytearray(), bytearray(), bytearray()
    writing = {publisher: False, subscriber: False}
    started = last = time.perf_counter()
    while received < count and time.perf_counter() - last < 5.0:
        batch = min(count, acked_bytes // 4 + limit) - sent   # a PUBACK is 4 bytes
        if batch > 0:
            out += b"".join(packets[sent:sent + batch])
            sent += batch
        for sock, pending in ((publisher, out), (subscriber, acks)):
            if pending:
                with suppress(BlockingIOError):
                    del pending[:sock.send(pending)]
            if writing[sock] != bool(pending):   # wait for room instead of spinning
                writing[sock] = bool(pending)
                events = selectors.EVENT_READ | (selectors.EVENT_WRITE if pending else 0)
                sel.modify(sock, events)
        for key, mask in sel.select(1.0):
            if not mask & selectors.EVENT_READ:
                continue
            data = key.fileobj.recv(1 << 20)
            if not data:
                raise ConnectionError("broker closed the connection")
            if key.fileobj is publisher:
                acked_bytes += len(data)
                continue
            last = time.perf_counter()
            incoming += data
            received += _take_deliveries(incoming, acks, qos, size, payload_size)
    elapsed = last - started
    publisher.close()
    subscriber.close()
    return received, elapsed


def _take_deliveries(incoming: bytearray, acks: bytearray, qos: int, size: int,
                     payload_size: int) -> int:
    """Consume the whole PUBLISH packets (all ``size`` bytes long), queue their PUBACKs."""
    whole = len(incoming) // size
    if qos:
        with memoryview(incoming) as view:
            for index in range(whole):
                start = index * size + size - payload_size - 2   # the packet identifier
                acks += b"\x40\x02" + view[start:start + 2]
    del incoming[:whole * size]
    return whole


@contextmanager
def python_broker(program: str) -> Iterator[int]:
    """A broker written in Python, in a process of its own: it prints its port, stops at EOF."""
    process = subprocess.Popen([sys.executable, "-c", program], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
    try:
        yield int(process.stdout.readline())
    finally:
        process.stdin.close()
        process.wait(10)


def embedded_broker() -> contextlib.AbstractContextManager[int]:
    return python_broker(EMBEDDED)


def amqtt_broker() -> contextlib.AbstractContextManager[int]:
    return python_broker(AMQTT)


@contextmanager
def mosquitto_broker(binary: str) -> Iterator[int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with tempfile.TemporaryDirectory() as directory:
        conf = Path(directory) / "mosquitto.conf"
        conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
        process = subprocess.Popen([binary, "-c", str(conf)], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.02)
            yield port
        finally:
            process.terminate()
            process.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=50000, help="messages per run")
    parser.add_argument("--payload", type=int, default=64, help="payload bytes per message")
    parser.add_argument("--window", type=int, default=100, help="QoS 1 messages in flight")
    args = parser.parse_args()
    brokers = [("embedded", embedded_broker)]
    if importlib.util.find_spec("amqtt"):
        brokers.append(("amqtt", amqtt_broker))
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    if Path(binary).exists():
        brokers.append(("mosquitto", lambda: mosquitto_broker(binary)))
    else:
        print("mosquitto not installed: measuring the embedded broker only")
    print(f"{args.count} messages of {args.payload} bytes, one publisher, one subscriber")
    for name, start in brokers:
        for qos in (0, 1):
            with start() as port:
                received, elapsed = measure(port, qos, args.count, args.payload, args.window)
            print(f"{name:<10} QoS {qos}: {received / elapsed:>9.0f} messages/s "
                  f"({received}/{args.count} delivered in {elapsed:.2f} s)")


if __name__ == "__main__":
    main()
