"""reset, is_reset_allowed, set_system_time and get_boot_reason over the bus."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest

from pycharge.runtime.clock import rfc3339, utc_now
from tests.modules.system.conftest import NOWHERE, SystemRig


@pytest.mark.parametrize(("reset_type", "expected"), [
    ("Soft", ["kill", "-TERM", str(os.getpid())]),
    ("Hard", [f"{NOWHERE}/reboot"]),
    ("NotSpecified", [f"{NOWHERE}/reboot"]),
])
def test_reset_restarts_the_stack_or_reboots(rig: SystemRig, reset_type: str,
                                             expected: list[str]) -> None:
    with rig.run() as bus:
        assert bus.call("is_reset_allowed", type=reset_type) is True
        assert bus.call("reset", type=reset_type, scheduled=False) is None
        bus.probe.wait_for(lambda _m: rig.calls())
    assert rig.calls() == [expected]


def test_a_plausible_time_is_set_with_timedatectl(rig: SystemRig) -> None:
    moment = (utc_now() + timedelta(hours=1)).replace(microsecond=250000)
    with rig.run() as bus:
        assert bus.call("set_system_time", timestamp=rfc3339(moment)) is True
    assert rig.calls() == [[f"{NOWHERE}/timedatectl", "set-time",
                            moment.strftime("%Y-%m-%d %H:%M:%S.250000 UTC")]]


@pytest.mark.parametrize(("timestamp", "answer"), [
    (None, True),  # within min_time_deviation of our clock: nothing to do
    ("2020-06-01T12:00:00Z", False),  # before this software was built
    ("2300-01-01T00:00:00Z", False),  # far in the future
    ("yesterday", False),
    ("2026-13-01T00:00:00Z", False),
])
def test_an_implausible_or_needless_time_change_runs_nothing(rig: SystemRig,
                                                            timestamp: str | None,
                                                            answer: bool) -> None:
    with rig.run() as bus:
        assert bus.call("set_system_time", timestamp=timestamp or rfc3339()) is answer
    assert rig.calls() == []
