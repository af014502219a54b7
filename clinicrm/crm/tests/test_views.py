"""The CRM panels of the conversation drawer and the tags page, through HTTP: every change
answers its panel, a refusal answers 400 with a pt-BR reason and changes nothing."""

import pytest
from django.urls import reverse

from clinicrm.core.models import AuditLog, Notification, Role
from clinicrm.crm.models import Assignment, Note, Tag, ThreadTag
from clinicrm.crm.services import assignment_set, note_create
from clinicrm.crm.tests.factories import make_inbox_thread, make_tag
from clinicrm.messaging.models import Message, Thread
from clinicrm.messaging.services import message_ingest
from clinicrm.messaging.tests.factories import inbound_text, make_channel
from clinicrm.people.models import ContactPhone, Patient

pytestmark = pytest.mark.django_db
HX = {"HX-Request": "true"}


def _url(name: str, thread: Thread, **kw: int) -> str:
    return reverse(f"crm:{name}", kwargs={"thread_id": thread.pk, **kw})


def test_the_drawer_shows_the_crm_panels_and_opens_at_the_newest_page(owner_client, tenant):
    channel = make_channel(tenant)
    for i in range(55):
        message_ingest(channel=channel, inbound=inbound_text(f"P{i}", body=f"mensagem {i}"))
    thread = Thread.objects.get()
    url = reverse("messaging:thread", kwargs={"thread_id": thread.pk})
    html = owner_client.get(url, headers={**HX, "HX-Target": "drawer"}).content.decode()
    assert "<html" not in html and "data-conversation" in html
    for panel in ("crm-patient", "crm-assignment", "crm-tags", "crm-notes"):
        assert f'id="{panel}"' in html
    # The newest 50, oldest first, and a marker to load the older ones.
    assert "mensagem 54" in html and "mensagem 5<" in html and "mensagem 4<" not in html
    assert html.index("mensagem 53") < html.index("mensagem 54")
    assert "?antes=" in html and "Hoje" in html
    page = owner_client.get(url).content.decode()
    assert "<html" in page and "data-conversation" in page and "<script>" not in page
    timeline = reverse("messaging:thread_timeline", kwargs={"thread_id": thread.pk})
    first = Message.objects.order_by("provider_timestamp", "id")[5].pk
    older = owner_client.get(timeline, {"antes": first}, headers=HX).content.decode()
    assert "mensagem 4<" in older and "mensagem 0<" in older and "mensagem 5<" not in older
    last = Message.objects.order_by("-provider_timestamp", "-id")[1].pk
    newer = owner_client.get(timeline, {"depois": last}, headers=HX).content.decode()
    assert "mensagem 54" in newer and "mensagem 53" not in newer


def test_tags_add_and_remove_from_the_drawer_and_unknown_tags_are_refused(
    owner_client, tenant, other_tenant
):
    thread = make_inbox_thread(tenant)
    tag = make_tag(tenant, "Convênio")
    theirs = make_tag(other_tenant, "Deles")
    url = _url("thread_tags", thread)
    html = owner_client.post(url, {"tag": tag.pk, "acao": "adicionar"}, headers=HX)
    assert html.status_code == 200 and 'data-testid="tag-pill"' in html.content.decode()
    assert ThreadTag.objects.filter(thread=thread, tag=tag).exists()
    for bad in (theirs.pk, 999999, "x", ""):
        response = owner_client.post(url, {"tag": bad, "acao": "adicionar"}, headers=HX)
        assert response.status_code == 400
        assert "Etiqueta não encontrada" in response.content.decode()
    assert ThreadTag.objects.count() == 1
    owner_client.post(url, {"tag": tag.pk, "acao": "remover"}, headers=HX)
    assert not ThreadTag.objects.exists()


