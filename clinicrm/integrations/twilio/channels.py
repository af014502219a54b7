"""Twilio set-up (docs/providers/twilio.md §1): credentials are proven by fetching the account
before anything is saved; a refusal or an unreachable API saves nothing and answers a pt-BR message.
Approved templates (Content API ContentSid + variables) live in `config["templates"]`."""

import re
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import Tenant
from clinicrm.core.services import audit_log_record
from clinicrm.integrations.twilio.client import TwilioClient, TwilioError
from clinicrm.messaging.models import Channel, ChannelStatus, Provider
from clinicrm.messaging.services.channels.common import channel_get, channel_is_configured
from clinicrm.people.phones import phone_canonicalize

ACCOUNT_SID_RE = re.compile(r"^AC[0-9a-fA-F]{32}$")
API_KEY_SID_RE = re.compile(r"^SK[0-9a-fA-F]{32}$")
CONTENT_SID_RE = re.compile(r"^HX[0-9a-fA-F]{32}$")
MAX_TEMPLATES = 50

MSG_TWILIO_AUTH = (
    "A Twilio recusou as credenciais. Confira o Account SID e o Auth Token (ou a API Key)."
)
MSG_TWILIO_UNREACHABLE = (
    "Não foi possível falar com a Twilio agora. Verifique a conexão e tente de novo em instantes."
)
MSG_TWILIO_SUSPENDED = "A conta Twilio não está ativa (suspensa ou encerrada)."


def twilio_webhook_urls(channel: Channel) -> dict[str, str]:
    base = f"{str(settings.PUBLIC_BASE_URL).rstrip('/')}/webhooks/twilio/{channel.webhook_token}"
    return {"inbound": f"{base}/inbound/", "status": f"{base}/status/"}


def _twilio_verify(
    *, account_sid: str, auth_token: str, api_key_sid: str, api_key_secret: str
) -> None:
    try:
        client = TwilioClient(
            account_sid=account_sid,
            auth_token=auth_token,
            api_key_sid=api_key_sid,
            api_key_secret=api_key_secret,
        )
        account = client.account_verify()
    except TwilioError as exc:
        if exc.status in (401, 403) or exc.code in ("20003", "20404") or exc.status == 404:
            raise ApplicationError(MSG_TWILIO_AUTH, field="account_sid") from exc
        if exc.code in ("unreachable", "timeout", "provider_down") or (exc.status or 0) >= 500:
            raise ApplicationError(MSG_TWILIO_UNREACHABLE) from exc
        raise ApplicationError(exc.message_pt_br) from exc
    if account.get("status") and account["status"] != "active":
        raise ApplicationError(MSG_TWILIO_SUSPENDED, field="account_sid")


def twilio_channel_setup(
    *,
    tenant: Tenant,
    actor: Any,
    account_sid: str,
    sender: str,
    auth_token: str = "",
    api_key_sid: str = "",
    api_key_secret: str = "",
) -> Channel:
    """Verify the credentials against the Twilio API, then save them (encrypted).

    Either the Auth Token or an API Key (SID + secret) is required; on an existing channel a
    blank secret keeps the stored one. Nothing is saved when the check fails. The Auth Token is
    still needed with an API key because Twilio signs webhooks with it (docs/providers/twilio.md
    §3.3).
    """
    account_sid = account_sid.strip()
    api_key_sid = api_key_sid.strip()
    if not ACCOUNT_SID_RE.match(account_sid):
        raise ApplicationError(
            "O Account SID começa com AC e tem 34 caracteres.", field="account_sid"
        )
    if api_key_sid and not API_KEY_SID_RE.match(api_key_sid):
        raise ApplicationError(
            "A API Key SID começa com SK e tem 34 caracteres.", field="api_key_sid"
        )
    e164 = phone_canonicalize(sender, field="sender")
    channel = channel_get(tenant=tenant, provider=Provider.TWILIO)
    stored = channel.secrets if channel is not None and channel.secrets_encrypted else {}
    same_account = channel is not None and channel.config.get("account_sid") == account_sid
    token = auth_token.strip() or (str(stored.get("auth_token") or "") if same_account else "")
    key_secret = api_key_secret.strip()
    if (
        api_key_sid
        and not key_secret
        and same_account
        and channel is not None
        and channel.config.get("api_key_sid") == api_key_sid
    ):
        key_secret = str(stored.get("api_key_secret") or "")
    if not token:
        raise ApplicationError(
            "Informe o Auth Token (a Twilio assina os avisos de mensagens com ele).",
            field="auth_token",
        )
    if api_key_sid and not key_secret:
        raise ApplicationError("Informe o segredo da API Key.", field="api_key_secret")
    # The Auth Token is checked even with an API key: webhooks are signed with it.
    _twilio_verify(account_sid=account_sid, auth_token=token, api_key_sid="", api_key_secret="")
    if api_key_sid:
        _twilio_verify(
            account_sid=account_sid,
            auth_token="",
            api_key_sid=api_key_sid,
            api_key_secret=key_secret,
        )
    created = channel is None
    with transaction.atomic():
        if channel is None:
            channel = Channel(
                tenant=tenant, provider=Provider.TWILIO, display_name="WhatsApp oficial"
            )
        config = {k: v for k, v in channel.config.items() if k != "api_key_sid"}
        config |= {"account_sid": account_sid, "sender": e164}
        secrets: dict[str, str] = {"auth_token": token}
        if api_key_sid:
            config["api_key_sid"] = api_key_sid
            secrets["api_key_secret"] = key_secret
        channel.config = config
        channel.set_secrets(secrets)
        channel.status = ChannelStatus.ACTIVE
        channel.status_changed_at = timezone.now()
        channel.save()
        audit_log_record(
            action="messaging.channel_create" if created else "messaging.channel_update",
            user=actor,
            tenant=tenant,
            obj=channel,
            details={
                "fields": sorted(["account_sid", "sender", *config.keys() & {"api_key_sid"}])
                + sorted(secrets),
                "provider": channel.provider,
            },
        )
    return channel


