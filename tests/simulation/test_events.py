"""The event log's query API."""

from __future__ import annotations

import threading

import pytest

from pycharge.simulation.events import EventLog


def test_queries() -> None:
    log = EventLog()
    log.record(1.0, "car", "state", "B")
    log.record(2.0, "car", "state", "C")
    log.record(2.5, "relay1", "contact", True)
    log.record(3.0, "car", "state", "B")
    assert [e.value for e in log.events("car")] == ["B", "C", "B"]
    assert log.first("car", "state", "B", since=1.5).time == 3.0
    assert log.last("car").value == "B"
    assert log.first("relay1", "contact", False) is None
    assert [e.time for e in log.events(since=2.0, until=2.5)] == [2.0, 2.5]
    assert len(log) == 4
    log.clear()
    assert log.events() == []


def test_bounded() -> None:
    log = EventLog(maxlen=3)
    for t in range(5):
        log.record(float(t), "x", "y", t)
    assert [e.value for e in log.events()] == [2, 3, 4]


def test_wait_for_an_event_from_another_thread() -> None:
    log = EventLog()
    threading.Timer(0.05, log.record, (7.0, "relay1", "contact", False)).start()
    assert log.wait_for("relay1", "contact", False, timeout=5).time == 7.0
    with pytest.raises(TimeoutError, match=r"relay2\.contact"):
        log.wait_for("relay2", "contact", timeout=0.05)