def test_assumir_then_a_stale_assignment_is_refused_and_changes_nothing(
    owner_client, tenant, owner, member_factory
):
    thread = make_inbox_thread(tenant)
    colleague = member_factory(Role.SECRETARY)
    url = _url("thread_assignment", thread)
    response = owner_client.post(url, {"assumir": "1", "expected": ""}, headers=HX)
    assert response.status_code == 200 and ">Eu<" in response.content.decode()
    row = Assignment.objects.get(thread=thread)
    assert row.assigned_to == owner and row.assigned_at is not None
    assert AuditLog.objects.filter(action="conversation.assign").exists()
    # Someone else re-assigns meanwhile; the owner's page still shows itself as the assignee.
    assignment_set(tenant=tenant, thread=thread, assignee_id=colleague.pk, actor=colleague)
    response = owner_client.post(url, {"assigned_to": "", "expected": str(owner.pk)}, headers=HX)
    assert response.status_code == 400
    html = response.content.decode()
    assert "mudou enquanto você a via" in html and "Nada foi alterado" in html
    assert Assignment.objects.get(thread=thread).assigned_to == colleague
    # Assigning to a colleague notifies them.
    response = owner_client.post(
        url, {"assigned_to": str(owner.pk), "expected": str(colleague.pk)}, headers=HX
    )
    assert response.status_code == 200


def test_assignment_to_another_tenants_member_is_refused(
    owner_client, tenant, other_owner, member_factory
):
    thread = make_inbox_thread(tenant)
    url = _url("thread_assignment", thread)
    response = owner_client.post(
        url, {"assigned_to": str(other_owner.pk), "expected": ""}, headers=HX
    )
    assert response.status_code == 400
    assert "membro ativo desta clínica" in response.content.decode()
    assert not Assignment.objects.filter(assigned_to__isnull=False).exists()
    colleague = member_factory(Role.PROFESSIONAL)
    owner_client.post(url, {"assigned_to": str(colleague.pk), "expected": ""}, headers=HX)
    assert Notification.objects.filter(user=colleague, kind="conversation.assigned").exists()


def test_notes_author_edits_others_are_refused_and_empty_notes_change_nothing(
    owner_client, tenant, owner, member_factory
):
    thread = make_inbox_thread(tenant)
    url = _url("thread_notes", thread)
    response = owner_client.post(url, {"body": "   "}, headers=HX)
    assert response.status_code == 400 and "Escreva a nota" in response.content.decode()
    assert not Note.objects.exists()
    response = owner_client.post(url, {"body": "Prefere contato à tarde"}, headers=HX)
    assert response.status_code == 200 and "Prefere contato à tarde" in response.content.decode()
    mine = Note.objects.get()
    colleague = member_factory(Role.SECRETARY)
    theirs = note_create(tenant=tenant, thread=thread, author=colleague, body="Nota da colega")
    html = owner_client.get(url, headers=HX).content.decode()
    assert html.count(">Editar<") == 1  # only on the owner's own note
    edit = _url("note_edit", thread, note_id=theirs.pk)
    response = owner_client.post(edit, {"body": "alterada"}, headers=HX)
    assert response.status_code == 400 and "Só quem escreveu" in response.content.decode()
    response = owner_client.post(_url("note_remove", thread, note_id=theirs.pk), headers=HX)
    assert response.status_code == 400
    theirs.refresh_from_db()
    assert theirs.body == "Nota da colega" and not theirs.edited
    owner_client.post(_url("note_edit", thread, note_id=mine.pk), {"body": "Nova"}, headers=HX)
    mine.refresh_from_db()
    assert mine.body == "Nova" and mine.edited
    owner_client.post(_url("note_remove", thread, note_id=mine.pk), headers=HX)
    assert list(Note.objects.all()) == [theirs]


