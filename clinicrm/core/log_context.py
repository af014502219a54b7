"""What every log line says about where it comes from: the request id, the tenant id and, in
the worker, the task id.

`RequestIdMiddleware` (first in settings.MIDDLEWARE) takes the proxy's `X-Request-ID` when it is
a plain token (letters, digits, `-`, `_`, `.`, at most 64) or makes one, answers it in the
`X-Request-ID` header, and keeps it in a context variable for the rest of the request; the
tenant middleware adds the tenant's id once it has resolved it. `LogContext` (a filter on every
handler) copies them onto each record, so the plain and the JSON formats can print them. Ids
only: a tenant id is a UUID, never a name.

Provider webhooks skip the middleware chain (integrations/asgi.py): that path calls
`log_request_begin` itself and the webhook base sets the tenant once it knows the channel. The
worker calls `log_task_begin` before each task; the task sets the tenant when it has loaded the
row that names it (`log_tenant_set`). A task whose batch spans clinics names each one while it
works on it (`log_tenant_scope`), and what it logs between them names none.
"""

import contextvars
import logging
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.http import HttpRequest, HttpResponse

from clinicrm.core.hybrid_middleware import HybridMiddleware

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
tenant_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("tenant_id", default="")
task_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("task_id", default="")

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
HEADER = "X-Request-ID"


def request_id_from(given: str) -> str:
    """The proxy's id when it is safe to print, else a new one."""
    return given if _SAFE_ID.match(given) else uuid.uuid4().hex


def request_id_of(request: HttpRequest) -> str:
    return request_id_from(request.headers.get(HEADER, ""))


def log_request_begin(given: str) -> str:
    """A request starts in this context: its id (the proxy's when safe), no tenant yet."""
    rid = request_id_from(given)
    request_id_var.set(rid)
    tenant_id_var.set("")
    return rid


def log_task_begin(task_id: object) -> None:
    """A task starts in this (worker) context: its id, no request, no tenant yet."""
    task_id_var.set(str(task_id))
    request_id_var.set("")
    tenant_id_var.set("")


def log_tenant_set(tenant_id: object | None) -> None:
    tenant_id_var.set(str(tenant_id) if tenant_id else "")


@contextmanager
def log_tenant_scope(tenant_id: object | None) -> Iterator[None]:
    """Lines inside name `tenant_id`; afterwards the tenant is what it was before (a batch that
    spans clinics must not leave one clinic's id on the lines of the next or of the worker)."""
    token = tenant_id_var.set(str(tenant_id) if tenant_id else "")
    try:
        yield
    finally:
        tenant_id_var.reset(token)


class RequestIdMiddleware(HybridMiddleware):
    def _start(self, request: HttpRequest) -> None:
        request.request_id = log_request_begin(request.headers.get(HEADER, ""))  # type: ignore[attr-defined]

    # No reset at the end: Django logs a 4xx/5xx response ("django.request") after the middleware
    # chain returns, and a streamed (SSE) body logs later still; the next request of the same
    # thread or task sets both again before anything else runs.
    def call_sync(self, request: HttpRequest) -> Any:
        self._start(request)
        response: HttpResponse = self.get_response(request)
        response[HEADER] = request.request_id  # type: ignore[attr-defined]
        return response

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        self._start(request)
        response: HttpResponse = await self.get_response(request)
        response[HEADER] = request.request_id  # type: ignore[attr-defined]
        return response


class LogContext(logging.Filter):
    """Adds `request_id`, `tenant_id` and `task_id` to every record ("-" when unknown)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get() or "-"
        if not hasattr(record, "tenant_id"):
            record.tenant_id = tenant_id_var.get() or "-"
        if not hasattr(record, "task_id"):
            record.task_id = task_id_var.get() or "-"
        return True
