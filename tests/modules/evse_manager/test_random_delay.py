"""UK random delays: the limit from before a change is kept for a random time (EVerest's
energyImpl::handle_enforce_limits). A clock the test moves; the longest delay is always drawn."""

from __future__ import annotations

from typing import Any

from pycharge.modules.EvseManager.random_delay import RandomDelay

from .fakes import LOG, FakeClock

CHARGING = "Charging"


class Longest:
    """Draws the longest delay allowed."""

    def randint(self, low: int, high: int) -> int:
        assert low == 1
        return high


def delay(enabled: bool = True, max_s: int = 30, at_any_change: bool = True
          ) -> tuple[RandomDelay, FakeClock, list[dict[str, Any]]]:
    clock, published = FakeClock(), []
    return (RandomDelay(clock, published.append, enabled, max_s, at_any_change, LOG,
                        Longest()),  # type: ignore[arg-type]
            clock, published)


def test_switched_off_it_passes_every_limit_and_says_nothing():
    feature, _, published = delay(enabled=False)
    assert [feature.apply(a, CHARGING) for a in (16.0, 10.0, 0.0)] == [16.0, 10.0, 0.0]
    assert published == []


def test_a_change_keeps_the_old_limit_until_the_delay_is_over():
    feature, clock, published = delay()
    assert feature.apply(16.0, CHARGING) == 0.0  # 0 -> 16 is a change too: delayed at 0 A
    clock.now += 31
    assert feature.apply(16.0, CHARGING) == 16.0 and not feature.running
    published.clear()
    assert feature.apply(10.0, CHARGING) == 16.0
    assert published[-1]["countdown_s"] == 30 and published[-1]["start_time"]
    assert published[-1]["current_limit_after_delay_A"] == 10.0
    assert published[-1]["current_limit_during_delay_A"] == 16.0
    clock.now += 20
    assert feature.apply(10.0, CHARGING) == 16.0 and published[-1]["countdown_s"] == 10
    clock.now += 10
    assert feature.apply(10.0, CHARGING) == 10.0
    assert published[-1]["countdown_s"] == 0 and "start_time" not in published[-1]


def test_cancel_ends_the_delay_at_once_and_the_next_limit_applies():
    feature, clock, published = delay()
    feature.apply(16.0, CHARGING)
    clock.now += 31
    feature.apply(16.0, CHARGING)
    feature.apply(6.0, CHARGING)
    assert feature.running
    feature.cancel()
    assert published[-1]["countdown_s"] == 0, "the end of the delay is published at once"
    assert feature.apply(6.0, CHARGING) == 6.0


def test_disable_ends_it_and_a_set_duration_is_used_for_the_next_delay():
    feature, _, published = delay()
    feature.apply(16.0, CHARGING)
    feature.disable()
    assert not feature.running and published[-1]["countdown_s"] == 0
    assert feature.apply(10.0, CHARGING) == 10.0
    feature.enable()
    feature.set_duration_s(5)
    assert feature.apply(16.0, CHARGING) == 10.0 and published[-1]["countdown_s"] == 5


def test_no_delay_outside_a_session():
    feature, _, _ = delay()
    feature.apply(16.0, "Idle")
    assert feature.apply(16.0, "Idle") == 16.0, "the delay started in Idle ends in Idle"
    assert feature.apply(10.0, "ChargingPausedEV") == 10.0


def test_only_to_and_from_zero_unless_at_any_change():
    feature, clock, _ = delay(at_any_change=False)
    assert feature.apply(16.0, CHARGING) == 0.0  # from zero: delayed
    clock.now += 31
    assert feature.apply(16.0, CHARGING) == 16.0
    assert feature.apply(10.0, CHARGING) == 10.0  # 16 -> 10: no delay
    assert feature.apply(0.0, CHARGING) == 10.0  # to zero: delayed
