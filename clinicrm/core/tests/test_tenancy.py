import pytest
from django.urls import reverse

from clinicrm.core.models import Membership, Role

pytestmark = pytest.mark.django_db


def test_user_switches_between_own_tenants(owner, owner_client, other_tenant):
    Membership.objects.create(tenant=other_tenant, user=owner, role=Role.SECRETARY)
    response = owner_client.get(reverse("dashboard:home"))
    assert response.context["current_tenant"].slug == "alfa"
    owner_client.post(reverse("core:tenant_switch"), {"tenant_id": str(other_tenant.pk)})
    response = owner_client.get(reverse("dashboard:home"))
    assert response.context["current_tenant"].slug == "beta"
    assert response.context["current_membership"].role == Role.SECRETARY


def test_cannot_switch_to_a_tenant_without_membership(owner_client, other_tenant):
    owner_client.post(reverse("core:tenant_switch"), {"tenant_id": str(other_tenant.pk)})
    response = owner_client.get(reverse("dashboard:home"))
    assert response.context["current_tenant"].slug == "alfa"


def test_garbage_tenant_id_is_ignored(owner_client):
    response = owner_client.post(reverse("core:tenant_switch"), {"tenant_id": "not-a-uuid"})
    assert response.status_code == 302


def test_inactive_membership_gives_no_tenant(owner, owner_client):
    Membership.objects.filter(user=owner).update(is_active=False)
    assert owner_client.get(reverse("dashboard:home")).status_code == 403


def test_tenant_cpf_cnpj_length_is_checked_by_the_database(tenant):
    from django.db import IntegrityError, transaction

    tenant.cpf_cnpj = "123"
    with pytest.raises(IntegrityError), transaction.atomic():
        tenant.save()
