"""Faithful fake of Twilio's WhatsApp Messages API over real HTTP (docs/providers/twilio.md §9).

Run it with `manage.py fake_twilio --port 8082`, or in-process with
`FakeTwilioServer(accounts={AC: token}).start()` (see testing.py for pytest fixtures).
"""

from clinicrm.devtools.fake_twilio.server import FakeTwilioServer

# Demo-only credentials shared by run_demo, seed data and the fake (never used in production).
DEMO_ACCOUNT_SID = "AC" + "dec0de00" * 4
DEMO_AUTH_TOKEN = "demo0clinicrm0twilio0auth0token00"
DEMO_SENDER = "+5511999990002"

__all__ = ["DEMO_ACCOUNT_SID", "DEMO_AUTH_TOKEN", "DEMO_SENDER", "FakeTwilioServer"]
