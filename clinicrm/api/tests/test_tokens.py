import hashlib

import pytest
from django.urls import reverse

from clinicrm.api.models import ApiToken
from clinicrm.api.services import api_token_create
from clinicrm.api.tests.conftest import ApiClient
from clinicrm.core.models import AuditLog, Membership

pytestmark = pytest.mark.django_db


def test_profile_creates_token_shown_once_and_stores_only_its_hash(owner_client, owner, tenant):
    response = owner_client.post(reverse("api:profile"), {"name": "Planilha"})
    assert response.status_code == 200
    plain = response.context["created"].plain
    assert plain.encode() in response.content
    token = ApiToken.objects.get(user=owner, tenant=tenant)
    assert token.token_hash == hashlib.sha256(plain.encode()).hexdigest()
    assert plain not in {token.prefix, token.token_hash, token.name}
    # A reload lists the token but never the secret again.
    again = owner_client.get(reverse("api:profile"))
    assert plain.encode() not in again.content
    assert b"Planilha" in again.content
    assert AuditLog.objects.filter(action="api_token.create", object_id=str(token.pk)).exists()
    assert plain not in str(list(AuditLog.objects.values_list("details", flat=True)))


def test_profile_rejects_empty_name_and_creates_nothing(owner_client):
    response = owner_client.post(reverse("api:profile"), {"name": "  "})
    assert response.status_code == 400
    assert "Informe um nome para o token." in response.content.decode()
    assert ApiToken.objects.count() == 0


def test_profile_lists_only_own_tokens_of_current_tenant(
    owner_client, owner, tenant, other_tenant, member_factory
):
    colleague = member_factory("admin")
    api_token_create(tenant=tenant, user=colleague, name="Do colega")
    Membership.objects.create(tenant=other_tenant, user=owner, role="owner")
    api_token_create(tenant=other_tenant, user=owner, name="Da outra clínica")
    api_token_create(tenant=tenant, user=owner, name="Meu token")
    html = owner_client.get(reverse("api:profile")).content.decode()
    assert "Meu token" in html
    assert "Do colega" not in html
    assert "Da outra clínica" not in html


def test_revoke_own_token(owner_client, owner, tenant):
    created = api_token_create(tenant=tenant, user=owner, name="t")
    url = reverse("api:token_revoke", kwargs={"token_id": created.token.pk})
    assert owner_client.post(url).status_code == 302
    created.token.refresh_from_db()
    assert created.token.revoked_at is not None
    assert AuditLog.objects.filter(action="api_token.revoke").count() == 1
    assert ApiClient(created.plain).get("patients").status_code == 401


def test_revoke_someone_elses_token_is_404_and_changes_nothing(
    owner_client, tenant, member_factory, other_owner, other_tenant
):
    colleague_token = api_token_create(tenant=tenant, user=member_factory("admin"), name="c").token
    foreign_token = api_token_create(tenant=other_tenant, user=other_owner, name="f").token
    for token in (colleague_token, foreign_token):
        url = reverse("api:token_revoke", kwargs={"token_id": token.pk})
        assert owner_client.post(url).status_code == 404
        token.refresh_from_db()
        assert token.revoked_at is None
    assert not AuditLog.objects.filter(action="api_token.revoke").exists()


def test_missing_malformed_and_wrong_tokens_get_401(api, owner, tenant):
    assert ApiClient(None).get("patients").status_code == 401
    assert ApiClient("not-a-token").get("patients").status_code == 401
    real = api_token_create(tenant=tenant, user=owner, name="x").plain
    tampered = real[:-3] + ("aaa" if not real.endswith("aaa") else "bbb")
    response = ApiClient(tampered).get("patients")
    assert response.status_code == 401
    assert response.json()["detail"].startswith("Token de API")
    assert response["WWW-Authenticate"] == "Bearer"
    assert ApiClient(real).get("patients").status_code == 200


def test_session_login_alone_does_not_authenticate_the_api(owner_client):
    assert owner_client.get("/api/v1/patients").status_code == 401


def test_inactive_membership_or_user_gets_401(owner, tenant):
    plain = api_token_create(tenant=tenant, user=owner, name="x").plain
    client = ApiClient(plain)
    assert client.get("patients").status_code == 200
    Membership.objects.filter(user=owner, tenant=tenant).update(is_active=False)
    assert client.get("patients").status_code == 401
    Membership.objects.filter(user=owner, tenant=tenant).update(is_active=True)
    tenant.is_active = False
    tenant.save()
    assert client.get("patients").status_code == 401


def test_token_is_bound_to_its_tenant(owner, tenant, other_tenant):
    """A user in two clinics: each token sees only its own clinic's data."""
    from clinicrm.people.models import Patient

    Membership.objects.create(tenant=other_tenant, user=owner, role="owner")
    Patient.objects.create(tenant=tenant, full_name="Ana Alfa")
    Patient.objects.create(tenant=other_tenant, full_name="Bia Beta")
    alfa = ApiClient(api_token_create(tenant=tenant, user=owner, name="a").plain)
    beta = ApiClient(api_token_create(tenant=other_tenant, user=owner, name="b").plain)
    assert [p["full_name"] for p in alfa.get("patients").json()["items"]] == ["Ana Alfa"]
    assert [p["full_name"] for p in beta.get("patients").json()["items"]] == ["Bia Beta"]


def test_last_used_is_recorded(api, owner):
    api.get("patients")
    assert ApiToken.objects.get(user=owner).last_used_at is not None


def test_openapi_schema_lists_the_paths(client):
    response = client.get(reverse("api:v1:openapi-json"))
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/v1/patients",
        "/api/v1/patients/{patient_id}",
        "/api/v1/patients/{patient_id}/archive",
        "/api/v1/professionals/{professional_id}",
        "/api/v1/patients/{patient_id}/phones/{phone_id}/primary",
        "/api/v1/professionals/{professional_id}/emails/{email_id}",
        "/api/v1/appointments",
        "/api/v1/appointments/{appointment_id}/status",
    ):
        assert path in paths, path
    schemes = response.json()["components"]["securitySchemes"]
    assert any(s.get("scheme") == "bearer" for s in schemes.values())


def test_docs_page_uses_only_local_assets(client):
    response = client.get(reverse("api:v1:openapi-view"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "cdn" not in html.lower()
    assert "/static/ninja/swagger-ui-bundle.js" in html
