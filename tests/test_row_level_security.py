"""PostgreSQL row-level security (core/rls.py): the second wall behind the tenant filters.

Every test runs the application's queries as a role that is neither superuser nor BYPASSRLS
(`rls_on` in the root conftest); each one also shows the wall is what stops the leak.
"""

import copy

import pytest
from asgiref.sync import async_to_sync
from django.apps import apps
from django.core.management import call_command
from django.db import ProgrammingError, connection, transaction
from django.db.backends.postgresql.base import DatabaseWrapper
from django.http import HttpRequest, HttpResponse
from django.test import AsyncClient, Client
from django.urls import path
from django_tasks_db.models import DBTaskResult

from clinicrm.agenda.tests.factories import make_patient
from clinicrm.core import scheduler
from clinicrm.core.models import Membership, Role, Tenant, User
from clinicrm.core.rls import (
    POLICY_NAME,
    SNAPSHOT_KEY,
    on_post_migrate,
    rls_bypass,
    rls_role_check,
    rls_tenant,
    rls_tenant_tables,
    rls_uninstall,
)
from clinicrm.core.tests._tasks import visible_tenants_task
from clinicrm.core.worker import ResilientWorker
from clinicrm.people.models import ContactType, Patient

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row-level security is PostgreSQL's"
)


@pytest.fixture
def clinics(db) -> tuple[Tenant, Tenant, User]:
    """Clinic A with an owner and a patient; clinic B with a patient. Created as superuser."""
    a = Tenant.objects.create(name="Clínica A", slug="rls-a")
    b = Tenant.objects.create(name="Clínica B", slug="rls-b")
    owner = User.objects.create_user(email="dona@rls-a.test", password=None)
    Membership.objects.create(tenant=a, user=owner, role=Role.OWNER)
    make_patient(a, "Ana da Clínica A")
    make_patient(b, "Bruno da Clínica B")
    return a, b, owner


def _names() -> list[str]:
    return sorted(Patient.objects.values_list("full_name", flat=True))


# --- every tenant table has its policy -----------------------------------------------------------


def _tables_with_tenant_column() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.table_name FROM information_schema.columns c"
            " JOIN information_schema.tables t USING (table_schema, table_name)"
            " WHERE c.table_schema = 'public' AND c.column_name = 'tenant_id'"
            " AND t.table_type = 'BASE TABLE'"
        )
        return {row[0] for row in cursor.fetchall()}


def _policed_tables() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_policies p"
            " ON p.tablename = c.relname AND p.schemaname = 'public'"
            " WHERE c.relrowsecurity AND c.relforcerowsecurity AND p.policyname = %s"
            " AND p.qual LIKE '%%app.tenant_id%%' AND p.with_check LIKE '%%app.tenant_id%%'",
            [POLICY_NAME],
        )
        return {row[0] for row in cursor.fetchall()}


def test_every_table_with_a_tenant_column_gets_its_policy_after_migrate(rls_on):
    """The list comes from the models and the policies from post_migrate: a new tenant model
    (or a table the models do not know about) without a policy fails here."""
    assert set(rls_tenant_tables()) == _tables_with_tenant_column()
    assert {"patients", "conversation_messages", "memberships"} <= _policed_tables()

    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")  # DDL needs the owner
    rls_uninstall()
    assert _policed_tables() == set()
    on_post_migrate(apps.get_app_config("core"), using="default")
    assert _policed_tables() == _tables_with_tenant_column()


# --- a query that forgets its tenant filter ------------------------------------------------------


def test_a_query_without_tenant_filter_sees_only_its_own_clinic(clinics, rls_on):
    a, b, _ = clinics
    assert _names() == []  # no scope, no rows
    with rls_tenant(a.pk):
        assert _names() == ["Ana da Clínica A"]
        assert Patient.objects.filter(tenant=b).count() == 0
        assert Patient.objects.filter(tenant=b).update(notes="alterado") == 0
        with pytest.raises(ProgrammingError, match="row-level security"), transaction.atomic():
            Patient.objects.create(tenant=b, full_name="Intruso")
    with rls_bypass():
        assert _names() == ["Ana da Clínica A", "Bruno da Clínica B"]
        assert Patient.objects.filter(notes="alterado").count() == 0


def test_without_the_wall_the_same_query_leaks(clinics):
    """The control: as the suite's superuser, without RLS, the forgotten filter sees clinic B."""
    a, _, _ = clinics
    with rls_tenant(a.pk):
        assert _names() == ["Ana da Clínica A", "Bruno da Clínica B"]


def _leaky_list(request: HttpRequest) -> HttpResponse:  # forgets the tenant filter
    return HttpResponse("|".join(_names()))


urlpatterns = [path("leaky-list/", _leaky_list)]


@pytest.mark.parametrize("client_class", [Client, AsyncClient], ids=["wsgi", "asgi"])
def test_a_leaky_view_shows_only_the_members_clinic(client_class, clinics, rls_on, settings):
    settings.ROOT_URLCONF = __name__
    _, _, owner = clinics
    client = client_class()
    get = async_to_sync(client.get) if client_class is AsyncClient else client.get
    anonymous = get("/leaky-list/")
    client.force_login(owner)
    member = get("/leaky-list/")
    assert anonymous.content == b""
    assert member.content.decode() == "Ana da Clínica A"
    assert _names() == []  # the request's scope did not outlive it


