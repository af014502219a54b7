"""`manage.py fake_asaas --port 8083`: run the fake Asaas v3 server for the demo.

Point the CRM at it with ASAAS_BASE_URL=http://127.0.0.1:8083/v3 and any `$aact_hmlg_...` key;
it delivers webhooks to --webhook-url with the asaas-access-token header.
"""

from typing import Any

from django.conf import settings

from clinicrm.devtools.fake_asaas import FakeAsaasServer
from clinicrm.devtools.fakebase import FakeServerCommand


class Command(FakeServerCommand):
    help = "Run the fake Asaas v3 server (customers, PIX payments, QR codes, webhooks)."
    default_port = 8083

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        parser.add_argument("--webhook-url", default=f"{settings.PUBLIC_BASE_URL}/webhooks/asaas/")
        parser.add_argument("--webhook-token", default=settings.ASAAS_WEBHOOK_TOKEN or None)
        parser.add_argument(
            "--time-scale",
            type=float,
            default=0.01,
            help="Factor applied to Asaas's webhook retry delays (1 = real time).",
        )

    def build(self, opts: dict[str, Any]) -> FakeAsaasServer:
        return FakeAsaasServer(
            host=opts["host"],
            port=opts["port"],
            webhook_url=opts["webhook_url"],
            webhook_token=opts["webhook_token"],
            time_scale=opts["time_scale"],
        )

    def banner(self, fake: FakeAsaasServer, opts: dict[str, Any]) -> list[str]:
        return [
            f"Fake Asaas on {fake.url} (API {fake.base_url}); webhooks -> {opts['webhook_url']}"
            f"{'' if opts['webhook_token'] else ' (no token: the CRM will refuse them)'}",
            f"Simulator (pay pending charges): {fake.url}/",
        ]
