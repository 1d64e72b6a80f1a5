"""The target's mosquitto: reachable from the charger only, unless a secured listener is added.

The configuration meta-pycharge installs as /etc/mosquitto/mosquitto.conf is read and judged
(``mosquitto_conf``), then run for real, changed only in its port and include_dir: a client on
loopback gets in, a client on any other address of this machine is refused.

An external listener is described in ``mosquitto/`` (a conf.d drop-in and an ACL): TLS, a
password per client, and an ACL that lets an HMI read the classic API and send its commands,
nothing else. That description is run for real on top of the shipped file, with a throw-away
certificate and password file: the stack (anonymous, loopback) still connects; anonymous or
wrongly authenticated network clients and plain TCP are refused; the HMI cannot touch the
internal bus.
"""

from __future__ import annotations

import fcntl
import json
import re
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as paho
import pytest

from pycharge.runtime.mqtt import PAHO_2
from tests.conftest import Mosquitto, free_port
from tests.reliability.mosquitto_conf import exposure, read, ready_for_an_external_listener
from tests.support import host_tools

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "meta-pycharge/recipes-connectivity/mosquitto/files/pycharge-localhost.conf"
DESCRIPTION = Path(__file__).parent / "mosquitto"
SIOCGIFADDR = 0x8915


@pytest.fixture
def readable_dir() -> Iterator[Path]:
    """A folder mosquitto can read after it dropped root for its own user (pytest's tmp_path
    is private to root)."""
    directory = Path(tempfile.mkdtemp(prefix="pycharge-mosquitto-"))
    directory.chmod(0o755)
    yield directory
    shutil.rmtree(directory)


def non_loopback_addresses() -> list[str]:
    """Every IPv4 and IPv6 address of this machine that is not loopback or link-local."""
    found = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for _index, name in socket.if_nameindex():
            try:
                packed = fcntl.ioctl(sock.fileno(), SIOCGIFADDR,
                                     struct.pack("256s", name[:15].encode()))
            except OSError:
                continue  # no IPv4 address on this interface
            found.append(socket.inet_ntoa(packed[20:24]))
    inet6 = Path("/proc/net/if_inet6")
    for line in inet6.read_text().splitlines() if inet6.exists() else []:
        raw = line.split()[0]
        found.append(socket.inet_ntop(socket.AF_INET6, bytes.fromhex(raw)))
    return [a for a in found if not a.startswith(("127.", "::1", "fe80"))]


def connect(host: str, port: int, user: str | None = None, password: str | None = None,
            ca: Path | None = None) -> str:
    """"accepted", "refused by the broker", or the name of the connection error."""
    client = paho.Client(paho.CallbackAPIVersion.VERSION2) if PAHO_2 else paho.Client()
    answered = threading.Event()
    result: list[int] = []

    def on_connect(*args: object) -> None:
        result.append(int(getattr(args[3], "value", args[3])))
        answered.set()

    client.on_connect = on_connect
    if ca is not None:
        client.tls_set(ca_certs=str(ca))
    if user is not None:
        client.username_pw_set(user, password)
    try:
        client.connect(host, port, keepalive=5)
    except OSError as exc:
        return type(exc).__name__
    client.loop_start()
    try:
        if not answered.wait(5):
            return "no answer"
        return "accepted" if result[0] == 0 else "refused by the broker"
    finally:
        client.disconnect()
        client.loop_stop()


def adapted(conf: Path, ports: dict[int, int], paths: dict[str, str]) -> str:
    """``conf`` with its listener ports and its paths replaced, nothing else."""
    text = conf.read_text()
    for old, new in ports.items():
        text = re.sub(rf"^listener {old}\b", f"listener {new}", text, flags=re.MULTILINE)
    for old, new in paths.items():
        text = text.replace(old, new)
    return text


def start(directory: Path, main_conf: str, port: int) -> Mosquitto:
    broker = Mosquitto(directory)
    broker.conf.write_text(main_conf)
    broker.conf.chmod(0o644)
    broker.port = port
    broker.start()
    return broker


