"""The tenant-isolation walker.

Every URL pattern of the project that takes kwargs (HTML views and the JSON API alike) is
requested by an owner of tenant A with ids of objects that belong to tenant B. Each pattern must
answer 404 at least once (405 only for methods the route does not allow) and change nothing in
the database.

The test grows by itself: kwarg values come from the `FACTORIES` dict of every
`clinicrm.<app>.tests.isolation` module. A new URL whose kwarg has no factory, and whose name is
not in some app's `EXEMPT` dict, fails here with instructions.

On PostgreSQL the walk runs twice: once as usual, once with row-level security on (`rls_on`:
the requests run as an ordinary role under the tenant policies, so the pages must still answer
404 and change nothing when the database itself hides tenant B).
"""

import hashlib
import importlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.db.models import Model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import RegexPattern, RoutePattern

from clinicrm.api.services import api_token_create
from clinicrm.core.models import Membership, Role, Tenant, User
from clinicrm.core.rls import rls_bypass
from clinicrm.people.models import Patient

SKIPPED_PREFIXES = ("static/", "media/", "__debug__/")
API_PREFIX = "/api/"
HTML_METHODS = ("get", "post")
API_METHODS = ("get", "post", "put", "patch", "delete")
# Columns that legitimately move on every request of the *requesting* user (not tenant B data).
VOLATILE_COLUMNS = {("api", "apitoken"): {"last_used_at"}, ("core", "user"): {"last_login"}}


@dataclass(frozen=True)
class Route:
    name: str  # namespaced, e.g. "people:patient_edit"
    route: str  # e.g. "pacientes/<int:patient_id>/editar/"
    kwargs: tuple[str, ...]

    @property
    def is_api(self) -> bool:
        return ("/" + self.route).startswith(API_PREFIX)


def _kwarg_names(pattern: Any) -> list[str]:
    if isinstance(pattern, RoutePattern):
        return list(pattern.converters)
    if isinstance(pattern, RegexPattern):
        return list(pattern.regex.groupindex)
    return []


def _walk(
    patterns: list[Any], prefix: str = "", namespaces: tuple[str, ...] = (), kwargs: tuple = ()
) -> Iterator[Route]:
    for p in patterns:
        route = prefix + str(p.pattern)
        names = kwargs + tuple(_kwarg_names(p.pattern))
        if isinstance(p, URLResolver):
            ns = (*namespaces, p.namespace) if p.namespace else namespaces
            yield from _walk(p.url_patterns, route, ns, names)
        elif isinstance(p, URLPattern):
            full = ":".join((*namespaces, p.name)) if p.name else ""
            yield Route(name=full or route, route=route, kwargs=names)


def _routes() -> list[Route]:
    out, seen = [], set()
    for r in _walk(get_resolver().url_patterns):
        if not r.kwargs or r.route.lstrip("^").startswith(SKIPPED_PREFIXES):
            continue
        # Ninja declares one pattern per operation on a shared path: one walk per URL suffices.
        if r.route in seen:
            continue
        seen.add(r.route)
        out.append(r)
    return out


def _isolation_modules() -> list[Any]:
    modules = []
    for config in apps.get_app_configs():
        if not config.name.startswith("clinicrm."):
            continue
        name = f"{config.name}.tests.isolation"
        try:
            modules.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            if exc.name not in {name, f"{config.name}.tests"}:
                raise
    return modules


def _registry() -> tuple[dict[str, Callable[[Tenant], str]], dict[str, str]]:
    factories: dict[str, Callable[[Tenant], str]] = {}
    exempt: dict[str, str] = {}
    for module in _isolation_modules():
        for key, factory in getattr(module, "FACTORIES", {}).items():
            assert key not in factories, f"Two isolation factories for kwarg {key!r}"
            factories[key] = factory
        exempt.update(getattr(module, "EXEMPT", {}))
    return factories, exempt


ROUTES = _routes()
FACTORIES, EXEMPT = _registry()


def _is_exempt(route: Route) -> bool:
    return route.name in EXEMPT or route.name.rsplit(":", 1)[-1] in EXEMPT


# --- database fingerprint ----------------------------------------------------------------------


def _tracked_models() -> list[type[Model]]:
    return [
        m
        for m in apps.get_models()
        if m._meta.app_config.name.startswith("clinicrm.") and m._meta.managed
    ]


def _snapshot() -> dict[str, tuple[int, str]]:
    """Row count and a checksum of every column of every row of every clinicrm table."""
    out = {}
    for model in _tracked_models():
        key = (model._meta.app_label, model._meta.model_name or "")
        volatile = VOLATILE_COLUMNS.get(key, set())
        cols = [f.attname for f in model._meta.concrete_fields if f.attname not in volatile]
        digest = hashlib.sha256()
        count = 0
        for row in model._base_manager.order_by("pk").values_list(*cols):
            digest.update(repr(row).encode())
            count += 1
        out[model._meta.db_table] = (count, digest.hexdigest())
    return out


