"""The SQLite queue on its own: transactionIds filled in, answered messages gone, a damaged
file replaced by a queue in memory rather than a module that cannot start."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from pycharge.modules.OCPP.queue import MessageQueue


def test_answers_fill_in_the_transaction_id_and_empty_the_queue(tmp_path: Path) -> None:
    queue = MessageQueue(tmp_path)
    queue.put("StartTransaction", {"connector_id": 1}, "t1")
    queue.put("MeterValues", {"connector_id": 1}, "t1")
    queue.put("StopTransaction", {"meter_stop": 5}, "t1")
    seq, action, payload, _ = queue.first()
    assert (action, payload) == ("StartTransaction", {"connector_id": 1})
    queue.done(seq, ("t1", 7))
    queue.close()

    queue = MessageQueue(tmp_path)  # what a restart finds
    seq, action, payload, _ = queue.first()
    assert (action, payload) == ("MeterValues", {"connector_id": 1, "transaction_id": 7})
    queue.done(seq)
    seq, action, payload, _ = queue.first()
    assert (action, payload["transaction_id"]) == ("StopTransaction", 7)
    queue.done(seq)
    assert queue.first() is None
    assert queue.transaction_id("t1") is None  # nothing left that needs it


def test_a_damaged_file_gives_a_queue_in_memory(tmp_path: Path,
                                                caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "transactions.db").write_bytes(b"this is not a database" * 100)
    with caplog.at_level(logging.ERROR):
        queue = MessageQueue(tmp_path)
    assert "queueing in memory" in caplog.text
    queue.put("StartTransaction", {"connector_id": 1}, "t1")
    assert queue.first()[1] == "StartTransaction"
    assert (tmp_path / "transactions.db").read_bytes().startswith(b"this is not")  # kept
