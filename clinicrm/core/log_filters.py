"""Logging filters that keep secrets out of log lines."""

import logging
import re

from clinicrm.core.dbutil import DATABASE_UNAVAILABLE

# Webhook URLs carry the channel's secret routing token: /webhooks/evolution/<token>/...
WEBHOOK_TOKEN_RE = re.compile(r"(/webhooks/(?:evolution|twilio)/)[^/\s]+")


def redact_webhook_tokens(text: str) -> str:
    return WEBHOOK_TOKEN_RE.sub(r"\1[token]", text)


class RedactWebhookTokens(logging.Filter):
    """Django logs the path of every 4xx/5xx answer (`Unauthorized: /webhooks/...`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact_webhook_tokens(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact_webhook_tokens(a) if isinstance(a, str) else a for a in record.args
            )
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
