"""The CRM inbox and its Kanban in a real browser over a real ASGI server.

The list: filters Minhas / Não atribuídas change the list and the URL (the back button returns),
an accent-free search finds "João", a patient's new message puts the thread on top without a
reload, and at 390 px the page does not scroll sideways. The Kanban: a card dragged to another
column changes the thread's status; with the keyboard, the arrow keys move a focused card; a new
message from the patient brings the card back to "Em aberto" without a reload; a row opens the
conversation drawer over the list.
Screenshots of both at 1366 and 390 px.
"""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from clinicrm.core.models import Membership, Role, Tenant
from clinicrm.crm.models import Stage, Tag, ThreadStatus, ThreadTag
from clinicrm.crm.services import assignment_set, thread_tag_add
from clinicrm.crm.tests.factories import make_inbox_thread, make_tag
from clinicrm.messaging.models import Thread
from clinicrm.messaging.services import message_ingest
from clinicrm.messaging.tests.factories import inbound_text, make_channel
from conftest import make_user
from tests.e2e.helpers import login

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.xdist_group("e2e"),
    pytest.mark.django_db(transaction=True),
]


def _clinic() -> dict:
    tenant = Tenant.objects.create(name="Clínica Aurora", slug="aurora")
    owner = make_user("ana@aurora.test")
    owner.first_name = "Ana"
    owner.save(update_fields=["first_name"])
    Membership.objects.create(tenant=tenant, user=owner, role=Role.OWNER)
    bruna = make_user("bruna@aurora.test")
    bruna.first_name = "Bruna"
    bruna.save(update_fields=["first_name"])
    Membership.objects.create(tenant=tenant, user=bruna, role=Role.SECRETARY)
    channel = make_channel(tenant)
    names = ["Mariana Lopes", "Carlos Pereira", "João Araújo Dias", "Luíza Prado"]
    previews = ["Posso remarcar para sexta?", "Obrigado!", "Qual o valor da sessão?", "Ok"]
    t = [
        make_inbox_thread(
            tenant,
            minutes_ago=15 * i + 3,
            contact_name=name,
            last_message_preview=text,
            last_direction="out" if i == 1 else "in",
            unread_count=2 if i in (0, 2) else 0,
        )
        for i, (name, text) in enumerate(zip(names, previews, strict=True))
    ]
    assignment_set(tenant=tenant, thread=t[0], assignee_id=owner.pk, actor=owner)
    assignment_set(tenant=tenant, thread=t[1], assignee_id=bruna.pk, actor=owner)
    thread_tag_add(tenant=tenant, thread=t[2], tag_id=make_tag(tenant, "Convênio").pk, actor=owner)
    return {"tenant": tenant, "owner": owner, "channel": channel, "t": t}


PHONE = ViewportSize(width=390, height=844)


