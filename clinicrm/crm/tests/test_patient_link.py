"""Conversations and patient records find each other: by the clinic's choice ("Cadastrar
paciente", "Vincular existente") and by phone number, whoever creates the thread or the phone."""

import pytest

from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import AuditLog
from clinicrm.crm.services import thread_patient_create, thread_patient_link
from clinicrm.crm.tests.factories import make_inbox_thread
from clinicrm.messaging.models import Thread
from clinicrm.messaging.services import message_ingest
from clinicrm.messaging.tests.factories import inbound_text, make_channel
from clinicrm.people.models import ContactPhone, ContactType, Patient
from clinicrm.people.services import contact_phone_add, patient_create
from clinicrm.people.services.contacts import DEFAULT_PHONE_TYPE, system_contact_types_ensure

pytestmark = pytest.mark.django_db

NUMBER = "+5511976540132"
JID = "5511976540132@s.whatsapp.net"


def _phones(patient: Patient) -> list[tuple[str, bool, str]]:
    return list(
        ContactPhone.objects.filter(entity_type="patient", entity_id=patient.pk).values_list(
            "number_e164", "whatsapp_linked", "provider_raw_id"
        )
    )


def test_cadastrar_paciente_creates_links_and_relabels(tenant, owner):
    thread = make_inbox_thread(tenant, thread_key=NUMBER, contact_raw_id=JID, contact_name="Rô")
    patient = thread_patient_create(
        tenant=tenant, thread=thread, actor=owner, full_name="  Rodrigo   Fernandes Mendes "
    )
    assert patient.full_name == "Rodrigo Fernandes Mendes"
    assert _phones(patient) == [(NUMBER, True, JID)]
    assert Thread.objects.get(pk=thread.pk).patient_id == patient.pk
    assert AuditLog.objects.filter(
        action="conversation.patient_link", details={"patient": patient.pk}
    ).exists()


def test_vincular_existente_flags_the_number_already_on_the_record(tenant, owner):
    patient = Patient.objects.create(tenant=tenant, full_name="Ana Souza")
    contact_phone_add(entity=patient, actor=None, number="(11) 97654-0132")
    other = Patient.objects.create(tenant=tenant, full_name="Bia Souza")
    contact_phone_add(entity=other, actor=None, number=NUMBER)  # a shared family phone
    thread = make_inbox_thread(tenant, thread_key=NUMBER, contact_raw_id=JID)
    assert thread.patient_id is None  # two patients have the number: the clinic chooses
    thread_patient_link(tenant=tenant, thread=thread, patient_id=patient.pk, actor=owner)
    assert _phones(patient) == [(NUMBER, True, JID)]
    assert Thread.objects.get(pk=thread.pk).patient_id == patient.pk


def test_vincular_adds_the_number_to_a_patient_without_it(tenant, owner):
    patient = Patient.objects.create(tenant=tenant, full_name="Carla Dias")
    contact_phone_add(entity=patient, actor=None, number="(21) 99999-0000")
    thread = make_inbox_thread(tenant, thread_key=NUMBER, contact_raw_id=JID)
    thread_patient_link(tenant=tenant, thread=thread, patient_id=str(patient.pk), actor=owner)
    assert (NUMBER, True, JID) in _phones(patient)
    assert len(_phones(patient)) == 2


@pytest.mark.parametrize("bad", [None, "", "abc", 999999, "other-tenant"])
def test_vincular_refuses_a_patient_not_of_this_clinic(bad, tenant, other_tenant, owner):
    if bad == "other-tenant":
        bad = Patient.objects.create(tenant=other_tenant, full_name="De Fora").pk
    thread = make_inbox_thread(tenant, thread_key=NUMBER)
    with pytest.raises(ApplicationError, match="Escolha um paciente da lista"):
        thread_patient_link(tenant=tenant, thread=thread, patient_id=bad, actor=owner)
    assert Thread.objects.get(pk=thread.pk).patient_id is None
    assert not ContactPhone.objects.exists()


def test_cadastrar_with_an_invalid_name_changes_nothing(tenant, owner):
    thread = make_inbox_thread(tenant, thread_key=NUMBER)
    with pytest.raises(ApplicationError, match="nome completo"):
        thread_patient_create(tenant=tenant, thread=thread, actor=owner, full_name=" ")
    assert not Patient.objects.exists()
    assert Thread.objects.get(pk=thread.pk).patient_id is None


def test_a_new_conversation_from_a_patients_number_is_linked_on_arrival(tenant):
    patient = patient_create(tenant=tenant, actor=None, full_name="Rodrigo Fernandes Mendes")
    contact_phone_add(entity=patient, actor=None, number=NUMBER, whatsapp_linked=True)
    channel = make_channel(tenant)
    message_ingest(channel=channel, inbound=inbound_text(jid=JID, contact_name="Rodrigo Mendes"))
    thread = Thread.objects.get(tenant=tenant)
    assert thread.patient_id == patient.pk
    assert thread.contact_name == "Rodrigo Mendes"  # kept, but the record's name is shown


def test_a_phone_added_later_links_the_existing_conversation(tenant, other_tenant):
    thread = make_inbox_thread(tenant, thread_key=NUMBER)
    foreign = make_inbox_thread(other_tenant, thread_key=NUMBER)
    archived = Patient.objects.create(tenant=tenant, full_name="Arquivado", is_active=False)
    contact_phone_add(entity=archived, actor=None, number=NUMBER)
    assert Thread.objects.get(pk=thread.pk).patient_id is None  # archived patients don't count
    patient = Patient.objects.create(tenant=tenant, full_name="Nova Paciente")
    contact_phone_add(entity=patient, actor=None, number=NUMBER)
    assert Thread.objects.get(pk=thread.pk).patient_id == patient.pk
    assert Thread.objects.get(pk=foreign.pk).patient_id is None  # never across tenants


def test_an_import_of_many_phones_in_one_statement_links_each_conversation(tenant):
    # A bulk import writes its phones in one INSERT: each number's conversation is linked to its
    # patient, a conversation already linked keeps its patient, other numbers stay unlinked.
    numbers = [f"+55119765401{n:02d}" for n in range(6)]
    for number in numbers:
        make_inbox_thread(tenant, thread_key=number)
    patients = [Patient.objects.create(tenant=tenant, full_name=f"Paciente {n}") for n in range(6)]
    Thread.objects.filter(tenant=tenant, thread_key=numbers[5]).update(patient=patients[5])
    system_contact_types_ensure()
    phone_type = ContactType.objects.get(tenant=None, code=DEFAULT_PHONE_TYPE)
    rows = [(patients[n], numbers[n]) for n in range(4)] + [(patients[4], numbers[5])]
    ContactPhone.objects.bulk_create(
        ContactPhone(
            tenant=tenant,
            entity_type="patient",
            entity_id=patient.pk,
            contact_type=phone_type,
            number_e164=number,
        )
        for patient, number in rows
    )
    linked = dict(Thread.objects.filter(tenant=tenant).values_list("thread_key", "patient_id"))
    assert [linked[number] for number in numbers] == [
        patients[0].pk,
        patients[1].pk,
        patients[2].pk,
        patients[3].pk,
        None,  # nobody has it
        patients[5].pk,  # already linked: links are never moved
    ]