# -- the shipped file, read ---------------------------------------------------------------------
def test_shipped_configuration_listens_on_loopback_only(tmp_path: Path) -> None:
    conf = read(SHIPPED, include_dir=tmp_path)  # the image ships no drop-ins
    assert conf.listeners, "no listener: mosquitto would pick its own default"
    assert all(listener.local_only for listener in conf.listeners)
    assert exposure(conf) == []


@pytest.mark.parametrize(("text", "problem"), [
    ("listener 1883\nallow_anonymous true\n", "every interface is reachable"),
    ("port 1883\n", "default listener"),
    ("listener 1883 0.0.0.0\nallow_anonymous true\n", "without TLS"),
    ("per_listener_settings true\nlistener 8883 192.0.2.2\ncertfile c\nkeyfile k\n"
     "allow_anonymous true\npassword_file p\n", "anonymous"),
    ("listener 1883 127.0.0.1\nallow_anonymous true\nlistener 8883\ncertfile c\nkeyfile k\n"
     "password_file p\n", "anonymous"),
    ("listener 1883 charger.local\nallow_anonymous true\n", "without TLS"),
])
def test_exposure_is_recognised(tmp_path: Path, text: str, problem: str) -> None:
    """The judge itself: each of these opens the bus to the network."""
    path = tmp_path / "mosquitto.conf"
    path.write_text(text)
    problems = exposure(read(path))
    assert problems, problem


def test_the_described_drop_in_is_accepted_by_the_rules(tmp_path: Path) -> None:
    conf_d = tmp_path / "conf.d"
    conf_d.mkdir()
    shutil.copy(DESCRIPTION / "pycharge-external.conf", conf_d / "pycharge-external.conf")
    conf = read(SHIPPED, include_dir=conf_d)
    assert ready_for_an_external_listener(conf) == []
    assert [listener.local_only for listener in conf.listeners] == [True, False]
    assert exposure(conf) == []


# -- the shipped file, run ----------------------------------------------------------------------
def test_shipped_configuration_refuses_network_clients(readable_dir: Path) -> None:
    addresses = non_loopback_addresses()
    assert addresses, "this machine has no address but loopback: nothing to show"
    port = free_port()
    conf_d = readable_dir / "conf.d"
    conf_d.mkdir(mode=0o755)
    broker = start(readable_dir, adapted(SHIPPED, {1883: port},
                                         {"/etc/mosquitto/conf.d": str(conf_d)}), port)
    try:
        assert connect("127.0.0.1", port) == "accepted"
        for address in addresses:
            assert connect(address, port) == "ConnectionRefusedError", address
    finally:
        broker.stop()


# -- the described external listener, run -------------------------------------------------------
@pytest.fixture
def external(readable_dir: Path) -> Iterator[dict]:
    """The shipped file plus the described drop-in, ACL, a certificate and a password file."""
    certs = readable_dir / "certs"
    certs.mkdir(mode=0o755)
    crt, key = certs / "pycharge-server.crt", certs / "pycharge-server.key"
    address = non_loopback_addresses()[0]
    subprocess.run([host_tools.path("openssl"), "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-keyout", str(key), "-out", str(crt), "-subj", "/CN=pycharge-test",
                    "-addext", f"subjectAltName=IP:{address}"],
                   check=True, capture_output=True)
    passwd = readable_dir / "pycharge.passwd"
    subprocess.run([host_tools.path("mosquitto_passwd"), "-c", "-b", str(passwd), "hmi", "right"], check=True,
                   capture_output=True)
    shutil.copy(DESCRIPTION / "pycharge.acl", readable_dir / "pycharge.acl")
    for path in (crt, key, passwd, readable_dir / "pycharge.acl"):
        path.chmod(0o644)
    conf_d = readable_dir / "conf.d"
    conf_d.mkdir(mode=0o755)
    local, remote = free_port(), free_port()
    (conf_d / "pycharge-external.conf").write_text(adapted(
        DESCRIPTION / "pycharge-external.conf", {8883: remote},
        {"/etc/mosquitto": str(readable_dir)}))
    (conf_d / "pycharge-external.conf").chmod(0o644)
    main = adapted(SHIPPED, {1883: local}, {"/etc/mosquitto/conf.d": str(conf_d)})
    problems = ready_for_an_external_listener(read(SHIPPED, include_dir=conf_d))
    broker = start(readable_dir, main, local)
    try:
        yield {"local": local, "remote": remote, "address": address, "ca": crt,
               "problems": problems}
    finally:
        broker.stop()


