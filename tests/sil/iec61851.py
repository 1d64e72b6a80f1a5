"""The IEC 61851-1 rules the SIL tests hold the stack to, checked on the simulated board's log.

Each rule quotes the line of ``/work/shared/reference/anchors.md`` (or of the reference named)
that it checks. Times are simulated seconds from the board's own event log
(``pycharge.simulation.events``), so a busy machine does not change them. Every check fails if
there is nothing to check, so a scenario that went wrong cannot pass by having no relay action.
"""

from __future__ import annotations

from typing import Any

from pycharge.simulation.events import Event, EventLog

RELAYS = ("relay1", "relay2")
RELAYS_OPEN_LIMIT_S = 0.100
PWM_MIN_INTERVAL_S = 5.0

# anchors.md, "IEC 61851-1 (AC conductive charging), control pilot — Annex A"
LEAVING_C = "Relays open after the car leaves C (C→B, car stops) | ≤ 100 ms"
UNPLUGGED_E_F = "Relays open after the car is unplugged (→A) or on state E/F, diode fault | ≤ 100 ms"
PWM_5_S = ("EVSE changes duty | not more often than every 5 s, except a reduction to stop "
           "(EVerest's rule, taken from the standard's response time)")
# Quoted exactly, dashes and signs included:
INVALID_DUTY = "Invalid duty | < 8 % (except 3–7 % for HLC) or > 97 %: EV must not charge"  # noqa: RUF001
CP_STATES = ("CP states (positive plateau, nominal) | A 12 V, B 9 V, C 6 V, D 3 V, E 0 V, "
             "F −12 V; each ±1 V at the EV's inlet")  # noqa: RUF001
DUTY_TO_CURRENT = ("Duty → current (EV reads it) | 10 %…85 %: I = duty × 0.6 A; "  # noqa: RUF001
                   "85 %…96 %: I = (duty − 64) × 2.5 A; 96 %…97 %: 80 A")  # noqa: RUF001
STOP_PWM_IN_C = ("EVSE stops PWM while the car stays in C | the EVSE opens the relays under load "
                 "after 6 s if the car does not go to B (EVerest's timer for this rule)")
# anchors.md, "Residual current"
RCM = ("On Charge Control C the RCM module does the measuring and raises a digital input; "
       "software must open the relays at once and raise `ac_rcd/MREC2GroundFailure`.")
# everest-framework.md §5.3, the IEC 61851 layer
STATE_A_X1 = "A | (on change) X1, `allow_power_on(false)`, unlock"


def value_at(log: EventLog, subject: str, change: str, at: float) -> Any:
    """What ``subject``/``change`` was at simulated time ``at`` (the last event up to then)."""
    last = [e for e in log.events(subject, change) if e.time <= at]
    return last[-1].value if last else None


def relays_open_after(log: EventLog, cause: Event, requirement: str,
                      limit_s: float = RELAYS_OPEN_LIMIT_S) -> float:
    """Seconds from ``cause`` until every relay contact closed at that moment is open.

    Fails with ``requirement`` if that took longer than ``limit_s``, or if no relay was closed
    (then the scenario did not test the requirement).
    """
    closed = [r for r in RELAYS if value_at(log, r, "contact", cause.time)]
    assert closed, f"{requirement}: no relay contact was closed at {cause}"
    reaction = max(log.wait_for(r, "contact", False, since=cause.time).time - cause.time
                   for r in closed)
    assert reaction <= limit_s, (f"{requirement}: relays open {reaction * 1000:.1f} ms after "
                                 f"{cause}, allowed {limit_s * 1000:.0f} ms")
    return reaction


def offers_current(output: Any) -> bool:
    """A CP output with a duty at which an EV may charge (not X1, F or undriven)."""
    return not isinstance(output, str) and 8.0 <= output <= 97.0


def check_relays_close_only_in_c_with_pwm(log: EventLog, since: float = 0.0) -> int:
    """Every relay close came after the PWM was on, with the car in C; returns their number.

    IEC 61851-1 Table A.6 sequence 4: power only when the EV asks for it (state C, see
    ``CP_STATES``) on a duty that lets it charge (``INVALID_DUTY``).
    """
    output = value_at(log, "cp", "output", since)
    car = value_at(log, "car", "state", since)
    closes = 0
    for event in log.events(since=since):
        if event.subject == "cp":
            output = event.value
        elif event.subject == "car":
            car = event.value
        elif event.subject in RELAYS and event.change == "coil" and event.value:
            closes += 1
            assert offers_current(output), (f"{INVALID_DUTY}: {event.subject} closed at "
                                            f"{event.time:.4f} s while CP showed {output!r}")
            assert car == "C", f"{CP_STATES}: {event.subject} closed at {event.time:.4f} s in {car}"
    assert closes, "no relay closed: sequencing at session start not tested"
    return closes


