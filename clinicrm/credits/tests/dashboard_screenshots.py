"""Screenshots of the dashboard's credit and message cards (a visual check, not a test).

    .venv/bin/python -m clinicrm.credits.tests.dashboard_screenshots

Uses a private SQLite file (var/dashboard-cards-shot.sqlite3): migrates, runs the demo seed, adds
a month of WhatsApp traffic and spends credits of the second clinic down below its alert
threshold, starts runserver on a private port, drives Debian's chromium with Playwright and
writes PNGs to test-artifacts/dashboard-cards/. The server is stopped at the end.
"""

import datetime as dt
import os

from clinicrm.devtools.screenshots import (
    ROOT,
    chromium,
    database_prepare,
    login,
    server_running,
)

DB = ROOT / "var" / "dashboard-cards-shot.sqlite3"
OUT = ROOT / "test-artifacts" / "dashboard-cards"
PORT = int(os.environ.get("SHOT_PORT", "8793"))


def seed() -> str:
    from django.utils import timezone

    from clinicrm.core.models import Tenant
    from clinicrm.core.timeutils import local_datetime, local_today
    from clinicrm.credits.services import credits_deduct
    from clinicrm.devtools.seed import DEMO_PASSWORD, seed_demo
    from clinicrm.messaging.models import Channel, Direction, Message

    seed_demo()
    today = local_today()
    for slug, inbound, outbound in (("bem-estar", 37, 24), ("dra-ana-lima", 9, 28)):
        tenant = Tenant.objects.get(slug=slug)
        # seed_demo gives both demo clinics their WhatsApp channel (one per clinic).
        channel = Channel.objects.get(tenant=tenant)
        rows = []
        for n in range(inbound + outbound):
            day = today - dt.timedelta(days=n % today.day)
            at = local_datetime(day, dt.time(8 + n % 10, n % 60))
            rows.append(
                Message(
                    tenant=tenant,
                    channel=channel,
                    thread_key=f"+551198888{n % 7:04d}",
                    direction=Direction.INBOUND if n < inbound else Direction.OUTBOUND,
                    body="demo",
                    provider_timestamp=at,
                )
            )
        Message.objects.bulk_create(rows)
        # auto_now_add stamps "now": spread them over this São Paulo month like real traffic.
        for row in rows:
            Message.objects.filter(pk=row.pk).update(created_at=row.provider_timestamp)
        # Last month's traffic must not count.
        Message.objects.create(
            tenant=tenant,
            channel=channel,
            thread_key="+5511988880000",
            direction=Direction.INBOUND,
            body="antiga",
            provider_timestamp=timezone.now() - dt.timedelta(days=40),
        )
        Message.objects.filter(body="antiga").update(
            created_at=timezone.now() - dt.timedelta(days=40)
        )
        if slug == "dra-ana-lima":
            # 40 starting credits, 28 charged sends: 12 left, under the alert threshold of 20.
            for row in rows[inbound:]:
                credits_deduct(tenant=tenant, message_id=row.pk)
    return DEMO_PASSWORD


def main() -> None:
    database_prepare(DB)
    password = seed()
    OUT.mkdir(parents=True, exist_ok=True)
    with server_running(DB, PORT, OUT / "server.log") as base, chromium() as browser:
        shots = (
            ("owner_healthy", "dona@bemestar.demo", 1366),
            ("owner_low_balance", "ana@analima.demo", 1366),
            ("secretary", "recepcao@bemestar.demo", 1366),
            ("owner_low_balance_mobile", "ana@analima.demo", 390),
        )
        for name, email, width in shots:
            context = browser.new_context(viewport={"width": width, "height": 900}, locale="pt-BR")
            page = context.new_page()
            page.on("console", lambda msg: print("console:", msg.text))
            login(page, base, email, password)
            page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)
            page.locator(".dashboard-kpis").screenshot(path=str(OUT / f"{name}_cards.png"))
            context.close()
    print(f"screenshots in {OUT}")


if __name__ == "__main__":
    main()
