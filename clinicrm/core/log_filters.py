"""Logging filters that keep secrets out of log lines."""

import logging
import re

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
