"""`X-Twilio-Signature`, checked by the Twilio SDK's `RequestValidator` (HMAC-SHA1 over the URL
plus the sorted POST params; docs/providers/twilio.md, "Webhook signature").

The URL is the one Twilio called, i.e. our configured public base URL + the request path and raw
query string: behind a proxy `request.build_absolute_uri()` would show the internal host or
scheme and never match. Every received param counts (never a whitelist); repeated keys contribute
their sorted distinct values. The key is the account's Auth Token even when REST calls use an
API key. A missing token or signature is always invalid; the SDK tries the URL with and without
its default port and compares without short-circuit.
"""

from collections.abc import Iterable, Mapping

from django.conf import settings
from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from twilio.request_validator import RequestValidator

Params = Mapping[str, str] | Iterable[tuple[str, str]]


def _multi(params: Params) -> MultiValueDict[str, str]:
    """Every (name, value) pair, repeated names kept (the SDK reads them with `getlist`)."""
    out: MultiValueDict[str, str] = MultiValueDict()
    if isinstance(params, Mapping):
        getlist = getattr(params, "getlist", None)
        for key in params:
            for value in getlist(key) if getlist is not None else [params[key]]:
                out.appendlist(str(key), str(value))
    else:
        for key, value in params:
            out.appendlist(str(key), str(value))
    return out


def signature_compute(*, url: str, params: Params, auth_token: str) -> str:
    return RequestValidator(auth_token).compute_signature(url, _multi(params))


def signature_is_valid(
    *, url: str, params: Params, signature: str | None, auth_token: str | None
) -> bool:
    if not signature or not auth_token:
        # A missing secret is a configuration error, never an open door.
        return False
    return bool(RequestValidator(auth_token).validate(url, _multi(params), signature.strip()))


def public_url(request: HttpRequest) -> str:
    """The URL Twilio called: PUBLIC_BASE_URL + path + raw query string (no re-encoding)."""
    base = str(settings.PUBLIC_BASE_URL).rstrip("/")
    path = request.path
    query = request.META.get("QUERY_STRING", "")
    return f"{base}{path}?{query}" if query else f"{base}{path}"