def _diff(before: dict[str, tuple[int, str]], after: dict[str, tuple[int, str]]) -> list[str]:
    changes = []
    for table, (count, digest) in before.items():
        now_count, now_digest = after[table]
        if now_count != count:
            changes.append(f"{table}: {count} -> {now_count} rows")
        elif now_digest != digest:
            changes.append(f"{table}: row contents changed")
    return changes


# --- request bodies for API routes (valid shape, so the id lookup is what answers) -------------

_PARAM = re.compile(r"<(?:\w+:)?(\w+)>")


def _openapi() -> dict[str, Any]:
    from clinicrm.api.v1 import api

    return api.get_openapi_schema(path_prefix="/api/v1/")


def _resolve(schema: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = spec
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def _sample(schema: dict[str, Any], spec: dict[str, Any]) -> Any:
    schema = _resolve(schema, spec)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if _resolve(s, spec).get("type") != "null"]
            return _sample(options[0], spec)
    if "enum" in schema:
        return schema["enum"][0]
    if "default" in schema:
        return schema["default"]
    kind, fmt = schema.get("type"), schema.get("format")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return {k: _sample(props[k], spec) for k in schema.get("required", [])}
    if kind == "array":
        return []
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return 1
    if kind == "boolean":
        return True
    return {
        "date": "2030-01-15",
        "time": "10:00:00",
        "date-time": "2030-01-15T10:00:00-03:00",
        "email": "isolamento@example.com",
        "uuid": "00000000-0000-0000-0000-000000000000",
    }.get(fmt or "", "Teste")


def _api_body(route: Route, method: str, spec: dict[str, Any]) -> Any:
    path = "/" + _PARAM.sub(r"{\1}", route.route)
    operation = spec["paths"].get(path, {}).get(method)
    if not operation or "requestBody" not in operation:
        return None
    content = operation["requestBody"].get("content", {})
    schema = content.get("application/json", {}).get("schema")
    return _sample(schema, spec) if schema else None


# --- the test ----------------------------------------------------------------------------------


@pytest.fixture
def two_tenants(db) -> tuple[Tenant, Tenant, User]:
    tenant_a = Tenant.objects.create(name="Clínica A", slug="iso-a")
    tenant_b = Tenant.objects.create(name="Clínica B", slug="iso-b")
    owner_a = User.objects.create_user(email="dona@iso-a.test", password=None)
    Membership.objects.create(tenant=tenant_a, user=owner_a, role=Role.OWNER)
    return tenant_a, tenant_b, owner_a


def test_walker_sees_the_project_urls():
    names = {r.name for r in ROUTES}
    assert "api:token_revoke" in names
    assert "core:member_remove" in names
    assert any(r.is_api for r in ROUTES), "no /api/ pattern with kwargs was found"


@pytest.mark.parametrize("route", ROUTES, ids=[r.name for r in ROUTES])
def test_other_tenants_ids_answer_404_and_change_nothing(route: Route, two_tenants):
    if _is_exempt(route):
        return  # Not tenant-scoped by design; the reason lives in the app's EXEMPT dict.
    missing = [k for k in route.kwargs if k not in FACTORIES]
    assert not missing, (
        f"URL {route.name!r} ({route.route}) takes {missing} but no isolation factory builds "
        f"them. Add to clinicrm/<app>/tests/isolation.py: FACTORIES = {{{missing[0]!r}: "
        f"lambda tenant: str(<object of that tenant>.pk)}}, or list {route.name!r} in that "
        f"module's EXEMPT dict with the reason it is not tenant-scoped."
    )
    _assert_isolated(route, two_tenants)


@pytest.mark.parametrize("route", ROUTES, ids=[r.name for r in ROUTES])
def test_other_tenants_ids_answer_404_with_row_level_security(route, two_tenants, rls_on):
    if _is_exempt(route) or any(k not in FACTORIES for k in route.kwargs):
        return  # the walk above reports a missing factory
    # The test's own set-up and snapshots see every clinic; each request is scoped by the
    # tenant middleware to the requesting member's clinic.
    with rls_bypass():
        _assert_isolated(route, two_tenants)


def _assert_isolated(
    route: Route,
    two_tenants: tuple[Tenant, Tenant, User],
    refused: frozenset[int] = frozenset({404}),
) -> None:
    tenant_a, tenant_b, owner_a = two_tenants
    kwargs = {k: FACTORIES[k](tenant_b) for k in route.kwargs}
    url = reverse(route.name, kwargs=kwargs)

    client = Client()
    headers: dict[str, str] = {}
    if route.is_api:
        plain = api_token_create(tenant=tenant_a, user=owner_a, name="walker").plain
        headers["Authorization"] = f"Bearer {plain}"
        methods: tuple[str, ...] = API_METHODS
        spec = _openapi()
    else:
        client.force_login(owner_a)
        methods = HTML_METHODS

    before = _snapshot()
    statuses = {}
    for method in methods:
        if route.is_api and method != "get":
            body = _api_body(route, method, spec)
            response = getattr(client, method)(
                url,
                data=body if body is not None else {},
                content_type="application/json",
                headers=headers,
            )
        else:
            response = getattr(client, method)(url, headers=headers)
        statuses[method] = response.status_code
        if response.status_code == 405:
            allowed = {m.strip().lower() for m in response.get("Allow", "").split(",")}
            assert method not in allowed, f"{method.upper()} {url}: 405 but Allow={allowed}"
        else:
            assert response.status_code in refused, (
                f"{method.upper()} {url} with tenant B ids answered {response.status_code} "
                f"to {owner_a.email} of tenant A (expected 404): {response.content[:300]!r}"
            )
    assert refused & set(statuses.values()), f"{url}: no method answered 404 ({statuses})"
    changes = _diff(before, _snapshot())
    assert not changes, f"{url} changed data of the database: {changes} ({statuses})"


