"""Approved WhatsApp templates (Twilio Content API) and the 24-hour customer service window.

A Twilio channel keeps its approved templates in `config["templates"]` as
`{"name", "content_sid", "variables": [meaning of {{1}}, {{2}}, ...], "body"?: "text {{1}}"}`
(set-up page, `twilio_template_add`). The conversation page offers them with one input per
variable; `message_send_template` validates the choice and the values against that config before
anything is created, then goes through the normal outbox (`message_send(template=...)`), so the
credit, the transaction and the task are the same as for free text.

Outside the window Twilio refuses free text (63016): templates are the only way to write. The
window closes 24 h after the patient's last message (`Thread.last_inbound_at`).
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import Tenant, User
from clinicrm.messaging.errors import ErrorCode, error_friendly
from clinicrm.messaging.models import Channel, Message
from clinicrm.messaging.providers import TemplateRef
from clinicrm.messaging.selectors import channel_active_get
from clinicrm.messaging.services.outbox import (
    NO_CHANNEL_MESSAGE,
    message_send,
)

MAX_VARIABLE_LENGTH = 500
PLACEHOLDER_RE = re.compile(r"\{\{\s*(\d{1,2})\s*\}\}")
UNKNOWN_TEMPLATE_MESSAGE = "Modelo não encontrado. Escolha um dos modelos aprovados da clínica."


@dataclass(frozen=True)
class TemplateOption:
    """One approved template as the send box shows it."""

    name: str
    content_sid: str
    variables: tuple[str, ...]
    pattern: str  # the preview text with {{n}} placeholders

    def label(self, index: int) -> str:
        """Meaning of variable {{index}} (1-based), as the clinic typed it."""
        return self.variables[index - 1] if index <= len(self.variables) else f"{{{{{index}}}}}"


def _pattern(name: str, variables: Sequence[str], body: str) -> str:
    if body.strip():
        return body.strip()
    # No body configured: a readable stand-in the timeline can show ("Name — meaning: value").
    if not variables:
        return name
    parts = " · ".join(f"{label}: {{{{{i}}}}}" for i, label in enumerate(variables, start=1))
    return f"{name} — {parts}"


def channel_templates(*, channel: Channel | None) -> list[TemplateOption]:
    """The approved templates of a Twilio channel, in the order the clinic registered them."""
    if channel is None or not channel.is_twilio:
        return []
    options = []
    for raw in (channel.config or {}).get("templates") or []:
        sid = str(raw.get("content_sid") or "").strip()
        if not sid:
            continue
        name = str(raw.get("name") or sid)
        variables = tuple(str(v) for v in raw.get("variables") or [])
        options.append(
            TemplateOption(
                name=name,
                content_sid=sid,
                variables=variables,
                pattern=_pattern(name, variables, str(raw.get("body") or "")),
            )
        )
    return options


def template_preview(*, option: TemplateOption, values: Mapping[str, str]) -> str:
    """The template's text with the values in place; an empty value shows its meaning."""

    def fill(match: re.Match[str]) -> str:
        key = match.group(1)
        value = (values.get(key) or "").strip()
        return value or f"[{option.label(int(key))}]"

    return PLACEHOLDER_RE.sub(fill, option.pattern)


def _clean_value(value: str) -> str:
    # WhatsApp refuses template parameters with newlines, tabs or runs of spaces.
    return " ".join((value or "").split())


def template_ref_build(
    *, channel: Channel | None, content_sid: str, values: Sequence[str]
) -> TemplateRef:
    """Validate a template choice and its values against the channel's config (pt-BR errors)."""
    if channel is None:
        raise ApplicationError(NO_CHANNEL_MESSAGE)
    if not channel.is_twilio:
        raise ApplicationError(error_friendly(ErrorCode.TEMPLATE_UNSUPPORTED), field="content_sid")
    sid = (content_sid or "").strip()
    if not sid:
        raise ApplicationError("Escolha um modelo aprovado.", field="content_sid")
    option = next((o for o in channel_templates(channel=channel) if o.content_sid == sid), None)
    if option is None:
        raise ApplicationError(UNKNOWN_TEMPLATE_MESSAGE, field="content_sid")
    cleaned = [_clean_value(v) for v in values]
    variables: dict[str, str] = {}
    for index in range(1, len(option.variables) + 1):
        value = cleaned[index - 1] if index <= len(cleaned) else ""
        if not value:
            raise ApplicationError(f"Preencha “{option.label(index)}”.", field=f"var_{index}")
        if len(value) > MAX_VARIABLE_LENGTH:
            raise ApplicationError(
                f"“{option.label(index)}” pode ter no máximo {MAX_VARIABLE_LENGTH} caracteres.",
                field=f"var_{index}",
            )
        variables[str(index)] = value
    return TemplateRef(
        content_sid=option.content_sid,
        variables=variables,
        name=option.name,
        preview=template_preview(option=option, values=variables),
    )


def message_send_template(
    *,
    tenant: Tenant,
    actor: User | None,
    thread_key: str,
    content_sid: str,
    values: Sequence[str],
    confirmed: bool = False,
    ip: str | None = None,
) -> Message:
    """Send an approved template (allowed any time, inside or outside the 24-hour window)."""
    template = template_ref_build(
        channel=channel_active_get(tenant=tenant), content_sid=content_sid, values=values
    )
    return message_send(
        tenant=tenant,
        actor=actor,
        thread_key=thread_key,
        template=template,
        confirmed=confirmed,
        ip=ip,
    )
