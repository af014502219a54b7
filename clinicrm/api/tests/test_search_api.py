"""/api/v1/search: the global search as grouped JSON, 400 for bad queries, one tenant."""

import pytest
from django.test import Client

from clinicrm.core.models import Role, Tenant
from clinicrm.search.tests.factories import build_clinic

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinic(tenant):
    return build_clinic(tenant)


@pytest.fixture
def other_clinic(other_tenant):
    return build_clinic(other_tenant, suffix=" Outro")


def test_api_search_grouped_json(api, clinic, other_clinic):
    response = api.get("search", q="JOAO")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["query"] == "JOAO"
    assert [p["title"] for p in body["patients"]] == ["João Araújo Dias", "João Arquivado"]
    assert [p["title"] for p in body["professionals"]] == ["Dr. João Sérgio"]
    assert [t["title"] for t in body["threads"]] == ["João Araújo Dias"]
    assert [m["title"] for m in body["messages"]] == ["Bia", "João Araújo Dias"]
    message = body["messages"][0]
    start, end = message["highlights"][0]
    assert message["snippet"][start:end] == "JOÃO"
    assert "<b>" in message["snippet"]  # plain text in JSON; escaping is the client's job
    items = [item for group in body.values() if isinstance(group, list) for item in group]
    assert items and all("Outro" not in item["title"] for item in items)


def test_api_search_refuses_short_and_long_queries(api):
    for q in ("", "a", "b" * 101):
        response = api.get("search", q=q)
        assert response.status_code == 400
        assert response.json()["field"] == "q"
    assert "no máximo 100" in api.get("search", q="b" * 101).json()["detail"]


def test_api_search_needs_a_token(clinic):
    response = Client().get("/api/v1/search", {"q": "joao"})
    assert response.status_code == 401


def test_api_professional_role_sees_no_professionals(
    clinic, tenant, member_factory, make_api_client
):
    # Least privilege off: this is about the professionals group only.
    Tenant.objects.filter(pk=tenant.pk).update(professionals_own_patients_only=False)
    api = make_api_client(member_factory(Role.PROFESSIONAL), tenant)
    body = api.get("search", q="joao").json()
    assert body["professionals"] == [] and body["patients"]