def test_unknown_number_becomes_a_patient_or_is_linked(owner_client, tenant):
    thread = make_inbox_thread(tenant, thread_key="+5511977770001", contact_name="Zé")
    html = owner_client.get(_url("thread_patient", thread), headers=HX).content.decode()
    assert "Cadastrar paciente" in html and "Vincular existente" in html
    response = owner_client.post(_url("patient_new", thread), {"full_name": " "}, headers=HX)
    assert response.status_code == 400 and "Informe o nome completo" in response.content.decode()
    response = owner_client.post(
        _url("patient_new", thread), {"full_name": "José", "birth_date": "31/02"}, headers=HX
    )
    assert (
        response.status_code == 400 and "Data de nascimento inválida" in response.content.decode()
    )
    assert not Patient.objects.exists()
    response = owner_client.post(
        _url("patient_new", thread), {"full_name": "José Araújo"}, headers=HX
    )
    assert response.status_code == 200 and response["HX-Trigger"] == "drawer-reload"
    thread.refresh_from_db()
    patient = Patient.objects.get()
    assert thread.patient == patient and patient.full_name == "José Araújo"
    phone = ContactPhone.objects.get(entity_id=patient.pk)
    assert phone.number_e164 == "+5511977770001" and phone.whatsapp_linked
    # Another unknown number is linked to the existing patient, found without the accent.
    other = make_inbox_thread(tenant, thread_key="+5511977770002")
    html = owner_client.get(
        _url("patient_search", other), {"q": "araujo"}, headers=HX
    ).content.decode()
    assert "José Araújo" in html
    response = owner_client.post(_url("patient_link", other), {"patient": "x"}, headers=HX)
    assert response.status_code == 400 and "Escolha um paciente" in response.content.decode()
    owner_client.post(_url("patient_link", other), {"patient": patient.pk}, headers=HX)
    other.refresh_from_db()
    assert other.patient == patient


def test_the_patient_record_shows_its_conversations_tab(owner_client, tenant):
    channel = make_channel(tenant)
    message_ingest(channel=channel, inbound=inbound_text("A1", body="Bom dia"))
    message_ingest(
        channel=channel, inbound=inbound_text("A2", body="Olá!", from_me=True, status="read")
    )
    thread = Thread.objects.get()
    patient = Patient.objects.create(tenant=tenant, full_name="Rodrigo Fernandes Mendes")
    Thread.objects.filter(pk=thread.pk).update(patient=patient)
    url = reverse("people:patient_detail", kwargs={"patient_id": patient.pk})
    html = owner_client.get(url, {"aba": "conversas"}).content.decode()
    assert 'data-testid="stat-total">2<' in html and 'data-testid="stat-received">1<' in html
    assert "Bom dia" in html and "tick-read" in html and "Abrir no CRM" in html
    html = owner_client.get(
        url,
        {"aba": "conversas", "direcao": "enviadas"},
        headers={**HX, "HX-Target": "patient-tab-panel"},
    ).content.decode()
    assert "<html" not in html and "Olá!" in html and "Bom dia" not in html
    assert "Consultas" in owner_client.get(url, {"aba": "consultas"}).content.decode()


def test_tags_page_creates_renames_and_refuses_duplicates_and_system_removals(owner_client, tenant):
    url = reverse("crm:tags")
    html = owner_client.get(url).content.decode()
    assert "Novo contato" in html and "Sistema" in html
    assert owner_client.post(url, {"name": "Convênio", "color": "pink"}).status_code == 302
    response = owner_client.post(url, {"name": "convenio", "color": "blue"})
    assert response.status_code == 400 and "Já existe uma etiqueta" in response.content.decode()
    response = owner_client.post(url, {"name": "Outra", "color": "roxo"})
    assert response.status_code == 400 and "Escolha uma das cores" in response.content.decode()
    tag = Tag.objects.get(tenant=tenant, name="Convênio")
    system = Tag.objects.get(tenant=tenant, system_code="urgent")
    response = owner_client.post(reverse("crm:tag_remove", kwargs={"tag_id": system.pk}))
    assert response.status_code == 400 and "não podem ser removidas" in response.content.decode()
    owner_client.post(
        reverse("crm:tag_edit", kwargs={"tag_id": tag.pk}), {"name": "Plano", "color": "green"}
    )
    tag.refresh_from_db()
    assert (tag.name, tag.color) == ("Plano", "green")
    owner_client.post(reverse("crm:tag_remove", kwargs={"tag_id": tag.pk}))
    assert (
        not Tag.objects.filter(pk=tag.pk).exists()
        and Tag.objects.filter(tenant=tenant).count() == 5
    )
