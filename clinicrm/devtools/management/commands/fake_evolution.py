"""`manage.py fake_evolution --port 8081`: run the fake Evolution API v2 server for the demo.

Point the CRM at it with EVOLUTION_BASE_URL=http://127.0.0.1:8081 and the global key below;
instances created through the set-up page get their webhook from the CRM as on a real server.
"""

from typing import Any

from clinicrm.devtools.fake_evolution.server import GLOBAL_APIKEY, FakeEvolutionServer
from clinicrm.devtools.fakebase import FakeServerCommand


class Command(FakeServerCommand):
    help = "Run the fake Evolution API v2 server (instances, QR pairing, sends, webhooks)."
    default_port = 8081

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        parser.add_argument("--apikey", default=GLOBAL_APIKEY, help="Global API key.")
        parser.add_argument("--evolution-version", dest="evo_version", default="2.3.7")
        parser.add_argument(
            "--time-scale",
            type=float,
            default=0.01,
            help="Factor applied to the webhook retry backoff (1 = real time).",
        )

    def build(self, opts: dict[str, Any]) -> FakeEvolutionServer:
        fake = FakeEvolutionServer(
            host=opts["host"],
            port=opts["port"],
            global_apikey=opts["apikey"],
            version=opts["evo_version"],
        )
        fake.state.switches.time_scale = opts["time_scale"]
        fake.state.switches.status_interval = 1.0
        return fake

    def banner(self, fake: FakeEvolutionServer, opts: dict[str, Any]) -> list[str]:
        return [
            f"Fake Evolution {opts['evo_version']} on {fake.url}",
            f"Control endpoints: {fake.url}/__control/...",
        ]
