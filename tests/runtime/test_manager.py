"""The manager: ready handshake, supervision and restarts, orderly stop, systemd notify."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from pycharge.runtime.manager import MODULE_FAULT, Manager
from pycharge.runtime.module import CommandError
from tests.conftest import EXAMPLE_MODULES, Mosquitto
from tests.runtime.conftest import EXAMPLE_CONFIG
from tests.support.stack import running, write_config
from tests.support.waiting import wait_until


def test_ready_is_called_only_after_every_module_is_initialised(stack: Manager) -> None:
    provider, user = stack.host("provider").module, stack.host("user").module
    wait_until(lambda: hasattr(provider, "ready_at"), what="provider ready")
    assert max(provider.initialised_at, user.initialised_at) < min(provider.ready_at,
                                                                   user.ready_at)
    assert user.ready_results == [10.0]  # the provider answered during the user's ready()


def restarted(stack: Manager, module_id: str, count: int = 1) -> None:
    wait_until(lambda: stack.status()[module_id]["restarts"] == count
               and stack.status()[module_id]["ready"], timeout=10, what=f"{module_id} restarted")


@pytest.fixture
def watchdog(request: pytest.FixtureRequest) -> float:
    """A short watchdog for the hang case only: a slow machine may take a while elsewhere."""
    callspec = getattr(request.node, "callspec", None)
    return 1.0 if callspec is not None and callspec.params.get("how") == "hang" else 10.0


@pytest.mark.parametrize("how", ["raise in a handler", "thread dies", "hang"])
def test_a_failing_module_is_restarted_alone_and_dependents_are_told(stack: Manager,
                                                                     how: str) -> None:
    old = stack.host("provider").module
    user = stack.host("user").module
    link = user.connection("provider")
    if how == "raise in a handler":
        with pytest.raises(CommandError):
            link.call("fail")
    elif how == "thread dies":
        link.call("die")
    else:
        link.call_async("block", seconds=3.0, timeout=0.1)
    restarted(stack, "provider")
    new = stack.host("provider").module
    assert new is not old
    assert old.safe_state_called
    wait_until(lambda: hasattr(new, "ready_at"), what="ready() of the new instance")
    assert stack.status()["user"]["restarts"] == 0
    wait_until(lambda: [e for e in user.cleared if e.type == MODULE_FAULT],
               what="ModuleFault cleared at the user")
    fault = next(e for e in user.raised if e.type == MODULE_FAULT)
    assert fault.origin == {"module_id": "provider", "implementation_id": "main"}
    assert fault.severity == "High"
    assert link.call("add", a=1, b=1) == 4.0


def test_restarts_back_off(stack: Manager) -> None:
    link = stack.host("user").module.connection("provider")
    for expected in (1, 2):
        with pytest.raises(CommandError):
            link.call("fail")
        restarted(stack, "provider", expected)
    assert stack._supervised["provider"].backoff == 4.0


def test_stop_order_puts_dependents_first(stack: Manager) -> None:
    assert stack.stop_order() == ["user", "provider"]


def test_stop_calls_shutdown(tmp_path: Path, mosquitto: Mosquitto) -> None:
    path = write_config(tmp_path, EXAMPLE_CONFIG)
    with running(path, mosquitto.address, [EXAMPLE_MODULES]) as manager:
        provider = manager.host("provider").module
    assert provider.shutdown_called


@pytest.fixture
def notify_socket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[socket.socket]:
    path = tmp_path / "notify"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(5)
    monkeypatch.setenv("NOTIFY_SOCKET", str(path))
    monkeypatch.setenv("WATCHDOG_USEC", "100000")
    yield sock
    sock.close()


def test_systemd_is_told_ready_and_fed(tmp_path: Path, mosquitto: Mosquitto,
                                       notify_socket: socket.socket) -> None:
    path = write_config(tmp_path, EXAMPLE_CONFIG)
    with running(path, mosquitto.address, [EXAMPLE_MODULES]):
        messages = [notify_socket.recv(256).decode() for _ in range(3)]
    assert messages[0].startswith("READY=1")
    assert messages[1:] == ["WATCHDOG=1", "WATCHDOG=1"]


def test_watchdog_is_not_fed_while_the_manager_hangs(tmp_path: Path, mosquitto: Mosquitto,
                                                     notify_socket: socket.socket,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """systemd restarts a hung manager because the WATCHDOG=1 datagrams stop."""
    hang = threading.Event()
    release = threading.Event()
    path = write_config(tmp_path, EXAMPLE_CONFIG)
    with running(path, mosquitto.address, [EXAMPLE_MODULES]) as manager:
        original = manager.supervise_once

        def supervise_or_hang() -> None:
            if hang.is_set():
                release.wait()
            original()

        monkeypatch.setattr(manager, "supervise_once", supervise_or_hang)
        assert notify_socket.recv(256).startswith(b"READY=1")
        assert notify_socket.recv(256) == b"WATCHDOG=1"
        hang.set()
        notify_socket.settimeout(0.1)
        while True:  # drain a feed that was already under way
            try:
                notify_socket.recv(256)
            except TimeoutError:
                break
        notify_socket.settimeout(1.0)
        with pytest.raises(TimeoutError):
            notify_socket.recv(256)  # 10 watchdog periods without a feed
        release.set()
        notify_socket.settimeout(5)
        assert notify_socket.recv(256) == b"WATCHDOG=1"
