"""PostgreSQL row-level security: a second wall behind the tenant filters of the code.

With `DATABASE_RLS` on (PostgreSQL only), every table with a `tenant_id` column carries the policy
`tenant_isolation` (ENABLE + FORCE, so the tables' owner is held too):

    tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid
    OR current_setting('app.bypass_rls', true) = 'on'

The list of tables is derived from the models (`rls_tenant_tables`) and the policies are (re)applied
after every `migrate` (post_migrate), so a new tenant model gets its policy without anyone
remembering to write one; a test compares the models with `pg_policies`. A model whose rows of no
clinic (tenant NULL) are a catalogue every clinic uses (system contact types) says so with
`rls_shared_rows = True`: a second policy lets every scope read those rows; writing them still
takes the bypass.

The scope lives in a context variable and is pushed to the connection with session-scoped
`set_config` whenever it changes and on every connection Django opens or takes from the pool
(`connection_created`), so a pooled connection never carries the previous user's scope: no
scope means no rows. Who sets it:
- a request: the tenant middleware, from the resolved membership (the API token auth narrows the
  request to the token's tenant), reset when the request ends;
- a task: the scope of whoever enqueued it, stored with the task row (`rls_snapshot`) and
  restored by the worker;
- `rls_bypass()`: the code paths that legitimately span clinics or run before a tenant is
  known (membership resolution, login, the staff console, webhook intake, the scheduler,
  migrations). Tasks they enqueue inherit the bypass.

The database user must be neither a superuser nor `BYPASSRLS` (either skips every policy):
docs/deploy.md names the role to use.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core import checks
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

POLICY_NAME = "tenant_isolation"
SHARED_POLICY_NAME = "tenant_shared_rows_read"
TENANT_COLUMN = "tenant_id"
TENANT_SETTING = "app.tenant_id"
BYPASS_SETTING = "app.bypass_rls"
SNAPSHOT_KEY = "rls"
# For a session Django does not manage (the realtime hub's LISTEN connection) that reads every
# clinic's rows on purpose.
BYPASS_SESSION_SQL = f"SELECT set_config('{BYPASS_SETTING}', 'on', false)"


@dataclass(frozen=True)
class Scope:
    tenant_id: str = ""
    bypass: bool = False


NO_SCOPE = Scope()
_scope: ContextVar[Scope] = ContextVar("rls_scope", default=NO_SCOPE)


def rls_enabled(connection: BaseDatabaseWrapper | None = None) -> bool:
    conn = connection or connections["default"]
    return bool(getattr(settings, "DATABASE_RLS", False)) and conn.vendor == "postgresql"


# --- the tables and their policies ------------------------------------------------------------


def rls_tenant_tables(connection: BaseDatabaseWrapper | None = None) -> dict[str, str]:
    """{db_table: SQL type of its tenant_id} for every managed model with a tenant_id column."""
    conn = connection or connections["default"]
    tables: dict[str, str] = {}
    for model in apps.get_models(include_auto_created=True):
        if not model._meta.managed or model._meta.proxy:
            continue
        for field in model._meta.concrete_fields:
            if field.column == TENANT_COLUMN:
                tables[model._meta.db_table] = str(field.db_type(conn))
    return tables


def rls_shared_tables() -> set[str]:
    """Tables whose tenant-less rows every clinic may read (`rls_shared_rows = True`)."""
    return {
        model._meta.db_table
        for model in apps.get_models()
        if getattr(model, "rls_shared_rows", False)
    }


def rls_policy_expression(sql_type: str) -> str:
    return (
        f"({TENANT_COLUMN} = NULLIF(current_setting('{TENANT_SETTING}', true), '')::{sql_type}"
        f" OR current_setting('{BYPASS_SETTING}', true) = 'on')"
    )


def rls_install_sql(table: str, sql_type: str, *, shared: bool = False) -> list[str]:
    expr = rls_policy_expression(sql_type)
    statements = [
        f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY',
        f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY',
        f'DROP POLICY IF EXISTS {POLICY_NAME} ON "{table}"',
        f'CREATE POLICY {POLICY_NAME} ON "{table}" USING {expr} WITH CHECK {expr}',
        f'DROP POLICY IF EXISTS {SHARED_POLICY_NAME} ON "{table}"',
    ]
    if shared:
        statements.append(
            f'CREATE POLICY {SHARED_POLICY_NAME} ON "{table}" FOR SELECT'
            f" USING ({TENANT_COLUMN} IS NULL)"
        )
    return statements


def rls_install_statements(connection: BaseDatabaseWrapper | None = None) -> list[str]:
    shared = rls_shared_tables()
    statements: list[str] = []
    for table, sql_type in sorted(rls_tenant_tables(connection).items()):
        statements += rls_install_sql(table, sql_type, shared=table in shared)
    return statements


def rls_install(*, using: str = "default") -> list[str]:
    """(Re)apply the policy to every tenant table; idempotent. Returns the tables."""
    conn = connections[using]
    with conn.cursor() as cursor:
        for statement in rls_install_statements(conn):
            cursor.execute(statement)
    return sorted(rls_tenant_tables(conn))


def rls_uninstall(*, using: str = "default") -> list[str]:
    """Drop the policies and turn RLS off on every tenant table (DATABASE_RLS=0 afterwards)."""
    conn = connections[using]
    tables = sorted(rls_tenant_tables(conn))
    with conn.cursor() as cursor:
        for table in tables:
            cursor.execute(f'DROP POLICY IF EXISTS {POLICY_NAME} ON "{table}"')
            cursor.execute(f'DROP POLICY IF EXISTS {SHARED_POLICY_NAME} ON "{table}"')
            cursor.execute(f'ALTER TABLE "{table}" NO FORCE ROW LEVEL SECURITY')
            cursor.execute(f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY')
    return tables


def rls_grant_sql(role: str) -> list[str]:
    """What the application role needs on the tables migrations create (quoted role name)."""
    return [
        f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{role}"',
        f'GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO "{role}"',
    ]


def rls_role_check(databases: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """`check --database default` (and migrate): a role that skips every policy is a wall of
    paper. A warning, not an error: migrations may well run as a superuser."""
    if not databases or "default" not in databases or not rls_enabled():
        return []
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT current_user, rolsuper OR rolbypassrls FROM pg_roles"
            " WHERE rolname = current_user"
        )
        row = cursor.fetchone()
    if row is None or not row[1]:
        return []
    return [
        checks.Warning(
            f"DATABASE_RLS is on but the database role {row[0]!r} is a superuser or has "
            "BYPASSRLS: PostgreSQL skips every row-level security policy for it.",
            hint="Run the processes as a NOSUPERUSER NOBYPASSRLS role (docs/deploy.md).",
            id="core.W010",
        )
    ]


def on_post_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    if sender.name == "clinicrm.core" and rls_enabled(connections[using]):
        rls_install(using=using)


# --- the scope of this request or task --------------------------------------------------------


def rls_scope() -> Scope:
    return _scope.get()


def rls_scope_set(scope: Scope) -> Token[Scope]:
    token = _scope.set(scope)
    rls_sync()
    return token


def rls_scope_reset(token: Token[Scope]) -> None:
    _scope.reset(token)
    rls_sync()


def rls_scope_replace(scope: Scope, *, sync: bool = True) -> None:
    """Set the scope without a token: the async middleware sets it from a worker thread, whose
    context changes asgiref copies back (a token would belong to the other context)."""
    _scope.set(scope)
    if sync:
        rls_sync()


def rls_tenant_set(tenant_id: Any) -> Token[Scope]:
    """Narrow the rest of this context to one tenant (reset with `rls_scope_reset`)."""
    return rls_scope_set(Scope(tenant_id=str(tenant_id or "")))


@contextmanager
def rls_tenant(tenant_id: Any) -> Iterator[None]:
    token = rls_tenant_set(tenant_id)
    try:
        yield
    finally:
        rls_scope_reset(token)


@contextmanager
def rls_bypass() -> Iterator[None]:
    """The one way to see every clinic's rows: for code that spans clinics on purpose."""
    token = rls_scope_set(Scope(bypass=True))
    try:
        yield
    finally:
        rls_scope_reset(token)