def check_relays_open_when_pwm_stops(log: EventLog, since: float = 0.0) -> int:
    """Whenever the PWM stopped, every relay coil was already off or went off at that moment.

    pycharge's rule at session stop (stricter than ``STOP_PWM_IN_C``, which lets the relays
    stay closed up to 6 s): the relays open before or when the PWM goes off. Returns the number
    of PWM stops checked.
    """
    events = log.events(since=since)
    stops = 0
    coils = {r: value_at(log, r, "coil", since) for r in RELAYS}
    output = value_at(log, "cp", "output", since)
    for index, event in enumerate(events):
        if event.subject in RELAYS and event.change == "coil":
            coils[event.subject] = event.value
        if event.subject != "cp":
            continue
        stopped = offers_current(output) and not offers_current(event.value)
        output = event.value
        if not stopped:
            continue
        stops += 1
        for relay in (r for r, on in coils.items() if on):
            opened = next((e for e in events[index:] if e.subject == relay
                           and e.change == "coil" and not e.value), None)
            assert opened is not None and opened.time <= event.time, (
                f"PWM stopped at {event.time:.4f} s ({event.value!r}) with {relay} still closed "
                f"(opened {'never' if opened is None else f'at {opened.time:.4f} s'})")
    assert stops, "the PWM never stopped: sequencing at session stop not tested"
    return stops


def duty_changes(log: EventLog, since: float = 0.0) -> list[Event]:
    """CP output changes from one charging duty to another (not starts or stops of the PWM)."""
    changes = []
    output = value_at(log, "cp", "output", since)
    for event in log.events("cp", "output", since=since):
        if offers_current(output) and offers_current(event.value) and event.value != output:
            changes.append(event)
        output = event.value
    return changes


def check_pwm_5_s_rule(log: EventLog, since: float = 0.0) -> None:
    """No duty change sooner than 5 s after the previous duty change or PWM start (``PWM_5_S``)."""
    changes = duty_changes(log, since)
    assert changes, "the duty never changed while the PWM ran: 5 s rule not tested"
    for change in changes:
        previous = [e for e in log.events("cp", "output", until=change.time)
                    if offers_current(e.value) and e is not change and e.time < change.time]
        assert previous, f"duty change at {change.time:.4f} s without a PWM before it"
        gap = change.time - previous[-1].time
        assert gap >= PWM_MIN_INTERVAL_S, (f"{PWM_5_S}: duty {previous[-1].value} % -> "
                                           f"{change.value} % after only {gap:.3f} s")


PWM_WITHOUT_CAR_LIMIT_S = 1.0


def check_no_pwm_without_car(log: EventLog, since: float = 0.0) -> None:
    """A PWM without a car is switched off again at once (``STATE_A_X1``).

    IEC 61851-1 allows PWM in state A (A2); EVerest's layer puts X1 on every change to A. A duty
    command already on its way when the car unplugs can land just after A (the bus is
    asynchronous; on an emulated ARM by a second), so what is checked is that it does not last:
    X1 follows within ``PWM_WITHOUT_CAR_LIMIT_S`` of simulated time.
    """
    car = value_at(log, "car", "state", since)
    pwm_since: float | None = None
    for event in log.events(since=since):
        if event.subject == "car":
            car = event.value
        elif event.subject == "cp":
            if offers_current(event.value) and car == "A" and pwm_since is None:
                pwm_since = event.time
            elif not offers_current(event.value) and pwm_since is not None:
                lasted = event.time - pwm_since
                assert lasted <= PWM_WITHOUT_CAR_LIMIT_S, (
                    f"{STATE_A_X1}: PWM without a car from {pwm_since:.4f} s for {lasted:.3f} s")
                pwm_since = None
        if car != "A" and pwm_since is not None:
            pwm_since = None  # a car came: the PWM is for it
    assert pwm_since is None, f"{STATE_A_X1}: PWM without a car from {pwm_since:.4f} s on"


def signalled_a(duty: float) -> float:
    """The current an EV may draw at ``duty`` (``DUTY_TO_CURRENT``; 8 to 10 % means 6 A)."""
    if not offers_current(duty):
        return 0.0
    if duty < 10.0:
        return 6.0
    return duty * 0.6 if duty <= 85.0 else min((duty - 64.0) * 2.5, 80.0)


def energy_wh(log: EventLog, start: float, end: float, wanted_a: float, phases: int,
              volts: float) -> float:
    """I x V x t worked out from the relay contact, the car's state and the PWM duty alone.

    The car draws min(what it wants, what the duty signals) on each phase while relay 1's
    contact is closed and it is in C: this does not use the simulated meter or the car model.
    """
    state = {(s, c): value_at(log, s, c, start)
             for s, c in (("relay1", "contact"), ("car", "state"), ("cp", "output"))}

    def amps() -> float:
        if not state[("relay1", "contact")] or state[("car", "state")] != "C":
            return 0.0
        return min(wanted_a, signalled_a(state[("cp", "output")]))

    total, at = 0.0, start
    for event in log.events(since=start, until=end):
        if (event.subject, event.change) in state:
            total += amps() * (event.time - at)
            state[(event.subject, event.change)] = event.value
            at = max(at, event.time)
    total += amps() * (end - at)
    return total * phases * volts / 3600.0
