from __future__ import annotations

from collections.abc import Iterator

import pytest

from engine.sim import SimServer, start_simulator

from .fakehost import FakeHost

PASSWORD = "S3cret-pass"


@pytest.fixture
def fake_host() -> FakeHost:
    return FakeHost()


@pytest.fixture
def basic_server(fake_host: FakeHost) -> Iterator[SimServer]:
    with start_simulator(fake_host, password=PASSWORD) as server:
        yield server
