"""Random and malformed payloads on every topic of bsp-only.yaml anyone could publish to.

Every command topic and variable topic of every module (the configuration's modules, the
simulated car and the session store), every ``everest_api/<evse>/cmd/...`` topic and the
carsim topics. After each payload: no module was restarted and the fuzzed module still
answers a call; after each topic group a normal command still has its normal effect.

Payloads: arbitrary bytes, arbitrary JSON, and messages shaped like the real thing (commands
with the command's own argument names and random values, a random or stale deadline;
variables as ``{"data": ...}``), so the checks behind the first parsing step are reached too.
A valid command among them is run, as it would be from any module; that is not a failure.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Mosquitto
from tests.reliability.bus import call
from tests.reliability.conftest import reliability_stack
from tests.sil.stack import Sil
from tests.support.waiting import wait_until

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-2**40, 2**40) | st.floats(allow_nan=False)
    | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner,
                                                                max_size=5), max_leaves=15)
TEXT = st.text(max_size=60)
RAW = st.binary(max_size=300) | TEXT | JSON.map(json.dumps)
FUZZ = settings(max_examples=40, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])
# The API's command topics (API README) and two it does not have.
API_COMMANDS = ("enable_disable", "enable", "disable", "pause_charging", "resume_charging",
                "stop_charging", "force_unlock", "set_limit_amps", "set_limit_watts",
                "set_limit_amps_phases", "uk_random_delay_enable", "no_such_command")
CARSIM = ("cmd/enable", "cmd/execute_charging_session", "cmd/modify_charging_session", "error")
SCRIPT_WORDS = ("sleep", "plugin", "unplug", "iec_wait_pwr_ready", "iso_wait_pwm_is_running",
                "draw_power_regulated", "draw_power_fixed", "pause", "error_e", "diode_fail",
                "rcd_current", "nonsense")


@pytest.fixture(scope="module")
def sil(tmp_path_factory: pytest.TempPathFactory, mosquitto: Mosquitto) -> Iterator[Sil]:
    """One stack for the whole file: each test checks it is still healthy at its end."""
    directory: Path = tmp_path_factory.mktemp("fuzz")
    patch = pytest.MonkeyPatch()
    try:
        with reliability_stack(directory, mosquitto, patch) as running:
            yield running
    finally:
        patch.undo()


def command_topics(sil: Sil) -> list[tuple[str, str, str, list[str]]]:
    """(module, implementation, command, argument names) of every command in the stack."""
    definitions = sil.manager.definitions
    return [(module_id, impl_id, cmd, list(command.arguments))
            for module_id, module in sorted(sil.manager.modules.items())
            for impl_id, provision in module.manifest.provides.items()
            for cmd, command in definitions.interfaces[provision.interface].cmds.items()]


def variable_topics(sil: Sil) -> list[str]:
    definitions = sil.manager.definitions
    return [sil.manager.topics.var(module_id, impl_id, var)
            for module_id, module in sorted(sil.manager.modules.items())
            for impl_id, provision in module.manifest.provides.items()
            for var in definitions.interfaces[provision.interface].vars]


def command_payload(arguments: list[str]) -> st.SearchStrategy:
    args = st.dictionaries(st.sampled_from([*arguments, "extra"]), JSON, max_size=4) | JSON
    deadline = st.none() | st.floats(allow_nan=False) | st.just(time.monotonic() - 1) | TEXT
    message = st.fixed_dictionaries(
        {"id": st.text(max_size=12) | st.integers(), "args": args},
        optional={"origin": st.sampled_from(["fuzz", "", "a/b", "+", "#", "api"]) | TEXT,
                  "deadline": deadline})
    return RAW | message.map(json.dumps)


def healthy(sil: Sil, module_id: str | None = None) -> None:
    """Nothing restarted; ``module_id`` (default: every module) still takes calls: a call with
    an argument no command has is answered SchemaValidationError, without running anything."""
    restarts = {m: s["restarts"] for m, s in sil.manager.status().items() if s["restarts"]}
    assert restarts == {}, f"modules restarted: {restarts}"
    first_commands = {}
    for module, impl, cmd, _args in command_topics(sil):
        first_commands.setdefault(module, (impl, cmd))
    for module, (impl, cmd) in first_commands.items():
        if module_id in (None, module):
            answer = call(sil.probe, sil.manager.topics, module, impl, cmd,
                          {"not_an_argument": 1}, timeout=5.0)
            assert answer["error"]["type"] == "SchemaValidationError", answer


@pytest.mark.parametrize("module_id", ["api", "car_simulator", "connector", "energy_manager",
                                       "error_history", "grid_connection_point",
                                       "persistent_store", "tarragon_bsp",
                                       "tarragon_dig_in_ref"])
def test_commands_of_every_module(sil: Sil, module_id: str) -> None:
    targets = [t for t in command_topics(sil) if t[0] == module_id]
    if not targets:
        assert not sil.manager.modules[module_id].manifest.provides or module_id in (
            "tarragon_dig_in_ref", "energy_manager")  # interfaces without commands
        return

    @FUZZ
    @given(data=st.data())
    def fuzz(data: st.DataObject) -> None:
        module, impl, cmd, arguments = data.draw(st.sampled_from(targets))
        payload = data.draw(command_payload(arguments))
        sil.probe.publish(sil.manager.topics.cmd(module, impl, cmd), payload)
        healthy(sil, module)

    fuzz()
    healthy(sil)


def test_variables_of_every_module(sil: Sil) -> None:
    topics = variable_topics(sil)
    assert len(topics) > 20

    @FUZZ
    @given(topic=st.sampled_from(topics),
           payload=RAW | st.fixed_dictionaries({"data": JSON}).map(json.dumps))
    def fuzz(topic: str, payload: str | bytes) -> None:
        sil.probe.publish(topic, payload)
        healthy(sil, topic.split("/")[2])

    fuzz()
    healthy(sil)


def test_api_commands(sil: Sil) -> None:
    @FUZZ
    @given(name=st.sampled_from(API_COMMANDS), payload=RAW)
    def fuzz(name: str, payload: str | bytes) -> None:
        sil.probe.publish(sil.api_prefix + "cmd/" + name, payload)
        healthy(sil, "connector")  # the API has no commands; it drives EvseManager

    fuzz()
    still_commands_the_charger(sil)


def test_carsim_topics(sil: Sil) -> None:
    script = st.lists(st.tuples(st.sampled_from(SCRIPT_WORDS), st.lists(
        st.integers(-5, 100).map(str) | TEXT, max_size=3)), max_size=6).map(
        lambda steps: ";".join(" ".join([word, ",".join(args)]) for word, args in steps))
    error = st.fixed_dictionaries({"error_type": st.sampled_from(
        ["DiodeFault", "CPShort", "RelayWelded", "nonsense"]) | TEXT,
        "raise": st.sampled_from(["true", "false", True, 1]) | JSON})

    @FUZZ
    @given(topic=st.sampled_from(CARSIM), payload=RAW | script | error.map(json.dumps))
    def fuzz(topic: str, payload: str | bytes) -> None:
        sil.probe.publish(sil.carsim + topic, payload)
        healthy(sil, "car_simulator")

    try:
        fuzz()
    finally:
        for fault in ("DiodeFault", "CPShort", "RelayWelded"):  # leave the board healthy
            sil.inject(fault, active=False)
    healthy(sil)
    still_drives_the_car(sil)


def still_commands_the_charger(sil: Sil) -> None:
    """enable/disable through the API still reach EvseManager."""
    for command, event in (("disable", "Disabled"), ("enable", "Enabled")):
        mark = sil.mark()
        sil.api(command, "0")
        sil.wait_events(event, since=mark)


def still_drives_the_car(sil: Sil) -> None:
    """A normal script still plugs the car in and out (the board sees it)."""
    sil.probe.publish(sil.carsim + "cmd/enable", "true")
    sil.car_modify("unplug")
    wait_until(lambda: sil.board.car.state == "A", timeout=10, what="car unplugged")
    since = sil.now()
    sil.car("plugin;sleep 1;unplug")
    sil.log.wait_for("car", "state", "B", since=since)
    sil.log.wait_for("car", "state", "A", since=since)
