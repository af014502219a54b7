"""A clinic whose patients, professionals, conversations and messages all say "João", and a
second clinic with the same words that must never show up."""

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from clinicrm.core.models import Tenant
from clinicrm.messaging.models import Thread
from clinicrm.messaging.services import message_ingest
from clinicrm.messaging.tests.factories import inbound_text, make_channel
from clinicrm.people import services as people

JOAO_JID = "5511976540132@s.whatsapp.net"
BIA_JID = "5521988881234@s.whatsapp.net"


@dataclass
class Clinic:
    tenant: Tenant
    joao: object
    archived: object
    professional: object
    joao_thread: Thread
    bia_thread: Thread


def build_clinic(tenant: Tenant, *, suffix: str = "") -> Clinic:
    joao = people.patient_create(tenant=tenant, actor=None, full_name=f"João Araújo Dias{suffix}")
    people.contact_phone_add(entity=joao, actor=None, number="11976540132", whatsapp_linked=True)
    people.patient_create(tenant=tenant, actor=None, full_name=f"Joana Prado{suffix}")
    archived = people.patient_create(tenant=tenant, actor=None, full_name=f"João Arquivado{suffix}")
    people.patient_archive(patient=archived, actor=None)
    professional = people.professional_create(
        tenant=tenant, actor=None, full_name=f"Dr. João Sérgio{suffix}", specialty="Psicologia"
    )
    channel = make_channel(tenant)
    now = timezone.now()
    message_ingest(
        channel=channel,
        inbound=inbound_text(
            jid=JOAO_JID, body="Oi, aqui é o João", ts=now - dt.timedelta(hours=2)
        ),
    )
    message_ingest(
        channel=channel,
        inbound=inbound_text(
            jid=BIA_JID,
            body="Bom dia! O <b>JOÃO</b> da recepção pediu para remarcar a sessão de terça & 100%",
            contact_name="Bia",
            ts=now - dt.timedelta(hours=1),
        ),
    )
    joao_thread = Thread.objects.get(tenant=tenant, thread_key="+5511976540132")
    if joao_thread.patient_id is None:  # the CRM's trigger links it when it exists
        joao_thread.patient = joao
        joao_thread.save()
    bia_thread = Thread.objects.get(tenant=tenant, thread_key="+5521988881234")
    return Clinic(tenant, joao, archived, professional, joao_thread, bia_thread)
