"""`manage.py fake_evolution --port 8081`: run the fake Evolution API v2 server for the demo.

Point the CRM at it with EVOLUTION_BASE_URL=http://127.0.0.1:8081 and the global key below;
instances created through the set-up page get their webhook from the CRM as on a real server.
"""

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand

from clinicrm.devtools.fake_evolution.server import GLOBAL_APIKEY, FakeEvolutionServer


class Command(BaseCommand):
    help = "Run the fake Evolution API v2 server (instances, QR pairing, sends, webhooks)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8081)
        parser.add_argument("--apikey", default=GLOBAL_APIKEY, help="Global API key.")
        parser.add_argument("--evolution-version", dest="evo_version", default="2.3.7")
        parser.add_argument(
            "--time-scale",
            type=float,
            default=0.01,
            help="Factor applied to the webhook retry backoff (1 = real time).",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        fake = FakeEvolutionServer(
            host=opts["host"],
            port=opts["port"],
            global_apikey=opts["apikey"],
            version=opts["evo_version"],
        )
        fake.state.switches.time_scale = opts["time_scale"]
        fake.state.switches.status_interval = 1.0
        fake.start()
        self.stdout.write(f"Fake Evolution {opts['evo_version']} on {fake.url}")
        self.stdout.write(f"Control endpoints: {fake.url}/__control/...")
        done = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: done.set())
        try:
            done.wait()
        except KeyboardInterrupt:
            pass
        finally:
            fake.stop()
