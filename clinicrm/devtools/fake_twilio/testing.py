"""Pytest fixtures around the fake Twilio (import them into a test module or conftest).

`fake_twilio` starts the fake (API + CDN origins) on free ports with one test account and an
API key, and points `settings.TWILIO_API_BASE_URL` at it.
"""

from collections.abc import Iterator
from typing import Any

import pytest

from clinicrm.devtools.fake_twilio.server import FakeTwilioServer

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "f0e1d2c3b4a5968778695a4b3c2d1e0f"
API_KEY_SID = "SK" + "fedcba9876543210" * 2
API_KEY_SECRET = "apikeysecret0123456789abcdefABCD"
SENDER = "+5511999990002"


@pytest.fixture
def fake_twilio(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTwilioServer]:
    # An edge/region in the environment would mangle the fake's host (docs/providers/twilio.md
    # §2.5).
    monkeypatch.delenv("TWILIO_EDGE", raising=False)
    monkeypatch.delenv("TWILIO_REGION", raising=False)
    server = FakeTwilioServer(
        accounts={ACCOUNT_SID: AUTH_TOKEN},
        api_keys={API_KEY_SID: (ACCOUNT_SID, API_KEY_SECRET)},
    ).start()
    settings.TWILIO_API_BASE_URL = server.url
    try:
        yield server
    finally:
        server.stop()