# --- the role dimension: least privilege inside one tenant ---------------------------------------

# Kwargs naming a patient or something of theirs (core.visibility). The factories build each
# for a patient nobody attends; a professional of the same clinic must not reach it.
PATIENT_SCOPED = {
    "patient_id",
    "thread_id",
    "message_id",
    "appointment_id",
    "note_id",
    "phone_id",
    "email_id",
}
ROLE_ROUTES = [r for r in ROUTES if set(r.kwargs) & PATIENT_SCOPED and not _is_exempt(r)]


@pytest.fixture
def professional_a(db) -> tuple[Tenant, User]:
    """A professional of clinic A who attends a patient of their own (not the walker's)."""
    from clinicrm.agenda.tests.factories import make_appointment
    from clinicrm.people.models import Professional

    tenant = Tenant.objects.create(name="Clínica A", slug="iso-a")
    user = User.objects.create_user(email="rafael@iso-a.test", password=None)
    Membership.objects.create(tenant=tenant, user=user, role=Role.PROFESSIONAL)
    own = Professional.objects.create(tenant=tenant, full_name="Rafael", user=user)
    make_appointment(tenant, professional=own)
    return tenant, user


def test_the_role_walk_covers_patients_conversations_and_the_api():
    names = {r.name for r in ROLE_ROUTES}
    assert {"people:patient_detail", "messaging:thread", "agenda:appointment_edit"} <= names
    assert {"api:v1:patient_detail", "api:v1:thread_notes", "crm:note_edit"} <= names


@pytest.mark.parametrize("route", ROLE_ROUTES, ids=[r.name for r in ROLE_ROUTES])
def test_a_professional_gets_404_for_another_professionals_patient(route, professional_a):
    """Same clinic, setting on (the default): every URL of a patient the professional does not
    attend answers 404 (403 where the role is refused whatever the id) and changes nothing."""
    tenant, user = professional_a
    assert tenant.professionals_own_patients_only
    _assert_isolated(route, (tenant, tenant, user), refused=frozenset({403, 404}))


@pytest.mark.parametrize(
    "name", ["people:patient_detail", "messaging:thread", "api:v1:patient_detail"]
)
def test_with_the_setting_off_a_professional_sees_every_patient(name, professional_a):
    """The old behaviour, and proof the role walk can fail."""
    tenant, user = professional_a
    Tenant.objects.filter(pk=tenant.pk).update(professionals_own_patients_only=False)
    tenant.refresh_from_db()
    route = next(r for r in ROLE_ROUTES if r.name == name)
    with pytest.raises(AssertionError, match="expected 404"):
        _assert_isolated(route, (tenant, tenant, user), refused=frozenset({403, 404}))


# --- the walker itself must be able to fail ------------------------------------------------------


def _leaky_read(request, patient_id):  # a view that forgets the tenant filter
    from django.http import HttpResponse

    from clinicrm.people.models import Patient

    return HttpResponse(Patient.objects.get(pk=patient_id).full_name)


def _leaky_write(request, patient_id):  # answers 404 but has already written
    from django.http import HttpResponseNotFound

    from clinicrm.people.models import Patient

    Patient.objects.filter(pk=patient_id).update(notes="alterado")
    return HttpResponseNotFound()


urlpatterns = [
    __import__("django.urls").urls.path("leaky-read/<int:patient_id>/", _leaky_read, name="r"),
    __import__("django.urls").urls.path("leaky-write/<int:patient_id>/", _leaky_write, name="w"),
]


@pytest.mark.parametrize(
    ("name", "expected"), [("r", "expected 404"), ("w", "changed data of the database")]
)
def test_walker_catches_leaky_views(name, expected, two_tenants, settings):
    settings.ROOT_URLCONF = __name__
    route = Route(name=name, route="leaky/<int:patient_id>/", kwargs=("patient_id",))
    with pytest.raises(AssertionError, match=expected):
        _assert_isolated(route, two_tenants)


def test_with_row_level_security_the_leaky_views_find_nothing(two_tenants, settings, rls_on):
    """The second wall: the same leaky views, and tenant B's row is neither read nor written."""
    settings.ROOT_URLCONF = __name__
    with rls_bypass():
        _assert_isolated(
            Route(name="w", route="leaky/<int:patient_id>/", kwargs=("patient_id",)), two_tenants
        )
        with pytest.raises(Patient.DoesNotExist):
            _assert_isolated(
                Route(name="r", route="leaky/<int:patient_id>/", kwargs=("patient_id",)),
                two_tenants,
            )
