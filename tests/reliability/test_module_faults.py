"""A module raises, dies or hangs while a car charges: the charger stays safe and recovers.

Faults, injected on the module's own thread the way module code would cause them:

- ``raises``: a handler raises an exception;
- ``dies``: the module's thread ends (``SystemExit`` from a library, say) without the runtime
  catching an exception;
- ``hangs``: a handler blocks for longer than the watchdog (10 s); it is released at the end of
  the test, so the stale thread then finishes while the new instance runs.

What must hold, per module: the manager restarts it (once, nothing else restarts);
``runtime/ModuleFault`` is raised on its implementations and cleared when it is back (the
ErrorHistory's database records both); meanwhile the EVSE is safe:

- EvseManager: the board driver opens the relays on its own once the EvseManager's heartbeat
  has been silent for ``heartbeat_timeout_ms``, and they stay open until the new instance is
  back; the new instance closes the interrupted transaction from the session store
  (SessionResumed, TransactionFinished with reason PowerLoss) and charging resumes.
- CbTarragonDriver: ``safe_state`` opens the relays and switches the CP output stage off as
  soon as the supervisor sees the failure; the new instance takes the board and charging
  resumes.
- API: it does not drive hardware, so charging goes on untouched; it answers again afterwards
  (it provides no implementation, so there is nothing to raise ModuleFault on).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from pycharge.runtime.manager import MODULE_FAULT
from tests.reliability.charging import (
    HEARTBEAT_TIMEOUT_S,
    MIN_CLOSE_INTERVAL_S,
    SAMPLE_MARGIN_S,
    current_flows,
    relays_closed,
    start_charging,
    unplug_and_finish,
)
from tests.sil.stack import BSP, EVSE, Sil
from tests.support.waiting import wait_until

API = "api"
WATCHDOG_S = 10.0
SUPERVISOR_MARGIN_S = 0.5  # supervisor period (50 ms) and the contact's 15 ms, on a busy machine
RESUME_TIMEOUT_S = WATCHDOG_S + MIN_CLOSE_INTERVAL_S + 20.0


class Fault:
    """Injects one kind of fault into a module and remembers when it was seen."""

    def __init__(self, sil: Sil, module_id: str, how: str) -> None:
        self.sil = sil
        self.module_id = module_id
        self.how = how
        self.release = threading.Event()
        self.injected_at = 0.0
        self.detected_at: float | None = None

    def inject(self) -> None:
        actions: dict[str, Callable[[], Any]] = {
            "raises": _raise, "dies": _exit, "hangs": lambda: self.release.wait(120)}
        self.injected_at = self.sil.now()
        self.sil.manager.host(self.module_id).post(actions[self.how])


def _raise() -> None:
    raise RuntimeError("injected fault: a handler raised")


def _exit() -> None:
    raise SystemExit("injected fault: the module's thread ends")


@pytest.fixture
def watched(stack_factory) -> Iterator[Sil]:
    with stack_factory() as sil:
        yield sil


def note_detection(sil: Sil, fault: Fault, monkeypatch: pytest.MonkeyPatch) -> None:
    manager = sil.manager
    original = manager._handle_failure

    def handle(module_id: str, entry: Any, reason: str) -> None:
        if module_id == fault.module_id and fault.detected_at is None:
            fault.detected_at = sil.now()
        original(module_id, entry, reason)

    monkeypatch.setattr(manager, "_handle_failure", handle)


def back(sil: Sil, module_id: str) -> bool:
    status = sil.manager.status()[module_id]
    return status["restarts"] >= 1 and status["ready"] and status["running"]


@pytest.mark.parametrize("how", ["raises", "dies", "hangs"])
@pytest.mark.parametrize("module_id", [EVSE, BSP, API])
def test_module_fault_while_charging(watched: Sil, monkeypatch: pytest.MonkeyPatch,
                                     caplog: pytest.LogCaptureFixture, module_id: str,
                                     how: str) -> None:
    sil = watched
    session = sil.mark()
    start_charging(sil)
    fault = Fault(sil, module_id, how)
    note_detection(sil, fault, monkeypatch)
    try:
        fault.inject()
        wait_until(lambda: fault.detected_at is not None, timeout=WATCHDOG_S + 5,
                   what=f"the supervisor noticing that {module_id} {how}")
        if module_id == EVSE:
            relays_open_without_evse_manager(sil, fault)
        elif module_id == BSP:
            board_safe_while_driver_down(sil, fault)
        wait_until(lambda: back(sil, module_id), timeout=10, what=f"{module_id} restarted")
        back_at = sil.now()
        if module_id == API:
            charging_went_on(sil, fault)
            api_answers_again(sil)
        else:
            no_close_before(sil, fault.injected_at, back_at)
            wait_until(lambda: current_flows(sil), timeout=RESUME_TIMEOUT_S,
                       what="charging again after the restart")
    finally:
        fault.release.set()
    if how == "hangs":
        # the stale instance's thread finishes now; it must not touch the new one's hardware
        stale_thread_harmless(sil, module_id, caplog)
    fault_raised_and_cleared(sil, module_id)
    others = {m: s["restarts"] for m, s in sil.manager.status().items() if m != module_id}
    assert set(others.values()) == {0}, others
    assert sil.manager.status()[module_id]["restarts"] == 1
    if module_id == EVSE:
        interrupted_transaction_closed(sil, session)
    unplug_and_finish(sil, sil.mark())


def relays_open_without_evse_manager(sil: Sil, fault: Fault) -> None:
    opened = sil.log.wait_for("relay1", "contact", False, since=fault.injected_at,
                              timeout=HEARTBEAT_TIMEOUT_S + 5)
    assert opened.time <= fault.injected_at + HEARTBEAT_TIMEOUT_S + SAMPLE_MARGIN_S + 1.0, \
        f"relays opened {opened.time - fault.injected_at:.2f} s after EvseManager stopped"


def board_safe_while_driver_down(sil: Sil, fault: Fault) -> None:
    assert fault.detected_at is not None
    opened = sil.log.wait_for("relay1", "contact", False, since=fault.injected_at, timeout=5)
    assert opened.time <= fault.detected_at + SUPERVISOR_MARGIN_S, \
        f"relays opened {opened.time - fault.detected_at:.2f} s after the failure was seen"
    off = sil.log.wait_for("cp", "output", "off", since=fault.injected_at, timeout=5)
    assert off.time <= fault.detected_at + SUPERVISOR_MARGIN_S


def no_close_before(sil: Sil, since: float, until: float) -> None:
    opened = sil.log.first("relay1", "contact", False, since=since)
    assert opened is not None
    early = sil.log.events("relay1", "coil", True, since=opened.time, until=until)
    assert early == [], "relays closed before the module was back"


def charging_went_on(sil: Sil, fault: Fault) -> None:
    assert sil.log.events("relay1", "contact", False, since=fault.injected_at) == []
    assert current_flows(sil)


def api_answers_again(sil: Sil) -> None:
    mark = sil.mark()
    sil.api("pause_charging")
    sil.wait_events("ChargingPausedEVSE", since=mark)
    # the state is announced before the board has opened: resuming earlier could let the
    # pause's opening land after the resume (seen under load)
    wait_until(lambda: not relays_closed(sil), timeout=10, what="the relays open for the pause")
    sil.api("resume_charging")
    sil.wait_events("ChargingStarted", since=mark, timeout=RESUME_TIMEOUT_S)
    wait_until(lambda: current_flows(sil), timeout=RESUME_TIMEOUT_S, what="charging resumed")


def stale_thread_harmless(sil: Sil, module_id: str, caplog: pytest.LogCaptureFixture) -> None:
    wait_until(lambda: not any(t.name == module_id and t.is_alive() and
                               t is not sil.manager.host(module_id)._worker
                               for t in threading.enumerate()),
               timeout=5, what="the stale thread ending")
    mark = sil.now()
    sil.sim.clock.sleep(2.0)
    assert current_flows(sil), "charging stopped when the stale instance finished"
    assert sil.log.events("relay1", "contact", False, since=mark) == []
    # its hardware went to the new instance: the stale one does not shut it down (it would act
    # on closed lines, or write a session record older than the new instance's)
    assert [r.getMessage() for r in caplog.records if r.getMessage() == "shutdown failed"] == []


def fault_raised_and_cleared(sil: Sil, module_id: str) -> None:
    implementations = list(sil.manager.modules[module_id].manifest.provides)
    if not implementations:
        return  # nothing to raise ModuleFault on (the API provides no implementation)
    wait_until(lambda: _fault_rows(sil) >= {"ClearedByModule"}, timeout=10,
               what="ModuleFault cleared in the error history")
    active = [e for e in sil.active_errors() if e["type"] == MODULE_FAULT]
    assert active == []
    assert len([r for r in sil.history() if r[0] == MODULE_FAULT]) == len(implementations)


def _fault_rows(sil: Sil) -> set[str]:
    return {state for error_type, state in sil.history() if error_type == MODULE_FAULT}


def interrupted_transaction_closed(sil: Sil, since: int) -> None:
    names = sil.names(since)
    assert "SessionResumed" in names, names
    resumed = names.index("SessionResumed")
    finished = [e for e in sil.events(since)[resumed:] if e["event"] == "TransactionFinished"]
    assert finished and finished[0]["transaction_finished"]["reason"] == "PowerLoss"
    first = sil.events(since)[0]["uuid"]
    assert finished[0]["uuid"] == first
    assert not relays_closed(sil) or current_flows(sil)
