"""Fixtures for broker tests: a fresh embedded broker per test and clients that clean up."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from pycharge.broker import EmbeddedBroker
from tests.broker.clients import APIS, PahoClient, RawClient


@pytest.fixture
def broker() -> Iterator[EmbeddedBroker]:
    server = EmbeddedBroker(port=0)
    server.start()
    yield server
    server.stop()


@pytest.fixture(params=APIS)
def api(request: pytest.FixtureRequest) -> str:
    """Each paho callback API the installed paho offers."""
    return request.param


@pytest.fixture
def paho_client(broker: EmbeddedBroker, api: str) -> Iterator[Callable[..., PahoClient]]:
    """Factory for connected paho clients on the broker; all are closed after the test."""
    made: list[PahoClient] = []

    def make(**options: Any) -> PahoClient:
        made.append(PahoClient(broker.port, api, **options))
        return made[-1]

    yield make
    for client in made:
        client.close()


@pytest.fixture
def raw_client(broker: EmbeddedBroker) -> Iterator[Callable[[], RawClient]]:
    made: list[RawClient] = []

    def make() -> RawClient:
        made.append(RawClient(broker.port))
        return made[-1]

    yield make
    for client in made:
        client.close()
