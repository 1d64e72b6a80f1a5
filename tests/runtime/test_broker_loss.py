"""The broker goes away and comes back: modules reconnect, nothing runs twice, state returns."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pycharge.runtime.module import NOT_CONNECTED, CommandError
from tests.conftest import EXAMPLE_MODULES, Mosquitto
from tests.runtime.conftest import EXAMPLE_CONFIG
from tests.support.probe import Probe
from tests.support.stack import running, write_config
from tests.support.waiting import wait_until


def test_modules_reconnect_and_resubscribe(tmp_path: Path, private_mosquitto: Mosquitto) -> None:
    path = write_config(tmp_path, EXAMPLE_CONFIG)
    with running(path, private_mosquitto.address, [EXAMPLE_MODULES]) as manager:
        user = manager.host("user").module
        link = user.connection("provider")
        wait_until(lambda: user.ready_results, what="ready")
        link.call("set_error", active=True, sub_type="before")
        calls_before = manager.host("provider").module.add_calls

        private_mosquitto.stop()
        wait_until(lambda: not manager.connection.connected.is_set(), what="disconnect seen")
        with pytest.raises(CommandError) as caught:
            link.call("add", a=1, b=1)
        assert caught.value.kind == NOT_CONNECTED
        private_mosquitto.start()

        wait_until(manager.connection.connected.is_set, timeout=15, what="reconnect")
        assert wait_until(lambda: _try_add(link), timeout=10, what="a call after reconnect") == 4.0
        assert manager.host("provider").module.add_calls == calls_before + 1  # nothing ran twice
        seen = len(user.seen_counter)
        wait_until(lambda: len(user.seen_counter) > seen + 2, what="variables flowing again")
        assert manager.status()["provider"]["restarts"] == 0

        # the restarted broker had no retained state; the modules sent theirs again
        probe = Probe(private_mosquitto.address)
        try:
            topic = manager.topics.error("provider", "main", "example/Broken")
            probe.subscribe(topic)
            probe.subscribe(manager.topics.global_ready)
            probe.wait_for(lambda messages: (manager.topics.global_ready, b"true") in messages)
            state = probe.wait_for(lambda messages: next(
                (json.loads(p) for t, p in messages if t == topic), None))
            assert [e["sub_type"] for e in state["active"]] == ["before"]
        finally:
            probe.close()


def _try_add(link) -> float | None:
    try:
        return link.call("add", a=1, b=1, timeout=1.0)
    except CommandError:
        return None
