"""Shared fixtures: two tenants with members of every role, and logged-in clients."""

import pytest
from django.test import Client

from clinicrm.core.models import Membership, Role, Tenant, User

PASSWORD = "senha-de-teste-123"


def make_user(email: str, *, staff: bool = False) -> User:
    return User.objects.create_user(
        email=email, password=PASSWORD, first_name=email.split("@")[0], is_staff=staff
    )


def make_tenant(slug: str) -> Tenant:
    return Tenant.objects.create(name=f"Clínica {slug.title()}", slug=slug)


@pytest.fixture
def tenant(db) -> Tenant:
    return make_tenant("alfa")


@pytest.fixture
def other_tenant(db) -> Tenant:
    return make_tenant("beta")


@pytest.fixture
def owner(tenant) -> User:
    user = make_user("dona@alfa.test")
    Membership.objects.create(tenant=tenant, user=user, role=Role.OWNER)
    return user


@pytest.fixture
def other_owner(other_tenant) -> User:
    user = make_user("dona@beta.test")
    Membership.objects.create(tenant=other_tenant, user=user, role=Role.OWNER)
    return user


@pytest.fixture
def member_factory(tenant):
    def factory(role: str, email: str | None = None, on: Tenant | None = None) -> User:
        user = make_user(email or f"{role}@{(on or tenant).slug}.test")
        Membership.objects.create(tenant=on or tenant, user=user, role=role)
        return user

    return factory


@pytest.fixture
def staff_user(db) -> User:
    return make_user("staff@clinicrm.test", staff=True)


@pytest.fixture
def owner_client(owner) -> Client:
    client = Client()
    client.force_login(owner)
    return client


@pytest.fixture
def other_owner_client(other_owner) -> Client:
    client = Client()
    client.force_login(other_owner)
    return client


@pytest.fixture
def staff_client(staff_user) -> Client:
    client = Client()
    client.force_login(staff_user)
    return client
