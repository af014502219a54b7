"""Logging filters that keep secrets out of log lines."""

import logging
import re

from clinicrm.core.dbutil import DATABASE_UNAVAILABLE

# Secrets in URLs: the channel's webhook routing token (/webhooks/twilio/<token>/inbound/), the
# signed media token (/midia/<token>/), password-reset and invitation links.
_URL_SECRETS = [
    (re.compile(r"(/webhooks/[a-z0-9_-]+/)[^/\s?#\"']+"), r"\1[token]"),
    (re.compile(r"(/midia/)(?!tentar-novamente/)[^/\s?#\"']+"), r"\1[token]"),
    (re.compile(r"(/(?:senha/redefinir|convite)/)[^/\s?#\"']+/[^/\s?#\"']+"), r"\1[token]"),
]
# Query strings carry search terms (names, message text) and documents (Asaas look-ups by CPF).
_QUERY_RE = re.compile(r"(/[^\s?#\"']*)\?[^\s#\"']+")
# CPF (000.000.000-00 or 11 digits) and CNPJ (00.000.000/0000-00, also alphanumeric).
_DOCUMENT_RE = re.compile(
    r"(?<![\w.-])(?:\d{3}\.\d{3}\.\d{3}-\d{2}|[0-9A-Z]{2}\.[0-9A-Z]{3}\.[0-9A-Z]{3}/[0-9A-Z]{4}-\d{2})"
    r"(?![\w-])"
)
# Phones: E.164 (+5511988887777, whatsapp:+1...), WhatsApp ids (5511988887777@s.whatsapp.net)
# and Brazilian formats with an area code: (11) 98888-7777, 11 98888-7777, 11988887777,
# +55 11 98888-7777. Bare runs of 10 to 13 digits go too (an 11-digit CPF without dots is one).
_PHONE_RE = re.compile(
    r"(?<![\w+-])(?:\+\d{8,15}"
    r"|(?:\+?55[\s-]?)?\(?[1-9]\d\)?[\s-]?9?\d{4}[\s-]?\d{4}"
    r"|\d{10,13})(?![\w-])"
)


def redact_personal_data(text: str) -> str:
    """The text of a log line without secrets in URLs, query strings, documents and phones."""
    for pattern, replacement in _URL_SECRETS:
        text = pattern.sub(replacement, text)
    text = _QUERY_RE.sub(r"\1?[...]", text)
    text = _DOCUMENT_RE.sub("[documento]", text)
    return _PHONE_RE.sub("[telefone]", text)


class RedactPersonalData(logging.Filter):
    """On every handler (settings.LOGGING): the formatted message, the traceback and the stack
    of a record leave without tokens, phones and documents. Message text cannot be recognised
    by a pattern: no code logs it, and the log-capture test over the webhook and media suites
    (tests/log_leaks.py) proves it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_clinicrm_redacted", False):
            return True  # several handlers see the same record
        record.msg = redact_personal_data(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_personal_data(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_personal_data(record.stack_info)
        record._clinicrm_redacted = True
        return True


class DatabaseUnavailableAsWarning(logging.Filter):
    """A request answered 503 because the database had no connection for it is an expected
    overload, not a bug: one WARNING line instead of an ERROR with a traceback per request (a
    reconnect storm would otherwise flood the log)."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, DATABASE_UNAVAILABLE):
            record.exc_info = None
            record.exc_text = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.msg = f"{record.msg} ({type(exc).__name__})"
        return True
