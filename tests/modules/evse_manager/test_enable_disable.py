"""enable_disable: one entry per source, the highest priority (lowest number) decides.

The cases follow EVerest's ChargerTest.cpp (EnableDisableTable*, EnableDisableSourceConnector*).
"""

from __future__ import annotations

import pytest

from pycharge.modules.EvseManager.charger import ChargerConfig, EvseState
from pycharge.modules.EvseManager.enable_disable import UNASSIGNED_LOWEST, EnableDisableTable

from .fakes import Rig


def src(source: str, state: str, priority: int) -> dict:
    return {"enable_source": source, "enable_state": state, "enable_priority": priority}


# steps of (command, enabled afterwards, winning entry afterwards)
SINGLE_SOURCE = [
    (src("CSMS", "Enable", 100), True, src("CSMS", "Enable", 100)),
    (src("CSMS", "Disable", 100), False, src("CSMS", "Disable", 100)),
    (src("CSMS", "Unassigned", 100), True, UNASSIGNED_LOWEST),
    (src("CSMS", "Enable", 1000), True, src("CSMS", "Enable", 1000)),
    (src("CSMS", "Disable", 10), False, src("CSMS", "Disable", 10)),
    (src("CSMS", "Unassigned", 10), True, UNASSIGNED_LOWEST),
]
MULTI_SOURCE = [
    (src("CSMS", "Enable", 10), True, src("CSMS", "Enable", 10)),
    (src("FirmwareUpdate", "Enable", 11), True, src("CSMS", "Enable", 10)),
    (src("LocalAPI", "Disable", 11), True, src("CSMS", "Enable", 10)),  # 10 beats 11
    (src("CSMS", "Unassigned", 10), False, src("LocalAPI", "Disable", 11)),  # disable wins at 11
    (src("LocalKeyLock", "Enable", 0), True, src("LocalKeyLock", "Enable", 0)),
    (src("ServiceTechnician", "Disable", 0), False, src("ServiceTechnician", "Disable", 0)),
    (src("ServiceTechnician", "Unassigned", 0), True, src("LocalKeyLock", "Enable", 0)),
    (src("LocalKeyLock", "Unassigned", 0), False, src("LocalAPI", "Disable", 11)),
]


@pytest.mark.parametrize("steps", [SINGLE_SOURCE, MULTI_SOURCE], ids=["single", "multi"])
def test_priority_table(steps: list) -> None:
    table = EnableDisableTable()
    for number, (command, enabled, winner) in enumerate(steps):
        assert table.update(command) is enabled, f"step {number}"
        assert table.active == winner, f"step {number}"


def test_connector_id_0_disables_the_evse_but_only_a_connector_id_changes_the_connector():
    rig = Rig()
    rig.start(16.0)
    enable, disable = src("CSMS", "Enable", 100), src("CSMS", "Disable", 100)
    assert rig.take_events() == ["Enabled"]
    assert rig.last("Enabled")["source"] == src("Unspecified", "Enable", 10000)
    assert rig.charger.enable_disable(0, disable) is False
    assert rig.state == EvseState.Disabled and rig.charger.enable_table.connector_enabled
    assert rig.charger.enable_disable(0, enable) is True
    assert rig.state == EvseState.Idle
    assert rig.charger.enable_disable(1, disable) is False
    assert not rig.charger.enable_table.connector_enabled
    assert rig.charger.enable_disable(0, enable) is True
    assert rig.state == EvseState.Disabled  # the connector itself is still disabled
    assert rig.take_events() == ["Disabled", "Enabled", "Disabled", "Enabled"]
    assert rig.published[-2]["connector_id"] == 1 and "connector_id" not in rig.published[-1]


def test_disabled_shows_f_ignores_plug_in_and_comes_back_idle():
    rig = Rig()
    rig.start(16.0)
    rig.board.take()
    rig.charger.enable_disable(1, src("LocalAPI", "Disable", 100))
    assert rig.board.take() == [("enable", False), ("F",), ("allow_power_on", False)]
    rig.cp("B")
    assert rig.state == EvseState.Disabled  # CP events of a disabled port are ignored
    rig.charger.enable_disable(1, src("LocalAPI", "Enable", 100))
    rig.cp("B")  # the board re-publishes its state after enable(true)
    assert rig.state == EvseState.WaitingForAuthentication


@pytest.mark.parametrize("car_state", ["B", "C"])
def test_enabling_again_with_the_car_still_plugged_in_starts_a_new_session(car_state: str):
    rig = Rig(config=ChargerConfig(disable_authentication=True))
    rig.start(16.0)
    rig.charge()
    first = rig.last("SessionStarted")["uuid"]
    rig.take_events()
    rig.charger.enable_disable(1, src("LocalAPI", "Disable", 100))
    rig.cp("PowerOff", "F")  # the board opened the relays; a disabled port's CP is ignored
    assert rig.take_events() == ["Disabled", "ChargingFinished", "TransactionFinished"]
    rig.charger.enable_disable(1, src("LocalAPI", "Enable", 100))
    rig.cp(car_state)  # the board re-publishes its state after enable(true)
    assert rig.take_events()[:7] == ["Enabled", "SessionFinished", "SessionStarted",
                                     "AuthRequired", "Authorized", "TransactionStarted",
                                     "PrepareCharging"]
    assert rig.last("SessionStarted")["uuid"] != first
    rig.cp("C", "PowerOn")
    assert rig.state == EvseState.Charging
