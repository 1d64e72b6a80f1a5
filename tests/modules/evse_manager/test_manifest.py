"""EvseManager's manifest against EVerest's config keys, and how a configuration is checked."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pycharge.runtime import config as config_loader
from pycharge.runtime.definitions import Definitions
from pycharge.runtime.manifest import ModuleCatalog
from pycharge.runtime.usererror import ConfigError

DOUBLES = Path(__file__).parent / "doubles"

# EVerest 2026.02 EvseManager config keys (everest-framework.md §5.1), in EVerest's order.
EVEREST_KEYS = [
    "connector_id", "connector_type", "evse_id", "evse_id_din", "payment_enable_eim",
    "payment_enable_contract", "ac_nominal_voltage", "ev_receipt_required", "session_logging",
    "session_logging_path", "session_logging_xml", "has_ventilation", "charge_mode",
    "supported_iso_ac_bpt", "ac_hlc_enabled", "ac_hlc_use_5percent", "ac_enforce_hlc",
    "ac_with_soc", "internal_over_voltage_duration_ms", "dbg_hlc_auth_after_tstep",
    "dc_isolation_voltage_V", "cable_check_wait_number_of_imd_measurements",
    "cable_check_enable_imd_self_test", "cable_check_enable_imd_self_test_relays_open",
    "cable_check_relays_open_voltage_V", "cable_check_relays_closed_timeout_s",
    "cable_check_wait_below_60V_before_finish", "hack_skoda_enyaq", "hack_present_current_offset",
    "hack_pause_imd_during_precharge", "hack_allow_bpt_with_iso2",
    "hack_simplified_mode_limit_10A", "autocharge_use_slac_instead_of_hlc", "enable_autocharge",
    "logfile_suffix", "soft_over_current_tolerance_percent",
    "soft_over_current_measurement_noise_A", "hack_fix_hlc_integer_current_requests",
    "disable_authentication", "sae_j2847_2_bpt_enabled", "sae_j2847_2_bpt_mode",
    "request_zero_power_in_idle", "external_ready_to_start_charging",
    "uk_smartcharging_random_delay_enable", "uk_smartcharging_random_delay_max_duration",
    "uk_smartcharging_random_delay_at_any_change", "initial_meter_value_timeout_ms",
    "switch_3ph1ph_delay_s", "switch_3ph1ph_cp_state", "soft_over_current_timeout_ms",
    "lock_connector_in_state_b", "state_F_after_fault_ms", "fail_on_powermeter_errors",
    "raise_mrec9", "sleep_before_enabling_pwm_hlc_mode_ms", "central_contract_validation_allowed",
    "contract_certificate_installation_enabled", "inoperative_error_use_vendor_id",
    "voltage_plausibility_max_spread_threshold_V", "voltage_plausibility_fault_duration_ms",
    "session_id_type", "zero_power_ignore_pause", "zero_power_allow_ev_to_ignore_pause",
    "bpt_channel", "bpt_generator_mode", "bpt_grid_code_island_method",
    "hlc_charge_loop_without_energy_timeout_s", "dc_ramp_ampere_per_second",
]
# a sample of EVerest's defaults (§5.1)
DEFAULTS = {"connector_type": "Unknown", "evse_id": "DE*PNX*E1234567*1", "ac_nominal_voltage": 230,
            "has_ventilation": True, "soft_over_current_timeout_ms": 7000,
            "state_F_after_fault_ms": 300, "initial_meter_value_timeout_ms": 5000,
            "lock_connector_in_state_b": True, "fail_on_powermeter_errors": True,
            "disable_authentication": False, "request_zero_power_in_idle": False,
            "session_id_type": "UUID", "soft_over_current_tolerance_percent": 10.0}


def manifest() -> dict:
    catalog = ModuleCatalog()
    return yaml.safe_load(catalog.manifest("EvseManager").path.read_text())


def test_every_everest_key_with_its_default() -> None:
    config = manifest()["config"]
    assert list(config) == EVEREST_KEYS
    assert "default" not in config["connector_id"]  # mandatory, as in EVerest
    for key, default in DEFAULTS.items():
        assert config[key]["default"] == default, key


def load(tmp_path: Path, module_config: dict) -> config_loader.Config:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"active_modules": {
        "bsp": {"module": "FakeBoard"},
        "connector": {"module": "EvseManager", "config_module": module_config,
                      "connections": {"bsp": [{"module_id": "bsp",
                                               "implementation_id": "evse_board_support"}]}},
    }}))
    return config_loader.load(path, ModuleCatalog([DOUBLES]), Definitions.load([DOUBLES]))


def test_keys_without_meaning_for_ac_basic_charging_are_accepted_and_reported(
        tmp_path: Path) -> None:
    loaded = load(tmp_path, {"connector_id": 1, "ac_hlc_enabled": True, "session_logging": True})
    assert loaded.modules["connector"].config["ac_hlc_enabled"] is True
    ignored = [w for w in loaded.warnings if "accepted and ignored" in w]
    assert len(ignored) == 2 and any("ac_hlc_enabled" in w for w in ignored)


@pytest.mark.parametrize(("key", "value", "expected"), [
    ("charge_mode", "DC", "one of AC"),
    ("soft_over_current_timeout_ms", 5000, "minimum 6000"),
    ("session_id_type", "GUID", "UUID"),
])
def test_bad_values_are_refused_with_what_is_allowed(tmp_path: Path, key: str, value: object,
                                                      expected: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load(tmp_path, {"connector_id": 1, key: value})
    assert key in str(refused.value) and expected in str(refused.value).replace("range", "")


def test_connector_id_is_mandatory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="connector_id"):
        load(tmp_path, {})
