"""A command to another module, as the future of an OCPP answer (for the websocket's loop)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any


def answer_of(call: Future, convert: Callable[[Any], Any], failed: Any,
              log: logging.Logger) -> Future:
    """A future of ``convert(result)``, or of ``failed`` if the call failed (logged)."""
    answer: Future = Future()

    def done(finished: Future) -> None:
        error = finished.exception()
        if error is not None:
            log.error("call to another module failed: %s", error)
        answer.set_result(failed if error is not None else convert(finished.result()))
    call.add_done_callback(done)
    return answer
