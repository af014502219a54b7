"""Optional error reporting to Sentry when SENTRY_DSN is set (`pip install .[sentry]`).

`send_default_pii=False` keeps cookies, user ids, IPs and request bodies out; `before_send` and
`before_send_transaction` run every string of the event through the same redaction as the log
filter (tokens in URLs, query strings, phones, CPF/CNPJ), and request bodies and cookies are
dropped even if an integration added them.
"""

from typing import Any

from clinicrm.core.log_filters import redact_personal_data

_DROP_REQUEST_KEYS = ("data", "cookies", "env")


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return redact_personal_data(value)
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(v) for v in value]
    return value


def sentry_before_send(event: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any]:
    request = event.get("request")
    if isinstance(request, dict):
        for key in _DROP_REQUEST_KEYS:
            request.pop(key, None)
        headers = request.get("headers")
        if isinstance(headers, dict):
            request["headers"] = {
                k: v
                for k, v in headers.items()
                if k.lower() not in ("authorization", "cookie", "x-api-key", "apikey")
            }
    event.pop("user", None)
    scrubbed: dict[str, Any] = _scrub(event)
    return scrubbed


def sentry_init(*, dsn: str, environment: str, release: str = "") -> None:
    import sentry_sdk  # optional dependency: only when SENTRY_DSN is set

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release or None,
        send_default_pii=False,
        before_send=sentry_before_send,
        before_send_transaction=sentry_before_send,
        traces_sample_rate=0.0,
        max_request_body_size="never",
    )
