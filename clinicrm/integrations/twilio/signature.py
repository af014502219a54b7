"""`X-Twilio-Signature`: HMAC-SHA1 over the public URL plus the sorted POST params (twilio.md §3.3).

The URL is the one Twilio called, i.e. our configured public base URL + the request path and raw
query string: behind a proxy `request.build_absolute_uri()` would show the internal host or
scheme and never match. Params are every received key (never a whitelist), sorted by name in
byte order, each value appended after its name; repeated keys contribute their sorted distinct
values, exactly as twilio-python's `RequestValidator` does. The key is the account's Auth Token
even when REST calls use an API key. Comparison is constant-time; a missing token or signature
is always invalid. Like the SDK, the URL is tried with and without its default port.
"""

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.http import HttpRequest

Params = Mapping[str, str] | Iterable[tuple[str, str]]


def _pairs(params: Params) -> list[tuple[str, str]]:
    if isinstance(params, Mapping):
        getlist = getattr(params, "getlist", None)
        if getlist is not None:  # Django QueryDict: every value of a repeated key
            return [(k, v) for k in params for v in getlist(k)]
        return [(str(k), str(v)) for k, v in params.items()]
    return [(str(k), str(v)) for k, v in params]


def signature_payload(url: str, params: Params) -> str:
    """The string Twilio signs: URL then name+value for each param, sorted."""
    grouped: dict[str, set[str]] = {}
    for name, value in _pairs(params):
        grouped.setdefault(name, set()).add(value)
    parts = [url]
    for name in sorted(grouped):
        for value in sorted(grouped[name]):
            parts.append(name + value)
    return "".join(parts)


def signature_compute(*, url: str, params: Params, auth_token: str) -> str:
    digest = hmac.new(
        auth_token.encode("utf-8"), signature_payload(url, params).encode("utf-8"), hashlib.sha1
    ).digest()
    return base64.b64encode(digest).decode("ascii")


def _port_variants(url: str) -> list[str]:
    """The URL as given, plus the form with the default port added or removed."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        without = parts._replace(netloc=parts.netloc.rsplit(":", 1)[0])
        return [url, urlunsplit(without)]
    default = 443 if parts.scheme == "https" else 80
    with_port = parts._replace(netloc=f"{parts.netloc}:{default}")
    return [url, urlunsplit(with_port)] if host else [url]


def signature_is_valid(
    *, url: str, params: Params, signature: str | None, auth_token: str | None
) -> bool:
    if not signature or not auth_token:
        # A missing secret is a configuration error, never an open door.
        return False
    pairs = _pairs(params)
    expected = signature.strip().encode("ascii", "replace")
    ok = False
    for candidate in _port_variants(url):
        computed = signature_compute(url=candidate, params=pairs, auth_token=auth_token)
        # No short-circuit: both variants are always computed and compared.
        ok |= hmac.compare_digest(computed.encode("ascii"), expected)
    return ok


def public_url(request: HttpRequest) -> str:
    """The URL Twilio called: PUBLIC_BASE_URL + path + raw query string (no re-encoding)."""
    base = str(settings.PUBLIC_BASE_URL).rstrip("/")
    path = request.path
    query = request.META.get("QUERY_STRING", "")
    return f"{base}{path}?{query}" if query else f"{base}{path}"
