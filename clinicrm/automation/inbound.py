"""The inbound hooks of automation: ONE module, registered in this order by `apps.py` into
messaging's hook registry (`messaging.hooks`), which calls them for every message it stores,
inside the ingest transaction:

1. `optout_on_inbound`: "PARE" opts the number out (one acknowledgement), "voltar" back in;
   such a message is consumed (no auto-reply to it).
2. `confirm_on_inbound`: "1"/"sim" or "2"/"não" answering a session reminder confirms or
   cancels the appointment; consumed.
3. `autoreply_on_inbound`: the auto-reply decision (logged), for whatever is left.

Each hook takes the drain group's `InboundMemo`: the clinic's keywords and auto-reply settings
are read once per group (per message outside a drain), not once per message.

Thin: the services decide. The provider does not matter: both providers' deliveries reach
`message_ingest`.
"""

from clinicrm.automation.detector import could_be_request, optout_detect_normalized, text_normalize
from clinicrm.automation.services.autoreply import autoreply_decide, autoreply_settings_on
from clinicrm.automation.services.confirm import confirm_on_message
from clinicrm.automation.services.keywords import optout_keywords_of
from clinicrm.automation.services.optout import optin_by_message, optout_by_message
from clinicrm.messaging.hooks import InboundMemo
from clinicrm.messaging.models import Channel, Direction, Message, MessageKind


def _patient_text(message: Message) -> str:
    """The text a patient typed ("" for our own messages and for media)."""
    if message.direction != Direction.INBOUND or message.kind != MessageKind.TEXT:
        return ""
    return message.body or ""


def optout_on_inbound(*, channel: Channel, message: Message, memo: InboundMemo) -> bool:
    normalized = text_normalize(_patient_text(message))
    if not could_be_request(normalized):
        return False
    tenant = channel.tenant
    optout, optin = memo.get(
        ("optout_keywords", tenant.pk), lambda: optout_keywords_of(tenant=tenant)
    )
    found = optout_detect_normalized(normalized, optout=optout, optin=optin)
    if found is None:
        return False
    if found.kind == "optout":
        optout_by_message(tenant=tenant, message=message, keyword=found.keyword)
        return True  # also when already opted out: no second acknowledgement, no auto-reply
    return optin_by_message(tenant=tenant, message=message, keyword=found.keyword) is not None


def confirm_on_inbound(*, channel: Channel, message: Message, memo: InboundMemo) -> bool:
    if not _patient_text(message):
        return False
    return confirm_on_message(tenant=channel.tenant, message=message) is not None


def autoreply_on_inbound(*, channel: Channel, message: Message, memo: InboundMemo) -> bool:
    tenant = channel.tenant
    settings = memo.get(
        ("autoreply_settings", tenant.pk), lambda: autoreply_settings_on(tenant=tenant)
    )
    if settings is not None:
        autoreply_decide(tenant=tenant, message=message, settings=settings)
    return False


INBOUND_HOOKS = (optout_on_inbound, confirm_on_inbound, autoreply_on_inbound)
