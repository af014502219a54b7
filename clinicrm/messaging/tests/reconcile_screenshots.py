"""Screenshots of sends in doubt and refunds that name their evidence (a visual check, not a test).

    .venv/bin/python -m clinicrm.messaging.tests.reconcile_screenshots

Uses a private SQLite file (var/reconcile-shot.sqlite3): migrates, runs the demo seed, then gives
the Twilio clinic's first patient a conversation whose outbound messages are read, delivered,
in doubt ("verificando entrega"), sending, and failed after reconciliation found no such
message (refunded, the ledger note naming the evidence). Writes PNGs of the conversation at 1366
and 390 px and of the credits page to test-artifacts/reconcile/.
"""

import datetime as dt
import os

from clinicrm.devtools.screenshots import ROOT, chromium, database_prepare, login, server_running

DB = ROOT / "var" / "reconcile-shot.sqlite3"
OUT = ROOT / "test-artifacts" / "reconcile"
PORT = int(os.environ.get("SHOT_PORT", "8794"))
PATIENT = "+5511977770001"


def seed() -> tuple[str, str]:
    from django.utils import timezone

    from clinicrm.core.models import Tenant
    from clinicrm.credits.services import credits_deduct
    from clinicrm.devtools.seed import DEMO_PASSWORD, seed_demo
    from clinicrm.messaging.errors import ErrorCode
    from clinicrm.messaging.models import Channel, Evidence, Message, MessageStatus
    from clinicrm.messaging.services import message_ingest, message_status_advance
    from clinicrm.messaging.tests.factories import inbound_text

    seed_demo()
    tenant = Tenant.objects.get(slug="dra-ana-lima")
    channel = Channel.objects.get(tenant=tenant)
    now = timezone.now()
    message_ingest(
        channel=channel,
        inbound=inbound_text(
            "SMin", jid=f"whatsapp:{PATIENT}", body="Posso remarcar para quinta?", ts=now
        ),
    )
    texts = (
        ("Claro! Quinta às 14h serve?", MessageStatus.READ, None),
        ("Confirmado para quinta, 14h.", MessageStatus.DELIVERED, None),
        ("Segue o endereço da clínica: Rua das Flores, 120.", MessageStatus.PENDING, "doubt"),
        ("Lembrete: traga seus exames.", MessageStatus.PENDING, "sending"),
        ("Qualquer dúvida, estamos à disposição.", MessageStatus.PENDING, "absent"),
    )
    for n, (text, status, state) in enumerate(texts, start=1):
        message = Message.objects.create(
            tenant=tenant,
            channel=channel,
            thread_key=PATIENT,
            direction="out",
            from_me=True,
            body=text,
            provider_timestamp=now + dt.timedelta(minutes=n),
            credit_charged=True,
            provider_message_id=None if state else f"SMdemo{n}",
            send_attempted_at=None if state == "sending" else now,
            doubt_since=now if state in ("doubt", "absent") else None,
        )
        credits_deduct(tenant=tenant, message_id=message.pk)
        if status != MessageStatus.PENDING:
            message_status_advance(message=message, status=MessageStatus.SENT)
            message_status_advance(message=message, status=status)
        if state == "absent":
            message_status_advance(
                message=message,
                status=MessageStatus.FAILED,
                error_code=ErrorCode.UNCONFIRMED,
                evidence=Evidence.LISTING,
            )
    return DEMO_PASSWORD, "ana@analima.demo"


def main() -> None:
    database_prepare(DB)
    password, email = seed()
    from clinicrm.core.models import Tenant
    from clinicrm.messaging.tests.factories import thread_url

    thread_path = thread_url(Tenant.objects.get(slug="dra-ana-lima"), PATIENT)
    OUT.mkdir(parents=True, exist_ok=True)
    with server_running(DB, PORT, OUT / "server.log") as base, chromium() as browser:
        for width in (1366, 390):
            context = browser.new_context(viewport={"width": width, "height": 900}, locale="pt-BR")
            page = context.new_page()
            page.on("console", lambda msg: print("console:", msg.text))
            login(page, base, email, password)
            page.goto(base + thread_path)
            page.screenshot(path=str(OUT / f"conversation_{width}.png"), full_page=True)
            page.goto(f"{base}/configuracoes/creditos-whatsapp")
            page.screenshot(path=str(OUT / f"credits_{width}.png"), full_page=True)
            context.close()
    print(f"screenshots in {OUT}")


if __name__ == "__main__":
    main()
