"""Shared fixtures: two tenants with members of every role, and logged-in clients."""

import os

import psycopg
import pytest
from django.db import connection
from django.test import Client

from clinicrm.core.dbutil import listen_connection_params
from clinicrm.core.models import Membership, Role, Tenant, User
from clinicrm.core.rls import (
    rls_bypass,
    rls_grant_sql,
    rls_install_statements,
    rls_sync,
)

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


@pytest.fixture(autouse=True)
def _log_leak_guard(request):
    """The webhook and media suites write no token, phone or message text in any log line
    (tests/log_leaks.py)."""
    from tests.log_leaks import GUARDED_PATHS, LogLeakGuard

    if not request.node.nodeid.startswith(GUARDED_PATHS):
        yield None
        return
    guard = LogLeakGuard()
    guard.start()
    try:
        yield guard
    finally:
        guard.stop()
    leaks = guard.leaks()
    if leaks:
        pytest.fail("Personal data in the log:\n" + "\n".join(leaks[:20]), pytrace=False)


# --- row-level security (PostgreSQL) ------------------------------------------------------------

# The role the application queries run as under `rls_on`: the suite connects as a superuser, and
# superusers skip every policy (docs/deploy.md names the production equivalent).
RLS_APP_ROLE = "clinicrm_app"


@pytest.fixture(scope="session")
def rls_app_role(django_db_setup) -> str:
    """The role (cluster-wide; concurrent xdist workers tolerated), the policies and the grants,
    committed once per test database on a session of their own (a test's transaction may already
    be open): the policies change nothing for the superuser the rest of the suite runs as."""
    if connection.vendor != "postgresql":
        pytest.skip("row-level security is PostgreSQL's")
    statements = [
        # Fail rather than wait forever on a lock the calling test's transaction holds.
        "SET lock_timeout = '10s'",
        "DO $$ BEGIN "
        f"CREATE ROLE {RLS_APP_ROLE} NOLOGIN NOSUPERUSER NOBYPASSRLS; "
        "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$",
    ]
    statements += rls_install_statements()
    statements += rls_grant_sql(RLS_APP_ROLE)
    with psycopg.connect(**listen_connection_params()) as admin:
        for statement in statements:
            admin.execute(statement)
    return RLS_APP_ROLE


@pytest.fixture
def rls_on(db, settings, rls_app_role) -> str:
    """DATABASE_RLS on and this test's connection running as the application role (NOSUPERUSER
    NOBYPASSRLS); the rollback at the test's end undoes the role switch."""
    settings.DATABASE_RLS = True
    with connection.cursor() as cursor:
        cursor.execute(f"SET ROLE {rls_app_role}")
    rls_sync()
    return rls_app_role


@pytest.fixture(autouse=True)
def _rls_everywhere(request):
    """TEST_RLS_EVERYWHERE=1 (PostgreSQL): every test on the `db` fixture runs with RLS on as the
    application role, its own set-up under the bypass and each request scoped by the middleware.
    A tool to find code paths that need a scope (not part of the default run)."""
    marker = request.node.get_closest_marker("django_db")
    wanted = "db" in request.fixturenames or (marker is not None and not marker.kwargs)
    on = os.environ.get("TEST_RLS_EVERYWHERE") == "1" and connection.vendor == "postgresql"
    own = "rls_app_role" in request.fixturenames or request.module.__name__.endswith("_security")
    if not on or not wanted or own:
        yield
        return
    request.getfixturevalue("rls_on")
    with rls_bypass():
        yield
