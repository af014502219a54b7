"""Cards that later features plug into the dashboard.

Each slot has a stable id (the card's HTML id is `kpi-slot-<id>`). Until a feature registers a
template for it, the dashboard shows a clearly marked placeholder. A feature registers from its
AppConfig.ready():

    dashboard_slot_register(slot_id="messages", template_name="messaging/dashboard_card.html",
                            context=lambda request: {...})
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest


@dataclass
class DashboardSlot:
    slot_id: str
    title: str
    placeholder: str
    template_name: str | None = None
    context: Callable[[HttpRequest], dict[str, Any]] | None = None


SLOTS: dict[str, DashboardSlot] = {
    "messages": DashboardSlot(
        slot_id="messages",
        title="Mensagens recebidas/enviadas",
        placeholder="Disponível quando o WhatsApp da clínica estiver conectado.",
    ),
    "credits": DashboardSlot(
        slot_id="credits",
        title="Saldo de créditos WhatsApp",
        placeholder="Disponível com o módulo de créditos WhatsApp.",
    ),
}


def dashboard_slot_register(
    *,
    slot_id: str,
    template_name: str,
    context: Callable[[HttpRequest], dict[str, Any]] | None = None,
    title: str | None = None,
) -> None:
    slot = SLOTS.get(slot_id) or DashboardSlot(slot_id=slot_id, title=title or "", placeholder="")
    slot.template_name = template_name
    slot.context = context
    if title:
        slot.title = title
    SLOTS[slot_id] = slot


def dashboard_slots_render_data(request: HttpRequest) -> list[dict[str, Any]]:
    """What the template needs per slot: id, title, template (or None) and its context."""
    out = []
    for slot in SLOTS.values():
        extra = slot.context(request) if (slot.template_name and slot.context) else {}
        out.append(
            {
                "id": slot.slot_id,
                "title": slot.title,
                "placeholder": slot.placeholder,
                "template_name": slot.template_name,
                "context": extra,
            }
        )
    return out