def _twilio_channel(tenant: Tenant) -> Channel:
    channel = channel_get(tenant=tenant, provider=Provider.TWILIO)
    if channel is None or not channel_is_configured(channel):
        raise ApplicationError("Configure as credenciais da Twilio primeiro.")
    return channel


def twilio_template_add(
    *, tenant: Tenant, actor: Any, name: str, content_sid: str, variables: list[str]
) -> Channel:
    """Add an approved template (Content API ContentSid + the meaning of each {{n}})."""
    name = " ".join(name.split())
    content_sid = content_sid.strip()
    variables = [" ".join(v.split()) for v in variables if v.strip()]
    if not 2 <= len(name) <= 60:
        raise ApplicationError("Dê um nome de 2 a 60 caracteres.", field="name")
    if not CONTENT_SID_RE.match(content_sid):
        raise ApplicationError(
            "O ContentSid começa com HX e tem 34 caracteres.", field="content_sid"
        )
    if len(variables) > 10 or any(len(v) > 60 for v in variables):
        raise ApplicationError("Até 10 variáveis, de até 60 caracteres cada.", field="variables")
    with transaction.atomic():
        channel = Channel.objects.select_for_update().get(pk=_twilio_channel(tenant).pk)
        templates = list(channel.config.get("templates") or [])
        if len(templates) >= MAX_TEMPLATES:
            raise ApplicationError(f"Limite de {MAX_TEMPLATES} modelos atingido.", field="name")
        if any(t.get("name", "").lower() == name.lower() for t in templates):
            raise ApplicationError("Já existe um modelo com esse nome.", field="name")
        if any(t.get("content_sid") == content_sid for t in templates):
            raise ApplicationError("Esse ContentSid já está cadastrado.", field="content_sid")
        templates.append({"name": name, "content_sid": content_sid, "variables": variables})
        channel.config = {**channel.config, "templates": templates}
        channel.save(update_fields=["config", "updated_at"])
        audit_log_record(
            action="messaging.channel_template_add",
            user=actor,
            tenant=tenant,
            obj=channel,
            details={"fields": ["templates"], "count": len(templates)},
        )
    return channel


def twilio_template_remove(*, tenant: Tenant, actor: Any, content_sid: str) -> Channel:
    with transaction.atomic():
        channel = Channel.objects.select_for_update().get(pk=_twilio_channel(tenant).pk)
        templates = list(channel.config.get("templates") or [])
        kept = [t for t in templates if t.get("content_sid") != content_sid]
        if len(kept) == len(templates):
            raise ApplicationError("Modelo não encontrado.", field="content_sid")
        channel.config = {**channel.config, "templates": kept}
        channel.save(update_fields=["config", "updated_at"])
        audit_log_record(
            action="messaging.channel_template_remove",
            user=actor,
            tenant=tenant,
            obj=channel,
            details={"fields": ["templates"], "count": len(kept)},
        )
    return channel
