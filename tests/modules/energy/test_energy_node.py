"""The EnergyNode's request: its fuse, laid over the external limits."""

from __future__ import annotations

from pycharge.modules.EnergyNode.schedule import Fuse, contains_node
from tests.modules.energy.requests import api_limit, at, evse, grid, value

SOURCE = "grid/module_config"


def test_without_external_limits_the_fuse_stands_on_both_sides() -> None:
    [step] = Fuse(16.0, 3, 230.0, False, SOURCE).apply([], at(0))
    expected = {"ac_max_current_A": value(16.0, SOURCE), "ac_max_phase_count": value(3, SOURCE)}
    assert step["limits_to_root"] == expected
    assert step["limits_to_leaves"] == expected


def test_phase_count_zero_does_not_limit_phases() -> None:
    [step] = Fuse(16.0, 0, 230.0, False, SOURCE).local_schedule(at(0))
    assert step["limits_to_root"] == {"ac_max_current_A": value(16.0, SOURCE)}


def test_external_steps_keep_their_car_side_and_get_the_fuse_on_the_grid_side() -> None:
    external = api_limit(10)["schedule_import"]
    [step] = Fuse(16.0, 3, 230.0, False, SOURCE).apply(external, at(0))
    assert step["limits_to_leaves"] == {"ac_max_current_A": value(10, "API_module")}
    assert step["limits_to_root"] == {"ac_max_current_A": value(16.0, SOURCE),
                                      "ac_max_phase_count": value(3, SOURCE)}
    assert external[0]["limits_to_root"] == {}  # the caller's object is left alone


def test_a_lower_external_grid_side_limit_stays() -> None:
    external = [{"timestamp": at(0), "limits_to_leaves": {},
                 "limits_to_root": {"ac_max_current_A": value(8, "csms"),
                                    "ac_max_phase_count": value(1, "csms")}}]
    [step] = Fuse(16.0, 3, 230.0, False, SOURCE).apply(external, at(0))
    assert step["limits_to_root"] == {"ac_max_current_A": value(8, "csms"),
                                      "ac_max_phase_count": value(1, "csms")}


def test_enhance_external_schedule_derives_a_current_from_power() -> None:
    external = [{"timestamp": at(0), "limits_to_leaves": {},
                 "limits_to_root": {"total_power_W": value(6900, "csms")}}]
    [step] = Fuse(32.0, 3, 230.0, True, SOURCE).apply(external, at(0))
    assert step["limits_to_root"]["ac_max_current_A"] == value(10.0, SOURCE)
    [plain] = Fuse(32.0, 3, 230.0, False, SOURCE).apply(external, at(0))
    assert plain["limits_to_root"]["ac_max_current_A"] == value(32.0, SOURCE)


def test_contains_node_searches_the_whole_branch() -> None:
    tree = grid([grid([evse("deep")], uuid="sub")])
    assert contains_node(tree, "deep")
    assert contains_node(tree, "sub")
    assert not contains_node(tree, "elsewhere")
    assert not contains_node(None, "deep")
