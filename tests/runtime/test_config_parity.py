"""Configs EVerest accepts are accepted, configs it refuses are refused, with pycharge's modules.

Both sides of each rule are tested: YAML 1.1 words for string and boolean keys, optional
requirements left unwired or wired to modules pycharge lacks, and the "did you mean" hints.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pycharge.runtime import config as config_loader
from pycharge.runtime.definitions import Definitions
from pycharge.runtime.manifest import ModuleCatalog
from pycharge.runtime.usererror import ConfigError

CATALOG = ModuleCatalog()
DEFINITIONS = Definitions.load([])
BSP = """\
active_modules:
  bsp:
    module: CbTarragonDriver
    config_module:
{bsp_config}
  connector:
    module: EvseManager
    config_module:
{evse_config}
    connections:
      bsp:
        - module_id: bsp
          implementation_id: evse_board_support
{extra}"""


def config_text(bsp_config: str = "contactor_1_feedback_type: none",
                evse_config: str = "connector_id: 1", extra: str = "") -> str:
    indent = " " * 6
    return BSP.format(bsp_config="\n".join(indent + line for line in bsp_config.splitlines()),
                      evse_config="\n".join(indent + line for line in evse_config.splitlines()),
                      extra=extra)


def load(tmp_path: Path, text: str) -> config_loader.Config:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return config_loader.load(path, CATALOG, DEFINITIONS)


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text)
    return [str(p).removeprefix(f"{tmp_path / 'config.yaml'}: ") for p in caught.value.problems]


def test_string_keys_keep_the_words_yaml_1_1_calls_booleans(tmp_path: Path) -> None:
    config = load(tmp_path, config_text(
        "contactor_1_feedback_type: no\nrelay_2_name: off\nrelay_1_name: yes"))
    bsp = config.modules["bsp"].config
    assert (bsp["contactor_1_feedback_type"], bsp["relay_2_name"], bsp["relay_1_name"]) == (
        "no", "off", "yes")


def test_boolean_keys_take_true_and_false(tmp_path: Path) -> None:
    config = load(tmp_path, config_text(evse_config="connector_id: 1\nhas_ventilation: true"))
    assert config.modules["connector"].config["has_ventilation"] is True


@pytest.mark.parametrize("word", ["yes", "off", "True"])
def test_boolean_keys_refuse_other_words_as_everest_does(tmp_path: Path, word: str) -> None:
    found = problems(tmp_path, config_text(evse_config=f"connector_id: 1\nhas_ventilation: {word}"))
    assert len(found) == 1
    assert found[0].startswith(f"module 'connector': config_module.has_ventilation: expected "
                               f"boolean, got string '{word}'")
    assert found[0].endswith("EVerest reads only unquoted true and false as booleans")


def test_a_string_key_given_a_number_is_refused_as_everest_does(tmp_path: Path) -> None:
    found = problems(tmp_path, config_text("relay_1_name: 12"))
    assert found == ["module 'bsp': config_module.relay_1_name: expected string, got integer 12 "
                     "(allowed: type string)"]


def test_an_enum_value_of_the_wrong_case_gets_the_right_one_suggested(tmp_path: Path) -> None:
    found = problems(tmp_path, config_text("contactor_1_feedback_type: NO"))
    assert len(found) == 1 and found[0].endswith(" (did you mean 'no'?)")


def test_optional_requirements_everest_declares_may_stay_unwired(tmp_path: Path) -> None:
    manifest = CATALOG.manifest("EvseManager")
    for requirement in ("slac", "hlc", "imd", "over_voltage_monitor", "powersupply_DC"):
        assert manifest.requires[requirement].min_connections == 0
    assert load(tmp_path, config_text()).modules["connector"].connections["hlc"] == []


def test_a_requirement_wired_to_a_module_pycharge_lacks_names_that_module(tmp_path: Path) -> None:
    found = problems(tmp_path, config_text(extra="""\
      hlc:
        - module_id: iso15118_charger
          implementation_id: charger
  iso15118_charger:
    module: EvseV2G
"""))
    assert "module 'connector': connections.hlc[0]: wired to 'iso15118_charger', a EvseV2G " \
           "module, which pycharge does not have" in found
    assert any(p.startswith("module 'iso15118_charger': module: module 'EvseV2G' is not "
                            "available;") for p in found)


def test_a_requirement_pycharge_does_not_use_is_accepted_with_a_warning(tmp_path: Path) -> None:
    config = load(tmp_path, config_text() + """\
  car_simulator:
    module: CarSimulator
  grid:
    module: EnergyNode
    config_module:
      fuse_limit_A: 16
      phase_count: 3
    connections:
      energy_consumer:
        - module_id: connector
          implementation_id: energy_grid
      powermeter:
        - module_id: car_simulator
          implementation_id: powermeter
""")
    assert [w.removeprefix(f"{tmp_path / 'config.yaml'}: ") for w in config.warnings] == [
        "module 'grid': connections.powermeter is accepted and ignored: pycharge's EnergyNode "
        "limits by its fuse and external limits, not by a meter"]
    assert [f.module_id for f in config.modules["grid"].connections["powermeter"]] == [
        "car_simulator"]


@pytest.mark.parametrize(("typo", "message"), [
    ("module: EvseManager", None),  # no typo: no hint
    ("module: EvseManger", "module: module 'EvseManger' is not available (did you mean "
                           "'EvseManager'?); available modules: "),
    ("module: evsemanager", "module: module 'evsemanager' is not available (did you mean "
                            "'EvseManager'?); available modules: "),
])
def test_mistyped_module_types_get_a_suggestion(tmp_path: Path, typo: str,
                                                message: str | None) -> None:
    text = config_text().replace("module: EvseManager", typo)
    if message is None:
        load(tmp_path, text)
    else:
        assert any(p.startswith(f"module 'connector': {message}") for p in problems(tmp_path, text))


def test_a_name_nothing_resembles_gets_no_suggestion(tmp_path: Path) -> None:
    found = problems(tmp_path, config_text("frobnicate: 1"))
    assert len(found) == 1
    assert found[0].startswith("module 'bsp': config_module.frobnicate: unknown config key; "
                               "allowed keys: ")
