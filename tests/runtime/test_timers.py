"""A module's timers: order, cancelling, and periodic timers after a late wake-up."""

from __future__ import annotations

import pytest

from pycharge.runtime.timers import Timer, TimerQueue


def _timer(deadline: float, name: str, period: float | None = None) -> Timer:
    return Timer(deadline, period, print, (name,))


def _due(timers: TimerQueue, now: float) -> list[str]:
    names = []
    while (timer := timers.pop_due(now)) is not None:
        names.append(timer.args[0])
    return names


def test_due_timers_run_by_deadline_and_equal_deadlines_in_scheduling_order() -> None:
    timers = TimerQueue()
    for deadline, name in ((2.0, "late"), (1.0, "first"), (1.0, "second"), (5.0, "future")):
        timers.push(_timer(deadline, name))
    assert _due(timers, 3.0) == ["first", "second", "late"]
    assert timers.wait_time(3.0, longest=1.0) == 1.0, "the next timer is 2 s away: wait the most"
    assert timers.wait_time(4.5, longest=1.0) == pytest.approx(0.5)


def test_a_cancelled_timer_never_runs_and_does_not_shorten_the_wait() -> None:
    timers = TimerQueue()
    soon = _timer(0.1, "soon")
    timers.push(soon)
    timers.push(_timer(0.8, "later"))
    soon.cancel()
    assert timers.wait_time(0.0, longest=1.0) == 0.8
    assert _due(timers, 1.0) == ["later"]
    assert timers.wait_time(1.0, longest=1.0) is None, "nothing left: wait for a message only"


def test_a_periodic_timer_keeps_its_phase_but_does_not_catch_up_after_a_late_wake_up() -> None:
    timers = TimerQueue()
    timers.push(_timer(1.0, "tick", period=1.0))
    assert _due(timers, 1.05) == ["tick"]
    assert timers.wait_time(1.05, longest=5.0) == pytest.approx(0.95), "next at 2.0, not 1.05 + 1"
    assert _due(timers, 4.5) == ["tick"], "one run for the missed 2, 3 and 4, not three"
    assert timers.wait_time(4.5, longest=5.0) == pytest.approx(0.5), "next at 5.0: the phase is kept"


def test_a_period_that_is_not_positive_is_refused() -> None:
    with pytest.raises(ValueError, match="positive"):
        _timer(1.0, "busy loop", period=0.0)