def test_the_pages_of_a_clinic_work_with_the_wall(clinics, rls_on):
    """Own rows still show: the request is scoped to the member's clinic, not shut out."""
    _, _, owner = clinics
    client = Client()
    client.force_login(owner)
    page = client.get("/pacientes/")
    assert page.status_code == 200
    assert "Ana da Clínica A" in page.content.decode()
    assert "Bruno" not in page.content.decode()
    assert client.get("/conversas/").status_code == 200


# --- tasks and the scheduler ---------------------------------------------------------------------


def _run(row: DBTaskResult) -> list[str]:
    ResilientWorker(
        queue_names=["default"],
        interval=0.1,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="rls-test",
        excluded_queue_names=[],
    ).run_task(row)
    row.refresh_from_db()
    return row.return_value


def test_a_task_runs_in_the_clinic_that_enqueued_it(clinics, rls_on):
    a, b, _ = clinics
    with rls_bypass():
        Membership.objects.create(tenant=b, user=User.objects.create_user(email="b@rls-b.test"))
    with rls_tenant(a.pk):
        result = visible_tenants_task.enqueue()
    row = DBTaskResult.objects.get(pk=result.id)
    assert row.args_kwargs[SNAPSHOT_KEY] == {"tenant_id": str(a.pk), "bypass": False}
    assert _run(row) == [str(a.pk)]

    unscoped = DBTaskResult.objects.get(pk=visible_tenants_task.enqueue().id)
    assert _run(unscoped) == []  # enqueued with no scope: sees nothing


def test_the_scheduler_enqueues_with_the_bypass(clinics, rls_on, monkeypatch):
    a, b, _ = clinics
    with rls_bypass():
        Membership.objects.create(tenant=b, user=User.objects.create_user(email="b@rls-b.test"))
    monkeypatch.setattr(scheduler, "_discovered", True)
    monkeypatch.setattr(scheduler, "JOBS", {})
    scheduler.job_register(
        name="rls.visible", interval=scheduler.dt.timedelta(minutes=5), task=visible_tenants_task
    )
    call_command("scheduler", "--once", "--only", "rls.visible")
    row = DBTaskResult.objects.get(task_path=visible_tenants_task.module_path)
    assert row.args_kwargs[SNAPSHOT_KEY]["bypass"] is True
    assert _run(row) == sorted([str(a.pk), str(b.pk)])


# --- a pooled connection never carries the previous user's scope -------------------------------


def _pooled_wrapper() -> DatabaseWrapper:
    settings_dict = copy.deepcopy(connection.settings_dict)
    settings_dict["CONN_MAX_AGE"] = 0
    settings_dict["OPTIONS"]["pool"] = {"min_size": 1, "max_size": 1}
    return DatabaseWrapper(settings_dict, alias="rls_pool_test")


def _session(wrapper: DatabaseWrapper) -> tuple[int, str]:
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid(), current_setting('app.tenant_id', true)")
        pid, value = cursor.fetchone()
    return pid, value or ""


@pytest.mark.parametrize("wall", [True, False], ids=["rls-on", "control-rls-off"])
def test_a_pooled_connection_does_not_leak_the_tenant(wall, clinics, settings):
    a, _, _ = clinics
    settings.DATABASE_RLS = wall
    wrapper = _pooled_wrapper()
    try:
        with rls_tenant(a.pk):
            wrapper.ensure_connection()
            if not wall:  # what a request would leave behind if nothing pushed the scope
                with wrapper.cursor() as cursor:
                    cursor.execute("SELECT set_config('app.tenant_id', %s, false)", [str(a.pk)])
            first_pid, first = _session(wrapper)
            wrapper.close()  # back to the pool, scope still set on the session
        wrapper.ensure_connection()  # the next request, with no scope
        pid, value = _session(wrapper)
        wrapper.close()
    finally:
        wrapper.close_pool()
    assert pid == first_pid, "the pool of one handed out another session"
    assert first == str(a.pk)
    assert value == ("" if wall else str(a.pk))


def test_the_app_role_is_held_by_the_policies(rls_on):
    """The suite's role switch really gives an ordinary role (else every test above is void)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (False, False)


def test_the_database_check_warns_about_a_role_that_skips_the_policies(db, settings, rls_app_role):
    settings.DATABASE_RLS = True
    [warning] = rls_role_check(databases=["default"])  # the suite's superuser
    assert warning.id == "core.W010"
    with connection.cursor() as cursor:
        cursor.execute(f"SET ROLE {rls_app_role}")
    assert rls_role_check(databases=["default"]) == []


def test_system_contact_types_are_every_clinics_to_read_and_nobodys_to_write(clinics, rls_on):
    a, _, _ = clinics
    with rls_tenant(a.pk):
        assert ContactType.objects.filter(tenant=None).exists()
        assert ContactType.objects.filter(tenant=None).update(label="alterado") == 0
        with pytest.raises(ProgrammingError, match="row-level security"), transaction.atomic():
            ContactType.objects.create(tenant=None, code="intruso", label="Intruso")
    assert ContactType.objects.filter(tenant=None).exists()  # no scope: the catalogue only
    assert not Patient.objects.exists()
