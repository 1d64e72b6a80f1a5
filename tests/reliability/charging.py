"""A charging session on the simulated board, and what counts as "charging" or "ended"."""

from __future__ import annotations

from tests.sil.stack import Sil
from tests.support.waiting import wait_until

# The car charges until the test says otherwise (a script's end would unplug it).
CHARGE = "sleep 1;iec_wait_pwr_ready;draw_power_regulated 16,3;sleep 100000"
HEARTBEAT_TIMEOUT_S = 3.0  # CbTarragonDriver's heartbeat_timeout_ms default
SAMPLE_MARGIN_S = 0.1  # the sampling loop's period with closed relays is ~4 ms; generous
MIN_CLOSE_INTERVAL_S = 10.0  # the relays close at most every 10 s (chargebyte)


def start_charging(sil: Sil, timeout: float = 30.0) -> float:
    """Plug the car in and wait until current flows; the simulated time it started."""
    mark = sil.mark()
    sil.car(CHARGE)
    sil.wait_events("TransactionStarted", "ChargingStarted", since=mark, timeout=timeout)
    return sil.log.wait_for("meter", "current_A", (16.0, 16.0, 16.0), timeout=timeout).time


def relays_closed(sil: Sil) -> bool:
    """Relay 1's contact now (the model first catches up with the simulated clock)."""
    sil.board.advance()
    return bool(sil.board.relays[1].contact)


def current_flows(sil: Sil) -> bool:
    return relays_closed(sil) and sum(sil.board.meter.currents_a) > 0


def transaction_finished(sil: Sil, since: int) -> bool:
    return "TransactionFinished" in sil.names(since)


def unplug_and_finish(sil: Sil, since: int, timeout: float = 20.0) -> None:
    """Unplug the car; the session must end with SessionFinished and the relays open."""
    sil.car_modify("unplug;sleep 100000")
    sil.wait_events("SessionFinished", since=since, timeout=timeout)
    wait_until(lambda: not relays_closed(sil), timeout=5, what="relays open after the unplug")
