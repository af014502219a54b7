"""Screenshots of the global search, open with results, for a visual check (not part of the test
run).

    .venv/bin/python -m tests.e2e.search_screenshots

Builds a private SQLite file (var/search-shot.sqlite3), seeds one clinic with patients,
professionals and conversations, starts runserver on a private port and writes PNGs of the top
bar's search (typed "joao", one result highlighted with ↓) at 1366 and 390 px wide, and of the
/busca/ page, to test-artifacts/search/.
"""

import datetime as dt
import os

from clinicrm.devtools.screenshots import ROOT, chromium, database_prepare, login, server_running

DB = ROOT / "var" / "search-shot.sqlite3"
OUT = ROOT / "test-artifacts" / "search"
PORT = int(os.environ.get("SHOT_PORT", "8767"))
PASSWORD = "senha-de-teste-123"

# Oldest first, as they arrived.
CONVERSATIONS = [
    ("5541966664444", "Rafael", "Já fiz o PIX da mensalidade, segue o comprovante"),
    ("5531977775555", "Mãe do Joãozinho", "O Joãozinho está gripado, não vamos conseguir ir hoje"),
    ("5521988881234", "Bia Mendes", "Bom dia! O João da recepção pediu para remarcar a terça"),
    ("5511976540132", "João", "Oi! Confirmo a sessão de amanhã às 15h com a Dra. Helena"),
]


def seed() -> None:
    from django.utils import timezone

    from clinicrm.core.models import Membership, Role, Tenant, User
    from clinicrm.messaging.services import message_ingest
    from clinicrm.messaging.tests.factories import inbound_text, make_channel
    from clinicrm.people import services as people

    tenant = Tenant.objects.create(name="Clínica Bem-Estar", slug="bem-estar")
    owner = User.objects.create_user(
        email="dona@bemestar.test", password=PASSWORD, first_name="Dona"
    )
    Membership.objects.create(tenant=tenant, user=owner, role=Role.OWNER)
    for name, phone in (
        ("João Araújo Dias", "11976540132"),
        ("Joana Prado Gonçalves", "11955554444"),
        ("Maria da Conceição Joaquim", "21944443333"),
        ("João Pedro Siqueira", "31933332222"),
        ("Heloísa Brandão", "41922221111"),
    ):
        patient = people.patient_create(tenant=tenant, actor=None, full_name=name)
        people.contact_phone_add(entity=patient, actor=None, number=phone, whatsapp_linked=True)
    for name, specialty in (
        ("Dr. João Paulo Ribeiro", "Psicologia"),
        ("Dra. Helena Costa", "Fono"),
    ):
        people.professional_create(tenant=tenant, actor=None, full_name=name, specialty=specialty)
    channel = make_channel(tenant)
    now = timezone.now()
    for i, (jid, name, body) in enumerate(CONVERSATIONS):
        message_ingest(
            channel=channel,
            inbound=inbound_text(
                jid=f"{jid}@s.whatsapp.net",
                contact_name=name,
                body=body,
                ts=now - dt.timedelta(hours=3 * (len(CONVERSATIONS) - i)),
            ),
        )


def main() -> None:
    database_prepare(DB)
    seed()
    OUT.mkdir(parents=True, exist_ok=True)
    with server_running(DB, PORT, OUT / "server.log") as base, chromium() as browser:
        for width, height in ((1366, 860), (390, 844)):
            page = browser.new_page(viewport={"width": width, "height": height}, locale="pt-BR")
            login(page, base, "dona@bemestar.test", PASSWORD)
            page.locator("[data-global-search][data-ready]").wait_for(state="attached")
            if width < 800:
                page.get_by_role("button", name="Buscar").click()
            else:
                page.keyboard.press("/")
            page.locator("#gsearch-input").press_sequentially("joao")
            page.locator("#gsearch-panel [role='option']").first.wait_for()
            page.locator("#gsearch-input").press("ArrowDown")
            page.screenshot(path=str(OUT / f"global_search_{width}.png"))
            page.goto(f"{base}/busca/?q=sessao")
            page.screenshot(path=str(OUT / f"search_page_{width}.png"), full_page=True)
            page.close()
    print(f"screenshots in {OUT}")


if __name__ == "__main__":
    main()