def rls_snapshot() -> dict[str, Any]:
    """The current scope, for a task row (empty with RLS off: the row stays as it was)."""
    if not rls_enabled():
        return {}
    scope = _scope.get()
    return {"tenant_id": scope.tenant_id, "bypass": scope.bypass}


@contextmanager
def rls_restored(snapshot: dict[str, Any] | None) -> Iterator[None]:
    """Run under the scope a task was enqueued with (no snapshot: no scope, no rows)."""
    snapshot = snapshot or {}
    tenant_id = str(snapshot.get("tenant_id") or "")
    scope = Scope(tenant_id=tenant_id, bypass=bool(snapshot.get("bypass")))
    token = rls_scope_set(scope)
    try:
        yield
    finally:
        rls_scope_reset(token)


# --- pushing the scope to the connection ------------------------------------------------------


def rls_sync() -> None:
    """Push the scope to this context's open connection. A closed one gets it when it opens."""
    conn = connections["default"]
    if conn.connection is None or not rls_enabled(conn):
        return
    if conn.needs_rollback or _in_failed_transaction(conn):
        # No statement runs here; the rollback restores the scope from before the transaction.
        return
    _push(conn)


def on_connection_created(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    # Also on every checkout from the pool: overwrite whatever the previous user left.
    if rls_enabled(connection):
        _push(connection)


def _push(conn: BaseDatabaseWrapper) -> None:
    scope = _scope.get()
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT set_config(%s, %s, false), set_config(%s, %s, false)",
            [TENANT_SETTING, scope.tenant_id, BYPASS_SETTING, "on" if scope.bypass else "off"],
        )


def _in_failed_transaction(conn: BaseDatabaseWrapper) -> bool:
    info = getattr(conn.connection, "info", None)
    status = getattr(info, "transaction_status", None)
    return status is not None and status.name == "INERROR"