def _no_sideways_scroll(page: Page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px"


def test_inbox_filters_search_and_live_update(
    page: Page, asgi_url: str, screenshot_dir: Path
) -> None:
    clinic = _clinic()
    login(page, asgi_url, clinic["owner"].email)
    page.goto(f"{asgi_url}/conversas/")
    rows = page.get_by_test_id("thread-row")
    expect(rows).to_have_count(4)
    expect(rows.first).to_contain_text("Mariana Lopes")
    expect(rows.first.get_by_test_id("assignee-chip")).to_have_text("Eu")
    expect(rows.nth(1)).to_contain_text("Você: Obrigado!")
    expect(page.locator("[data-notifier-live]")).to_have_count(1)
    page.screenshot(path=str(screenshot_dir / "inbox_1366.png"), full_page=True)

    page.get_by_role("radio", name="Minhas").check()
    expect(page).to_have_url(re.compile(r"vista=minhas"))
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Mariana Lopes")
    page.get_by_role("radio", name="Não atribuídas").check()
    expect(page).to_have_url(re.compile(r"vista=nao-atribuidas"))
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("João Araújo Dias")
    expect(rows.first.get_by_test_id("tag-pill")).to_have_text("Convênio")
    page.go_back()
    expect(page).to_have_url(re.compile(r"vista=minhas"))
    expect(rows).to_have_count(1)

    page.get_by_role("radio", name="Todas").check()
    page.get_by_label("Buscar conversa").fill("joao")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("João Araújo Dias")
    page.get_by_label("Buscar conversa").fill("100%_")
    expect(page.get_by_text("Nenhuma conversa com estes filtros.")).to_be_visible()
    page.get_by_label("Buscar conversa").fill("")
    expect(rows).to_have_count(4)

    # A patient writes: the thread shows up on top, without a reload.
    page.evaluate("window.__inboxMarker = 'still-here'")
    message_ingest(
        channel=clinic["channel"],
        inbound=inbound_text(
            jid="5511955554444@s.whatsapp.net", body="Vocês atendem sábado?", contact_name="Paula"
        ),
    )
    expect(rows).to_have_count(5)
    expect(rows.first).to_contain_text("Paula")
    expect(rows.first).to_contain_text("Vocês atendem sábado?")
    expect(rows.first.get_by_test_id("unread-badge")).to_have_text("1")
    assert page.evaluate("window.__inboxMarker") == "still-here"

    # A row opens its conversation in the drawer over the list; reading it clears the badge live.
    rows.first.get_by_role("link").click()
    drawer = page.locator("#drawer")
    expect(drawer.get_by_test_id("conversation-name")).to_have_text("Paula")
    expect(page).to_have_url(re.compile(r"/conversas/\d+/$"))
    expect(rows.first.get_by_test_id("unread-badge")).to_have_count(0)
    page.keyboard.press("Escape")
    expect(drawer).to_be_hidden()
    assert page.evaluate("window.__inboxMarker") == "still-here"

    page.set_viewport_size(PHONE)
    page.goto(f"{asgi_url}/conversas/")
    expect(rows).to_have_count(5)
    _no_sideways_scroll(page)
    page.get_by_role("radio", name="Minhas").check()
    expect(rows).to_have_count(1)
    _no_sideways_scroll(page)
    page.get_by_role("radio", name="Não atribuídas").check()
    expect(page).to_have_url(re.compile(r"vista=nao-atribuidas"))
    expect(rows).to_have_count(3)
    page.get_by_role("radio", name="Todas").check()
    expect(rows).to_have_count(5)
    page.screenshot(path=str(screenshot_dir / "inbox_390.png"), full_page=True)
    page.get_by_label("Buscar conversa").fill("joao")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("João Araújo Dias")
    # The row opens the drawer over the whole phone screen, its send button in view.
    rows.first.get_by_role("link").click()
    expect(drawer.get_by_test_id("conversation-name")).to_have_text("João Araújo Dias")
    send = drawer.locator("#send-box").get_by_role("button", name="Enviar", exact=True)
    expect(send).to_be_in_viewport()
    _no_sideways_scroll(page)
    page.screenshot(path=str(screenshot_dir / "inbox_drawer_390.png"))
    page.keyboard.press("Escape")
    expect(drawer).to_be_hidden()


def test_kanban_drag_and_keyboard_move(page: Page, asgi_url: str, screenshot_dir: Path) -> None:
    clinic = _clinic()
    moved = clinic["t"][2]
    login(page, asgi_url, clinic["owner"].email)
    page.goto(f"{asgi_url}/conversas/kanban/")
    board = page.get_by_test_id("kanban-board")
    card = board.locator(f".kcard[data-thread='{moved.pk}']")
    expect(card).to_have_attribute("data-column", Stage.OPEN)
    expect(page.locator("[data-notifier-live]")).to_have_count(1)
    page.screenshot(path=str(screenshot_dir / "kanban_1366.png"), full_page=True)

    card.drag_to(board.locator(f".kcolumn[data-column='{Stage.IN_PROGRESS}']"))
    in_progress = board.locator(f"[data-drop='{Stage.IN_PROGRESS}']")
    expect(in_progress.locator(f"[data-thread='{moved.pk}']")).to_be_visible()
    expect(page.locator("[data-kanban-status]")).to_have_text("Movida para Em atendimento.")
    assert ThreadStatus.objects.get(thread=moved).status == Stage.IN_PROGRESS

    card = board.locator(f".kcard[data-thread='{moved.pk}']")
    card.focus()
    page.keyboard.press("ArrowRight")
    waiting = board.locator(f"[data-drop='{Stage.WAITING}']")
    expect(waiting.locator(f"[data-thread='{moved.pk}']")).to_be_visible()
    expect(page.locator("[data-kanban-status]")).to_have_text("Movida para Aguardando paciente.")
    assert ThreadStatus.objects.get(thread=moved).status == Stage.WAITING
    # Focus stays on the card: the next arrow moves it again.
    expect(board.locator(f".kcard[data-thread='{moved.pk}']")).to_be_focused()

    # The patient writes again: "aguardando" is undone and the card comes back to "Em aberto" live.
    message_ingest(
        channel=clinic["channel"],
        inbound=inbound_text(jid=f"{moved.thread_key[1:]}@s.whatsapp.net", body="Cheguei!"),
    )
    open_column = board.locator(f"[data-drop='{Stage.OPEN}']")
    expect(open_column.locator(f"[data-thread='{moved.pk}']")).to_contain_text("Cheguei!")
    expect(waiting.locator(f"[data-thread='{moved.pk}']")).to_have_count(0)
    expect(open_column.get_by_test_id("kanban-card").first).to_contain_text("Cheguei!")

    page.set_viewport_size(PHONE)
    page.goto(f"{asgi_url}/conversas/kanban/")
    expect(board.get_by_test_id("kanban-card")).to_have_count(4)
    _no_sideways_scroll(page)
    page.screenshot(path=str(screenshot_dir / "kanban_390.png"), full_page=True)


def test_kanban_by_tag_at_phone_width_moves_cards_by_drag_and_keyboard(
    page: Page, asgi_url: str, screenshot_dir: Path
) -> None:
    clinic = _clinic()
    tenant = clinic["tenant"]
    mariana, joao = clinic["t"][0], clinic["t"][2]
    convenio = Tag.objects.get(tenant=tenant, name="Convênio")
    page.set_viewport_size(PHONE)
    login(page, asgi_url, clinic["owner"].email)
    page.goto(f"{asgi_url}/conversas/kanban/")
    # The clinic chooses the columns: one per tag, then "Sem etiqueta".
    page.get_by_label("Colunas").select_option(label="Por etiqueta")
    board = page.get_by_test_id("kanban-board")
    columns = board.locator(".kcolumn")
    expect(columns).to_have_count(7)
    urgent = Tag.objects.get(tenant=tenant, system_code="urgent")  # seeded when first listed
    keys = columns.evaluate_all("els => els.map(e => e.dataset.column)")
    assert keys[-1] == "sem-etiqueta" and f"etiqueta-{convenio.pk}" in keys
    expect(board.locator(f"[data-drop='etiqueta-{convenio.pk}'] .kcard")).to_have_count(1)
    expect(board.locator("[data-drop='sem-etiqueta'] .kcard")).to_have_count(3)
    expect(page.locator("[data-notifier-live]")).to_have_count(1)
    _no_sideways_scroll(page)
    page.screenshot(path=str(screenshot_dir / "kanban_tags_390.png"), full_page=True)

    def tags_of(thread: Thread) -> set[int]:
        return set(ThreadTag.objects.filter(thread=thread).values_list("tag_id", flat=True))

    # Dragged from "Convênio" to "Urgente": the tag is swapped, the card changes column.
    card = board.locator(f"[data-drop='etiqueta-{convenio.pk}'] [data-thread='{joao.pk}']")
    card.drag_to(board.locator(f".kcolumn[data-column='etiqueta-{urgent.pk}']"))
    moved = board.locator(f"[data-drop='etiqueta-{urgent.pk}'] [data-thread='{joao.pk}']")
    expect(moved).to_be_visible()
    expect(moved.get_by_test_id("tag-pill")).to_have_text("Urgente")
    expect(page.locator("[data-kanban-status]")).to_have_text("Movida para Urgente.")
    expect(board.locator(f"[data-drop='etiqueta-{convenio.pk}'] .kcard")).to_have_count(0)
    assert tags_of(joao) == {urgent.pk}

    # The keyboard: an untagged card, ArrowLeft, takes the tag of the column before "Sem etiqueta";
    # ArrowRight brings it back and removes that tag.
    last_tag = keys[-2]
    last_label = columns.nth(len(keys) - 2).locator(".kcolumn-title").inner_text().strip()
    card = board.locator(f"[data-drop='sem-etiqueta'] [data-thread='{mariana.pk}']")
    card.focus()
    page.keyboard.press("ArrowLeft")
    moved = board.locator(f"[data-drop='{last_tag}'] [data-thread='{mariana.pk}']")
    expect(moved).to_be_visible()
    expect(page.locator("[data-kanban-status]")).to_have_text(f"Movida para {last_label}.")
    assert tags_of(mariana) == {int(last_tag.removeprefix("etiqueta-"))}
    expect(moved).to_be_focused()
    page.keyboard.press("ArrowRight")
    untagged = board.locator("[data-drop='sem-etiqueta']")
    expect(untagged.locator(f"[data-thread='{mariana.pk}']")).to_be_visible()
    expect(page.locator("[data-kanban-status]")).to_have_text("Movida para Sem etiqueta.")
    expect(board.locator(f"[data-drop='{last_tag}'] .kcard")).to_have_count(0)
    assert tags_of(mariana) == set()
    _no_sideways_scroll(page)

    # Choosing the columns from the keyboard changes nothing until confirmed: an arrow key
    # picks "Por status", the "Aplicar" button shows up, and only it (or Enter) applies it.
    group = page.get_by_label("Colunas")
    group.focus()
    page.keyboard.press("ArrowUp")
    expect(group).to_have_value("status")
    apply = page.locator(".kanban-group-form").get_by_role("button", name="Aplicar")
    expect(apply).to_be_visible()
    expect(columns).to_have_count(7)
    page.locator(".kanban-group-form").screenshot(
        path=str(screenshot_dir / "kanban_group_keyboard_390.png")
    )
    apply.click()
    expect(board.locator(f"[data-column='etiqueta-{urgent.pk}']")).to_have_count(0)


def test_inbox_loads_more_rows_as_it_scrolls(page: Page, asgi_url: str) -> None:
    tenant = Tenant.objects.create(name="Clínica Longa", slug="longa")
    owner = make_user("dona@longa.test")
    Membership.objects.create(tenant=tenant, user=owner, role=Role.OWNER)
    made = [
        make_inbox_thread(tenant, minutes_ago=i, contact_name=f"Paciente {i:02d}")
        for i in range(45)
    ]
    login(page, asgi_url, owner.email)
    page.set_viewport_size({"width": 390, "height": 700})
    page.goto(f"{asgi_url}/conversas/")
    rows = page.get_by_test_id("thread-row")
    expect(rows).to_have_count(30)
    rows.nth(29).scroll_into_view_if_needed()
    expect(rows).to_have_count(45)
    expect(rows.last).to_contain_text("Paciente 44")
    expect(page.locator("[data-list-more]")).to_have_count(0)
    ids = [int(x) for x in rows.evaluate_all("els => els.map(e => e.dataset.thread)")]
    assert ids == [t.pk for t in made]  # in the order of the dates shown, none twice
