"""/api/v1 for the conversation drawer: send, tags, assignment, notes. Refusals are 400
{"detail", "field"} and change nothing; another tenant's ids are 404."""

import pytest

from clinicrm.core.models import Role
from clinicrm.crm.models import Assignment, Note, Tag, ThreadTag
from clinicrm.crm.services import note_create
from clinicrm.crm.tests.factories import make_inbox_thread, make_tag
from clinicrm.messaging.models import Message
from clinicrm.messaging.tests.factories import make_channel

pytestmark = pytest.mark.django_db


def test_send_queues_a_message_and_refuses_an_empty_one(api, tenant, other_tenant):
    make_channel(tenant)
    thread = make_inbox_thread(tenant)
    response = api.post(f"threads/{thread.pk}/send", {"text": "   "})
    assert response.status_code == 400 and response.json()["field"] == "text"
    assert not Message.objects.exists()
    response = api.post(f"threads/{thread.pk}/send", {"text": "Confirmado para amanhã"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["thread_id"] == thread.pk and body["status"] == "pending"
    assert Message.objects.get().body == "Confirmado para amanhã"
    theirs = make_inbox_thread(other_tenant)
    assert api.post(f"threads/{theirs.pk}/send", {"text": "x"}).status_code == 404


def test_tags_catalogue_and_thread_tags(api, tenant, other_tenant):
    assert len(api.get("tags").json()) == 5  # the system tags
    created = api.post("tags", {"name": "Convênio", "color": "pink"})
    assert created.status_code == 201 and created.json()["system"] is False
    dup = api.post("tags", {"name": "CONVENIO", "color": "blue"})
    assert dup.status_code == 400 and dup.json() == {
        "detail": "Já existe uma etiqueta com este nome.",
        "field": "name",
    }
    thread = make_inbox_thread(tenant)
    tag_id = created.json()["id"]
    body = api.post(f"threads/{thread.pk}/tags", {"tag_id": tag_id}).json()
    assert [t["name"] for t in body] == ["Convênio"]
    theirs = make_tag(other_tenant, "Deles")
    unknown = api.post(f"threads/{thread.pk}/tags", {"tag_id": theirs.pk})
    assert unknown.status_code == 400 and unknown.json()["field"] == "tag"
    assert ThreadTag.objects.count() == 1
    assert api.delete(f"threads/{thread.pk}/tags/{tag_id}").json() == []
    system = Tag.objects.get(tenant=tenant, system_code="urgent")
    assert api.delete(f"tags/{system.pk}").status_code == 400
    assert api.delete(f"tags/{theirs.pk}").status_code == 404


def test_assignment_checks_membership_and_staleness(
    api, tenant, owner, other_owner, member_factory
):
    thread = make_inbox_thread(tenant)
    url = f"threads/{thread.pk}/assignment"
    assert api.get(url).json()["assigned_to"] is None
    response = api.put(url, {"assigned_to": str(other_owner.pk), "expected": ""})
    assert response.status_code == 400 and response.json()["field"] == "assigned_to"
    colleague = member_factory(Role.SECRETARY)
    body = api.put(url, {"assigned_to": str(colleague.pk), "expected": ""}).json()
    assert body["assigned_to"] == str(colleague.pk) and body["assigned_at"]
    stale = api.put(url, {"assigned_to": str(owner.pk), "expected": ""})
    assert stale.status_code == 400 and "mudou enquanto" in stale.json()["detail"]
    assert Assignment.objects.get(thread=thread).assigned_to == colleague


def test_notes_only_the_author_edits(api, tenant, member_factory):
    thread = make_inbox_thread(tenant)
    url = f"threads/{thread.pk}/notes"
    assert api.post(url, {"body": ""}).status_code == 400
    mine = api.post(url, {"body": "Ligar depois das 18h"}).json()
    assert mine["body"] == "Ligar depois das 18h" and not mine["edited"]
    colleague = member_factory(Role.SECRETARY)
    theirs = note_create(tenant=tenant, thread=thread, author=colleague, body="Da colega")
    refused = api.patch(f"{url}/{theirs.pk}", {"body": "alterada"})
    assert refused.status_code == 400 and refused.json()["field"] == "note"
    assert api.delete(f"{url}/{theirs.pk}").status_code == 400
    assert Note.objects.get(pk=theirs.pk).body == "Da colega"
    edited = api.patch(f"{url}/{mine['id']}", {"body": "Ligar às 19h"}).json()
    assert edited["edited"] is True
    assert api.delete(f"{url}/{mine['id']}").status_code == 204
    assert [n["id"] for n in api.get(url).json()] == [theirs.pk]
