"""Database plumbing shared by the web processes, the task worker and the scheduler.

`DATABASE_UNAVAILABLE`: the errors that mean "no database right now" (refused or dropped
connection, "too many clients", a pool timeout, SQLite's "database is locked"), as opposed to a
bug. Requests answer them with 503 + Retry-After and background loops retry with backoff.

`listen_connection_params()`: where a LISTEN connection goes. LISTEN needs a session of its own
that lives as long as the listener, so it never goes through Django's pool nor through
PgBouncer in transaction mode: set `DATABASE_DIRECT_URL` to the server itself when
`DATABASE_URL` points at a pooler; without it, `DATABASE_URL` is used.
"""

from typing import Any

import dj_database_url
from django.conf import settings
from django.db import InterfaceError, OperationalError, connections

DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (OperationalError, InterfaceError)

# Seconds to wait before retry n (1-based) of a background loop that lost its database.
BACKOFF_SECONDS = (0.5, 1.0, 2.0, 5.0, 10.0)


def backoff_delay(failures: int) -> float:
    """Delay after `failures` consecutive failures (>= 1)."""
    return BACKOFF_SECONDS[min(max(failures, 1), len(BACKOFF_SECONDS)) - 1]


def connections_discard() -> None:
    """Close this thread's connections (broken ones included) so the next query reconnects."""
    for conn in connections.all(initialized_only=True):
        try:
            conn.close()
        except DATABASE_UNAVAILABLE:
            conn.connection = None  # already gone: forget it


def listen_connection_params() -> dict[str, Any]:
    """psycopg.connect() keyword arguments for a long-lived LISTEN session (autocommit)."""
    direct = getattr(settings, "DATABASE_DIRECT_URL", "")
    s: dict[str, Any] = dict(
        dj_database_url.parse(direct) if direct else connections["default"].settings_dict
    )
    params: dict[str, Any] = {"dbname": s["NAME"], "autocommit": True}
    for key, name in (("USER", "user"), ("PASSWORD", "password"), ("HOST", "host")):
        if s.get(key):
            params[name] = s[key]
    if s.get("PORT"):
        params["port"] = int(s["PORT"])
    for key in ("sslmode", "sslrootcert", "sslcert", "sslkey"):
        if (s.get("OPTIONS") or {}).get(key):
            params[key] = s["OPTIONS"][key]
    return params


def is_postgresql() -> bool:
    return bool(connections["default"].vendor == "postgresql")
