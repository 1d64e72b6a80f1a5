"""A running bsp-only.yaml on the simulated board for each SIL test (see ``stack.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Mosquitto
from tests.sil.stack import Sil, sil_stack

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every SIL scenario runs on simulated time that follows real time: mark them slow."""
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def sil(tmp_path: Path, mosquitto: Mosquitto) -> Iterator[Sil]:
    """bsp-only.yaml, unchanged but for MQTT prefixes and the error database, with a car."""
    with sil_stack(tmp_path, mosquitto) as stack:
        yield stack
