"""`manage.py fake_twilio --port 8082`: run the fake Twilio WhatsApp API for the demo.

Point the CRM at it with TWILIO_API_BASE_URL=http://127.0.0.1:8082. The demo account
(DEMO_ACCOUNT_SID / DEMO_AUTH_TOKEN) is always known; with --accept-any any well-formed account
SID and token typed on the set-up page is accepted and remembered. Inbound messages are pushed
(signed) to --inbound-url when triggered through POST /__control/inbound. Messages, 24-hour
windows and opt-outs are kept in --data-dir (a small SQLite file), so a restarted fake still
knows every message it created, like Twilio; `--data-dir ""` keeps them in memory only.
"""

from pathlib import Path
from typing import Any

from django.conf import settings

from clinicrm.devtools.fake_twilio import DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, FakeTwilioServer
from clinicrm.devtools.fakebase import FakeServerCommand


class Command(FakeServerCommand):
    help = "Run the fake Twilio WhatsApp API (messages, status callbacks, media, inbound)."
    default_port = 8082

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        parser.add_argument("--cdn-port", type=int, default=0, help="0 = any free port")
        parser.add_argument("--inbound-url", default="", help="default inbound webhook URL")
        parser.add_argument("--accept-any", action="store_true", default=True)
        parser.add_argument("--strict", dest="accept_any", action="store_false")
        parser.add_argument(
            "--data-dir",
            default=str(Path(settings.BASE_DIR) / "var" / "fake_twilio"),
            help='where messages survive a restart ("" = memory only)',
        )
        parser.add_argument("--step-delay", type=float, default=1.0)
        parser.add_argument(
            "--auto-progress", default="read", choices=["none", "sent", "delivered", "read"]
        )

    def build(self, opts: dict[str, Any]) -> FakeTwilioServer:
        fake = FakeTwilioServer(
            host=opts["host"],
            port=opts["port"],
            cdn_port=opts["cdn_port"],
            accounts={DEMO_ACCOUNT_SID: DEMO_AUTH_TOKEN},
            inbound_url=opts["inbound_url"],
            accept_any=opts["accept_any"],
            data_dir=Path(opts["data_dir"]) if opts["data_dir"] else None,
        )
        fake.state.config["step_delay"] = opts["step_delay"]
        fake.state.config["auto_progress"] = opts["auto_progress"]
        return fake

    def banner(self, fake: FakeTwilioServer, opts: dict[str, Any]) -> list[str]:
        return [
            f"Fake Twilio on {fake.url} (media CDN {fake.cdn_url}); "
            f"control: POST {fake.url}/__control/inbound"
        ]
