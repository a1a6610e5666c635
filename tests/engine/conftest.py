"""Engine tests run on a fixed fake clock, so no timer assertion depends on today's date."""
from __future__ import annotations

import pytest

from app.clock import FakeClock
from app.engine.runtime import engine_clock
from tests.conftest import START


@pytest.fixture(autouse=True)
def engine_now():
    """The engine's notion of now during an engine test: START, moved only by the test."""
    clock = FakeClock(START)
    with engine_clock(clock):
        yield clock