def test_the_stack_keeps_its_loopback_listener(external: dict) -> None:
    assert connect("127.0.0.1", external["local"]) == "accepted", external["problems"]
    assert external["problems"] == []


def test_the_external_listener_wants_tls_and_a_password(external: dict) -> None:
    address, port, ca = external["address"], external["remote"], external["ca"]
    assert connect(address, port, "hmi", "right", ca) == "accepted"
    assert connect(address, port, ca=ca) == "refused by the broker"
    assert connect(address, port, "hmi", "wrong", ca) == "refused by the broker"
    assert connect(address, port, "hmi", "right") != "accepted"  # plain TCP: no TLS, no entry
    assert connect(address, external["local"]) == "ConnectionRefusedError"


def test_the_acl_keeps_the_hmi_to_the_api(external: dict) -> None:
    if connect("127.0.0.1", external["local"]) != "accepted":
        pytest.fail(f"the stack cannot connect: {external['problems']}")
    local = _Listening("127.0.0.1", external["local"])
    hmi = _Listening(external["address"], external["remote"], "hmi", "right", external["ca"])
    try:
        allowed = ("everest_api/connector/cmd/pause_charging", "")
        forbidden = (("everest/modules/connector/impl/evse/cmd/pause_charging",
                      json.dumps({"id": "1", "origin": "hmi", "args": {}})),
                     ("everest_api/connector/var/session_info", "{}"),
                     ("everest_external/nodered/1/carsim/cmd/enable", "false"))
        for topic, payload in (allowed, *forbidden):
            hmi.client.publish(topic, payload, qos=1).wait_for_publish(5)
        local.client.publish("everest/modules/connector/heartbeat", "1", qos=1)
        local.client.publish("everest_api/connector/var/session_info", "{}", qos=1)
        local.wait_for(allowed[0])
        hmi.wait_for("everest_api/connector/var/session_info")
        local.client.publish("everest_api/connector/var/datetime", "now", qos=1)
        local.wait_for("everest_api/connector/var/datetime")  # later than all of the above
        hmi.wait_for("everest_api/connector/var/datetime")
        assert [t for t, _ in local.messages if t in {f[0] for f in forbidden}] == [
            "everest_api/connector/var/session_info"]  # only the stack's own
        assert not [t for t, _ in hmi.messages if t.startswith("everest/")]
    finally:
        local.close()
        hmi.close()


class _Listening:
    """A client subscribed to everything it may read."""

    def __init__(self, host: str, port: int, user: str | None = None,
                 password: str | None = None, ca: Path | None = None) -> None:
        self.client = paho.Client(paho.CallbackAPIVersion.VERSION2) if PAHO_2 else paho.Client()
        self.messages: list[tuple[str, bytes]] = []
        self._changed = threading.Condition()
        self.client.on_message = self._on_message
        if ca is not None:
            self.client.tls_set(ca_certs=str(ca))
        if user is not None:
            self.client.username_pw_set(user, password)
        subscribed = threading.Event()
        self.client.on_subscribe = lambda *_args: subscribed.set()
        self.client.connect(host, port)
        self.client.loop_start()
        self.client.subscribe("#", 1)
        assert subscribed.wait(5)

    def _on_message(self, _client: object, _userdata: object, message: paho.MQTTMessage) -> None:
        with self._changed:
            self.messages.append((message.topic, message.payload))
            self._changed.notify_all()

    def wait_for(self, topic: str) -> None:
        with self._changed:
            assert self._changed.wait_for(lambda: any(t == topic for t, _ in self.messages), 5), \
                f"{topic} not seen; saw {[t for t, _ in self.messages]}"

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
