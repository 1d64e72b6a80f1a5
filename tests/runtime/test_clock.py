"""Clocks and timestamps: RFC 3339 parsing, the simulated clock's pacing."""

from __future__ import annotations

import threading
from datetime import datetime, timezone

import pytest

from pycharge.runtime.clock import SimClock, parse_rfc3339, rfc3339

UTC = timezone.utc


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-03-01T12:00:00Z", datetime(2026, 3, 1, 12, tzinfo=UTC)),
    ("2026-03-01T12:00:00.5Z", datetime(2026, 3, 1, 12, 0, 0, 500000, tzinfo=UTC)),
    ("2026-03-01T13:00:00.123456+01:00", datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)),
    ("2026-03-01t12:00:01z", datetime(2026, 3, 1, 12, 0, 1, tzinfo=UTC)),
    ("2026-03-01t14:30:00.5+02:30", datetime(2026, 3, 1, 12, 0, 0, 500000, tzinfo=UTC)),
    ("2026-03-01 12:00:00.123456789-01:00", datetime(2026, 3, 1, 13, 0, 0, 123457, tzinfo=UTC)),
])
def test_rfc3339_timestamps_are_read_in_utc(text: str, expected: datetime) -> None:
    assert parse_rfc3339(text) == expected


@pytest.mark.parametrize("text", ["2026-03-01", "2026-03-01T12:00:00", "2026-02-30T12:00:00Z",
                                  "2026-03-01T12:00:00Z trailing", "12:00", ""])
def test_other_timestamps_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_rfc3339(text)


def test_our_timestamps_read_back() -> None:
    moment = datetime(2026, 11, 26, 18, 41, 54, 123000, tzinfo=UTC)
    assert rfc3339(moment) == "2026-11-26T18:41:54.123Z"
    assert parse_rfc3339(rfc3339(moment)) == moment


def test_simulated_time_moves_only_with_ticks_while_paced() -> None:
    clock = SimClock(freewheel_after=60.0)
    start = clock.monotonic()
    for _ in range(10):
        clock.tick(0.0035)
    assert clock.monotonic() - start == pytest.approx(0.035)


def test_simulated_time_follows_real_time_without_a_pacer() -> None:
    clock = SimClock(freewheel_after=0.0)
    event = threading.Event()
    assert clock.wait(event, 0.05) is False
    assert clock.monotonic() >= 0.05


def test_waiting_on_the_simulated_clock_ends_with_the_ticks() -> None:
    clock = SimClock(freewheel_after=60.0)
    event = threading.Event()
    done = threading.Event()
    result: list[bool] = []

    def waiter() -> None:
        result.append(clock.wait(event, 0.02))
        done.set()

    thread = threading.Thread(target=waiter)
    thread.start()
    while not done.is_set():
        clock.tick(0.002)
    thread.join()
    assert result == [False]
    assert clock.monotonic() >= 0.02
