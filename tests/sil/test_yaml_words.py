"""bsp-only.yaml with unquoted ``no`` and ``off`` for string keys runs, and ``no`` takes effect.

``contactor_1_feedback_type: no`` (a normally-open feedback contact) is how chargebyte's docs
wire relay 1's SENSE line; YAML 1.1 would make it the boolean false. The config must validate,
a session must charge, and the driver must really watch the feedback: a relay that does not
close is then found, which it could not be with ``none``.
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Mosquitto
from tests.sil.stack import SESSION_START, sil_stack

CONTACTOR_FAULT = "evse_board_support/MREC17EVSEContactorFault"


def unquoted_words(text: str) -> str:
    """The plain YAML words, exactly as a user writes them (yaml.safe_dump would quote them)."""
    edited = text.replace("contactor_1_feedback_type: none", "contactor_1_feedback_type: no")
    edited = edited.replace("relay_2_name: none", "relay_2_name: off")
    assert edited.count("contactor_1_feedback_type: no\n") == 1
    assert edited.count("relay_2_name: off\n") == 1
    return edited


def test_no_and_off_run_and_the_feedback_is_watched(tmp_path: Path, mosquitto: Mosquitto
                                                    ) -> None:
    with sil_stack(tmp_path, mosquitto, edit=unquoted_words) as sil:
        sil.plug_in_and_charge()
        sil.wait_current(16.0, since=sil.log.first("relay1", "contact", True).time)
        sil.car_modify("unplug")
        sil.wait_events("SessionFinished")
        sil.inject("RelayStuck")
        mark = sil.mark()
        sil.car("iec_wait_pwr_ready;draw_power_regulated 16,3;sleep 36000")
        sil.wait_events(*SESSION_START[:1], since=mark)
        sil.wait_active_error(CONTACTOR_FAULT, timeout=20)
        assert not sil.board.snapshot()["relays"]["1"]["coil"]
