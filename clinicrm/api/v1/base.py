"""The NinjaAPI instance of /api/v1/: bearer-token auth and pt-BR error bodies.

Every error leaves as `{"detail": "<pt-BR>", "field": "<name or null>"}`:
- ApplicationError (a service refused) and request validation errors -> 400 (never 422);
- no/invalid/revoked token or an inactive membership -> 401;
- a role that may not do this -> 403;
- another tenant's id or a missing row -> 404.
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer

from clinicrm.api.selectors import ApiContext, api_token_authenticate
from clinicrm.api.services import api_token_touch
from clinicrm.core.dates import DATE_OUT_OF_RANGE
from clinicrm.core.errors import ApplicationError
from clinicrm.core.rls import rls_bypass, rls_tenant_set
from clinicrm.core.visibility import visibility_membership_set


class BearerTokenAuth(HttpBearer):
    openapi_description = "Token pessoal criado em /perfil/: `Authorization: Bearer <token>`."

    def authenticate(self, request: HttpRequest, token: str) -> ApiContext | None:
        # The token names its tenant: found across clinics, then the request is scoped to it
        # (the tenant middleware restores the scope when the request ends).
        with rls_bypass():
            ctx = api_token_authenticate(raw=token)
        if ctx is None:
            return None
        rls_tenant_set(ctx.tenant.pk)
        api_token_touch(token=ctx.token)
        # The same attributes the session middleware sets, so shared helpers work unchanged.
        request.tenant = ctx.tenant  # type: ignore[attr-defined]
        request.membership = ctx.membership  # type: ignore[attr-defined]
        request.user = ctx.user
        # Reset by the tenant middleware when the request ends.
        visibility_membership_set(ctx.membership)
        return ctx


api = NinjaAPI(
    title="Clinicrm API",
    version="1",
    description=(
        "API JSON da Clinicrm. Autentique com um token pessoal (Bearer) criado na página de "
        "perfil; o token vale para uma clínica e apenas enquanto o vínculo estiver ativo."
    ),
    auth=BearerTokenAuth(),
    # reverse() names are "api:v1:<operation>" because this API is included from api/urls.py.
    urls_namespace="api:v1",
)


def error_body(detail: str, field: str | None = None) -> dict[str, Any]:
    return {"detail": detail, "field": field}


_PYDANTIC_MESSAGES = {
    "missing": "Campo obrigatório.",
    "string_too_long": "Texto longo demais.",
    "string_too_short": "Texto curto demais.",
    "string_type": "Informe um texto.",
    "int_parsing": "Informe um número inteiro.",
    "int_type": "Informe um número inteiro.",
    "int_from_float": "Informe um número inteiro.",
    "greater_than_equal": "Valor abaixo do mínimo permitido.",
    "less_than_equal": "Valor acima do máximo permitido.",
    "greater_than": "Valor abaixo do mínimo permitido.",
    "less_than": "Valor acima do máximo permitido.",
    "bool_parsing": "Informe verdadeiro ou falso.",
    "bool_type": "Informe verdadeiro ou falso.",
    "date_parsing": "Data inválida (use AAAA-MM-DD).",
    "date_from_datetime_parsing": "Data inválida (use AAAA-MM-DD).",
    "date_from_datetime_inexact": "Data inválida (use AAAA-MM-DD).",
    "date_type": "Data inválida (use AAAA-MM-DD).",
    "time_parsing": "Horário inválido (use HH:MM).",
    "time_type": "Horário inválido (use HH:MM).",
    "datetime_parsing": "Data e hora inválidas (use ISO 8601).",
    "datetime_from_date_parsing": "Data e hora inválidas (use ISO 8601).",
    "datetime_type": "Data e hora inválidas (use ISO 8601).",
    "enum": "Valor não permitido.",
    "literal_error": "Valor não permitido.",
    "extra_forbidden": "Campo não reconhecido.",
    "json_invalid": "JSON inválido.",
    "model_attributes_type": "Corpo da requisição inválido: envie um objeto JSON.",
    "dict_type": "Corpo da requisição inválido: envie um objeto JSON.",
    "value_error": "Valor inválido.",
    "date_out_of_range": DATE_OUT_OF_RANGE,
}

_SOURCES = {"body", "query", "path", "header", "cookie", "form", "file"}


def _field_of(loc: list[Any] | tuple[Any, ...], body_params: set[str]) -> str | None:
    parts = list(loc)
    if parts and parts[0] in _SOURCES:
        source = parts.pop(0)
        # Body schemas are one parameter (e.g. "payload"): its name is not a field of the client's.
        if source == "body" and parts and parts[0] in body_params:
            parts.pop(0)
    names = [str(p) for p in parts if not isinstance(p, int)]
    return ".".join(names) or None


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    first = exc.errors[0] if exc.errors else {}
    field = _field_of(first.get("loc", ()), {"payload"})
    message = _PYDANTIC_MESSAGES.get(str(first.get("type", "")), "Valor inválido.")
    if field:
        message = f"{field}: {message}"
    return api.create_response(request, error_body(message, field), status=400)


@api.exception_handler(ApplicationError)
def _application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    return api.create_response(request, error_body(exc.message, exc.field), status=400)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, error_body("Não encontrado."), status=404)


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(
        request, error_body("Seu papel não permite esta operação."), status=403
    )


@api.exception_handler(AuthenticationError)
def _unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(
        request,
        error_body("Token de API ausente, inválido ou revogado, ou vínculo inativo."),
        status=401,
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return api.create_response(request, error_body(exc.message), status=exc.status_code)


def api_context(request: HttpRequest) -> ApiContext:
    """The token's context of an authenticated request (set by BearerTokenAuth)."""
    ctx = request.auth  # type: ignore[attr-defined]
    assert isinstance(ctx, ApiContext)
    return ctx
