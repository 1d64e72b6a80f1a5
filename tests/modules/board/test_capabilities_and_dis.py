"""Capabilities from the driver's config (chargebyte.md §4.3) and the DI reference duty (§5)."""

from __future__ import annotations

import pytest

from pycharge.modules.CbTarragonDIs.module import duty_ns
from pycharge.modules.CbTarragonDriver.capabilities import capabilities

CONFIG = {"min_current_A": 6, "max_current_A": 32, "connector_type": "IEC62196Type2Cable",
          "switch_3ph1ph_wiring": "none"}


def test_no_phase_switching() -> None:
    caps = capabilities(CONFIG, forced_one_phase=False)
    assert caps["max_current_A_import"] == caps["max_current_A_export"] == 32
    assert caps["min_current_A_import"] == caps["min_current_A_export"] == 6
    assert caps["max_phase_count_import"] == caps["min_phase_count_import"] == 3
    assert caps["supports_changing_phases_during_charging"] is False
    assert caps["connector_type"] == "IEC62196Type2Cable"
    assert caps["supports_cp_state_E"] is True


def test_phase_switching_wiring() -> None:
    caps = capabilities({**CONFIG, "switch_3ph1ph_wiring": "serial"}, forced_one_phase=False)
    assert (caps["min_phase_count_import"], caps["max_phase_count_import"]) == (1, 3)
    assert caps["supports_changing_phases_during_charging"] is True


def test_one_phase_grid_disables_switching() -> None:
    caps = capabilities({**CONFIG, "switch_3ph1ph_wiring": "mutual"}, forced_one_phase=True)
    assert (caps["min_phase_count_export"], caps["max_phase_count_export"]) == (1, 1)
    assert caps["supports_changing_phases_during_charging"] is False


@pytest.mark.parametrize(("mv", "ns"), [(6000, 20000), (0, 0), (12000, 40000), (1000, 3333)])
def test_di_reference_duty(mv: int, ns: int) -> None:
    assert duty_ns(mv) == ns
