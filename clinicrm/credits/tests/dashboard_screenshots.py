"""Screenshots of the dashboard's credit and message cards (a visual check, not a test).

    .venv/bin/python -m clinicrm.credits.tests.dashboard_screenshots

Uses a private SQLite file (var/dashboard-cards-shot.sqlite3): migrates, runs the demo seed, adds
a month of WhatsApp traffic and spends credits of the second clinic down below its alert
threshold, starts runserver on a private port, drives Debian's chromium with Playwright and
writes PNGs to test-artifacts/dashboard-cards/. The server is stopped at the end.
"""

import datetime as dt
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
DB = ROOT / "var" / "dashboard-cards-shot.sqlite3"
OUT = ROOT / "test-artifacts" / "dashboard-cards"
PORT = int(os.environ.get("SHOT_PORT", "8793"))
BASE = f"http://127.0.0.1:{PORT}"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(SQLITE_PATH=str(DB), DJANGO_SETTINGS_MODULE="clinicrm.config.settings")
    env.pop("DATABASE_URL", None)
    return env


def seed() -> str:
    os.environ.update(_env())
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.utils import timezone

    from clinicrm.core.models import Tenant
    from clinicrm.core.timeutils import local_datetime, local_today
    from clinicrm.credits.services import credits_deduct
    from clinicrm.devtools.seed import DEMO_PASSWORD, seed_demo
    from clinicrm.messaging.models import Channel, ChannelStatus, Direction, Message, Provider

    seed_demo()
    today = local_today()
    for slug, inbound, outbound in (("bem-estar", 37, 24), ("dra-ana-lima", 9, 28)):
        tenant = Tenant.objects.get(slug=slug)
        channel = Channel(
            tenant=tenant,
            provider=Provider.EVOLUTION,
            display_name="WhatsApp da clínica",
            is_active=True,
            status=ChannelStatus.OPEN,
            config={"instance_name": f"shot-{slug}"},
        )
        channel.set_secrets({"apikey": "demo"})
        channel.save()
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
    from playwright.sync_api import sync_playwright

    for suffix in ("", "-wal", "-shm"):
        Path(str(DB) + suffix).unlink(missing_ok=True)
    py = str(ROOT / ".venv" / "bin" / "python")
    subprocess.run([py, "manage.py", "migrate", "-v0"], cwd=ROOT, env=_env(), check=True)
    password = seed()
    OUT.mkdir(parents=True, exist_ok=True)
    server = subprocess.Popen(
        [py, "manage.py", "runserver", f"127.0.0.1:{PORT}", "--noreload"],
        cwd=ROOT,
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=(OUT / "server.log").open("w"),
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{BASE}/entrar/", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            shots = (
                ("owner_healthy", "dona@bemestar.demo", 1366),
                ("owner_low_balance", "ana@analima.demo", 1366),
                ("secretary", "recepcao@bemestar.demo", 1366),
                ("owner_low_balance_mobile", "ana@analima.demo", 390),
            )
            for name, email, width in shots:
                context = browser.new_context(
                    viewport={"width": width, "height": 900}, locale="pt-BR"
                )
                page = context.new_page()
                page.on("console", lambda msg: print("console:", msg.text))
                page.goto(f"{BASE}/entrar/")
                page.fill("input[name=email]", email)
                page.fill("input[name=password]", password)
                page.click("button[type=submit]")
                page.wait_for_url(f"{BASE}/")
                page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)
                page.locator(".dashboard-kpis").screenshot(path=str(OUT / f"{name}_cards.png"))
                context.close()
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(f"screenshots in {OUT}")


if __name__ == "__main__":
    main()
