"""Log-leak guard: every log line the webhook and media suites write, checked for personal data.

For the tests it covers (`GUARDED_PATHS`, applied by the root conftest), the guard:
- turns every configured logger up to DEBUG and wraps the `emit` of every handler the project
  configured (not pytest's own), so it sees each record exactly as written: after the handler's
  filters, formatted by the handler's formatter;
- learns the secrets of the test as they are created (post_save: channel webhook tokens,
  message text, phone numbers, CPFs), plus the phones and texts of the provider fixtures;
- fails the test if a written line contains one of them, an unredacted /midia/ or webhook
  token, or anything shaped like a phone number.
"""

import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from django.db.models.signals import post_save

GUARDED_PATHS = (
    "clinicrm/integrations/",
    "clinicrm/messaging/tests/test_media",
    "clinicrm/messaging/tests/test_send_media",
    "tests/e2e/test_media",
    "tests/e2e/test_messaging_media",
)
FIXTURES = Path(__file__).resolve().parent.parent / "clinicrm" / "integrations"
MIN_SECRET_LEN = 6

_FIXTURE_KEYS = {"remoteJid", "sender", "conversation", "text", "caption", "From", "To", "WaId"}
_FIXTURE_KEYS |= {"Body", "apikey", "cpfCnpj", "mobilePhone", "phone"}
_TOKEN_SHAPES = [
    re.compile(r"/midia/(?!\[token\]|tentar-novamente/)[^/\s\"']+"),
    re.compile(r"/webhooks/[a-z]+/(?!\[token\])[^/\s\"']+"),
    re.compile(r"(?<![\w+-])(?:\+\d{8,15}|\d{10,13})(?![\w-])"),  # E.164 or bare phone digits
]


def _fixture_values() -> set[str]:
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in _FIXTURE_KEYS and isinstance(value, str):
                    found.add(value)
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in FIXTURES.glob("*/fixtures/*.json"):
        walk(json.loads(path.read_text()))
    for path in FIXTURES.glob("*/fixtures/*.form"):
        walk(dict(parse_qsl(path.read_text().strip())))
    return _expand(found)


def _expand(values: set[str]) -> set[str]:
    """A phone is also looked for as its bare digits (5511999999999@s.whatsapp.net,
    whatsapp:+5511... and +5511... all carry them)."""
    out = set()
    for value in values:
        value = value.strip()
        out.add(value)
        digits = re.sub(r"\D", "", value.split("@")[0])
        if len(digits) >= 10 and not re.search(r"[a-z]{3}", value.split("@")[0], re.I):
            out.add(digits)
    return {v for v in out if len(v) >= MIN_SECRET_LEN}


_FIXTURE_SECRETS: set[str] | None = None

# Model fields whose values are secrets or personal data (model label -> fields).
_SECRET_FIELDS = {
    "messaging.Channel": ("webhook_token",),
    "messaging.Message": ("body", "contact_raw_id"),
    "messaging.Thread": ("contact_raw_id",),
    "people.ContactPhone": ("number_e164",),
    "people.Patient": ("cpf",),
}


class LogLeakGuard:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.secrets: set[str] = set()
        self._restore: list[tuple[Any, str, Any]] = []

    # --- learning secrets -----------------------------------------------------------------
    def learn(self, *values: str) -> None:
        self.secrets |= _expand({v for v in values if isinstance(v, str)})

    def _on_save(self, sender: Any, instance: Any, **kwargs: Any) -> None:
        fields = _SECRET_FIELDS.get(sender._meta.label)
        if fields:
            self.learn(*(getattr(instance, f, "") or "" for f in fields))

    # --- capturing ------------------------------------------------------------------------
    def _handlers(self) -> Iterator[tuple[logging.Logger, logging.Handler]]:
        loggers = [logging.getLogger()]
        loggers += [
            lg
            for lg in logging.Logger.manager.loggerDict.values()
            if isinstance(lg, logging.Logger)
        ]
        for logger in loggers:
            for handler in logger.handlers:
                if not type(handler).__module__.startswith("_pytest"):
                    yield logger, handler

    def start(self) -> None:
        global _FIXTURE_SECRETS
        if _FIXTURE_SECRETS is None:
            _FIXTURE_SECRETS = _fixture_values()
        self.secrets |= _FIXTURE_SECRETS
        from django.conf import settings

        self.learn(settings.ASAAS_WEBHOOK_TOKEN, settings.ASAAS_API_KEY)
        post_save.connect(self._on_save, dispatch_uid=f"log-leak-guard-{id(self)}")
        seen: set[int] = set()
        for _logger, handler in list(self._handlers()):
            if id(handler) not in seen:
                seen.add(id(handler))
                self._set_level(handler)
                self._restore.append((handler, "emit", handler.__dict__.get("emit", _MISSING)))
                handler.emit = self._wrap(handler)  # type: ignore[method-assign]
        loggers = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
        for logger in loggers:
            if isinstance(logger, logging.Logger) and logger.level > logging.DEBUG:
                self._set_level(logger)

    def _set_level(self, obj: logging.Logger | logging.Handler) -> None:
        self._restore.append((obj, "level", obj.level))
        obj.setLevel(logging.DEBUG)

    def _wrap(self, handler: logging.Handler) -> Any:
        emit = handler.emit

        def capture(record: logging.LogRecord) -> None:
            self.lines.append(handler.format(record))
            emit(record)

        return capture

    def stop(self) -> None:
        from django.conf import settings

        self.learn(settings.ASAAS_WEBHOOK_TOKEN, settings.ASAAS_API_KEY)
        post_save.disconnect(dispatch_uid=f"log-leak-guard-{id(self)}")
        for obj, attr, old in reversed(self._restore):
            if attr == "level":
                obj.setLevel(old)
            elif old is _MISSING:
                delattr(obj, attr)
            else:
                setattr(obj, attr, old)
        self._restore.clear()

    def leaks(self) -> list[str]:
        found = []
        for line in self.lines:
            hits = [s for s in self.secrets if s in line]
            hits += [m.group(0) for p in _TOKEN_SHAPES for m in p.finditer(line)]
            if hits:
                found.append(f"{sorted(set(hits))!r} in log line {line!r}")
        return found


_MISSING = object()
