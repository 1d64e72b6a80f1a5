"""The EnergyManager's sharing of the import budget, on hand-built trees."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pycharge.modules.EnergyManager.allocation import Settings, allocate, enforced_limits, nothing
from pycharge.modules.EnergyManager.tree import read_tree
from pycharge.runtime.definitions import Definitions
from tests.modules.energy.requests import NOW, api_limit, at, evse, grid, value

SETTINGS = Settings(nominal_ac_voltage=230.0, slice_ampere=0.5, valid_for=10, source="em")


def share(request: dict, seconds: float = 0.0) -> dict[str, tuple[float, str]]:
    tree = read_tree(request, NOW + timedelta(seconds=seconds), "em/no_import_request")
    return {g.uuid: (g.amps, g.source) for g in allocate(tree, SETTINGS)}


def test_the_fuse_caps_a_stronger_evse() -> None:
    assert share(grid([evse(max_A=32)], fuse_A=16)) == {"evse": (16.0, "grid/module_config")}


def test_a_weaker_evse_is_limited_by_its_own_capabilities() -> None:
    assert share(grid([evse(max_A=10)], fuse_A=16)) == {"evse": (10.0, "evse/caps")}


def test_an_external_current_limit_lowers_the_current() -> None:
    assert share(grid([evse()], external=api_limit(10))) == {"evse": (10.0, "API_module")}


def test_an_external_limit_cannot_raise_the_current_above_the_fuse() -> None:
    assert share(grid([evse()], fuse_A=16, external=api_limit(40))) == {
        "evse": (16.0, "grid/module_config")}


def test_an_external_limit_below_the_minimum_current_gives_nothing() -> None:
    assert share(grid([evse(min_A=6)], external=api_limit(5))) == {"evse": (0.0, "API_module")}


def test_a_negative_external_limit_means_export_only_so_no_import() -> None:
    assert share(grid([evse()], external=api_limit(-10)))["evse"][0] == 0.0


@pytest.mark.parametrize(("phase_count", "active", "expected"), [
    (3, None, 10.0),  # 6900 W / (230 V x 3)
    (3, 1, 30.0),  # the EV charges on one phase: 6900 W / 230 V
    (1, None, 30.0),  # the fuse's node allows one phase only
])
def test_a_power_limit_is_converted_with_the_phases_in_use(phase_count: int, active: int | None,
                                                          expected: float) -> None:
    request = grid([evse(active_phases=active)], fuse_A=32, phase_count=phase_count,
                   external=api_limit(6900, "W"))
    tree = read_tree(request, NOW, "none")
    [grant] = allocate(tree, SETTINGS)
    assert grant.amps == expected
    assert grant.watts == pytest.approx(6900.0)


def test_the_phase_limit_is_passed_to_the_evse() -> None:
    [grant] = allocate(read_tree(grid([evse()], phase_count=1), NOW, "none"), SETTINGS)
    limits = enforced_limits(grant, SETTINGS, at(0))["limits_root_side"]
    assert limits["ac_max_phase_count"] == value(1, "grid/module_config")
    assert "total_power_W" not in limits  # only current limits on the path


def test_two_evses_share_a_fuse_equally() -> None:
    assert share(grid([evse("a", 16), evse("b", 16)], fuse_A=20)) == {
        "a": (10.0, "grid/module_config"), "b": (10.0, "grid/module_config")}


def test_a_fuse_too_small_for_two_minimums_serves_the_first_evse_only() -> None:
    shares = share(grid([evse("a", 16), evse("b", 16)], fuse_A=10))
    assert shares["a"] == (10.0, "grid/module_config")
    assert shares["b"][0] == 0.0


def test_nested_fuses_each_count() -> None:
    inner = grid([evse("a"), evse("b")], fuse_A=12, uuid="sub")
    shares = share(grid([inner, evse("c")], fuse_A=25))
    assert shares["a"][0] + shares["b"][0] == pytest.approx(12.0)
    assert shares["c"][0] == pytest.approx(13.0)


def test_the_step_in_force_follows_the_schedule() -> None:
    external = api_limit(16)
    later = {"timestamp": at(3600), "limits_to_root": {},
             "limits_to_leaves": {"ac_max_current_A": value(8, "csms")}}
    external["schedule_import"].append(later)
    request = grid([evse()], fuse_A=32, external=external)
    assert share(request, seconds=3599)["evse"] == (16.0, "API_module")
    assert share(request, seconds=3600)["evse"] == (8.0, "csms")


def test_a_first_step_in_the_future_is_in_force_already() -> None:
    request = grid([evse()], external=api_limit(10, timestamp=at(600)))
    assert share(request)["evse"] == (10.0, "API_module")


def test_unreadable_timestamps_leave_the_node_without_budget() -> None:
    request = grid([evse()], external=api_limit(10, timestamp="yesterday"))
    assert share(request)["evse"] == (0.0, "em/no_import_request")


def test_an_evse_without_any_limit_gets_nothing() -> None:
    request = evse()
    request["schedule_import"][0]["limits_to_root"] = {}
    assert share(request) == {"evse": (0.0, "em/no_limit")}


def test_an_evse_that_requests_nothing_gets_nothing() -> None:
    request = evse()
    request["schedule_import"] = []
    assert share(grid([request])) == {"evse": (0.0, "em/no_import_request")}


@pytest.mark.parametrize(("setpoint", "expected"), [
    ({"ac_current_A": 8.0}, 8.0),
    ({"ac_current_A": -5.0}, 0.0),
    ({"total_power_W": 4140.0}, 6.0),
    ({"frequency_table": []}, 16.0),  # not supported: leaves the limits alone
])
def test_setpoints_act_as_import_limits(setpoint: dict, expected: float) -> None:
    external = api_limit(16)
    external["schedule_setpoints"] = [{"timestamp": at(0),
                                       "setpoint": {**setpoint, "source": "ems", "priority": 0}}]
    assert share(grid([evse()], fuse_A=32, external=external))["evse"][0] == expected


def test_a_stale_tree_gives_every_evse_nothing() -> None:
    tree = read_tree(grid([evse("a"), evse("b")]), NOW, "none")
    assert [(g.uuid, g.amps, g.source) for g in nothing(tree, "em/request_expired")] == [
        ("a", 0.0, "em/request_expired"), ("b", 0.0, "em/request_expired")]


def test_enforced_limits_match_the_energy_types() -> None:
    definitions = Definitions.load()
    tree = read_tree(grid([evse()], external=api_limit(6900, "W")), NOW, "none")
    [grant] = allocate(tree, SETTINGS)
    limits = enforced_limits(grant, SETTINGS, at(0))
    assert definitions.check(limits, {"$ref": "/energy#/EnforcedLimits"}, "limits") == []
    assert limits["valid_for"] == 10
    assert limits["limits_root_side"]["ac_max_current_A"] == value(10.0, "API_module")
