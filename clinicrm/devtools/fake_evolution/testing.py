"""Pytest fixtures around the fake Evolution (import them into a test module or conftest).

`fake_evolution` starts the fake on a free port and points settings.EVOLUTION_BASE_URL at it.
"""

from collections.abc import Iterator
from typing import Any

import pytest

from clinicrm.devtools.fake_evolution.server import GLOBAL_APIKEY, FakeEvolutionServer

INSTANCE = "clinica-centro"
INSTANCE_TOKEN = "B6D711FC-DE4D-4F8C-9E1A-1F2C3D4E5F60"


@pytest.fixture
def fake_evolution(settings: Any) -> Iterator[FakeEvolutionServer]:
    server = FakeEvolutionServer(global_apikey=GLOBAL_APIKEY).start()
    server.state.switches.status_interval = 0.02
    settings.EVOLUTION_BASE_URL = server.url
    try:
        yield server
    finally:
        server.stop()
