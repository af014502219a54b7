"""Side menu by role. Items whose URL is not installed yet are left out, so apps plug in."""

from dataclasses import dataclass

from django.conf import settings
from django.urls import NoReverseMatch, reverse

from clinicrm.core.models import CLINIC_ROLES, Membership, Role

ALL_ROLES = frozenset(Role.values)


@dataclass(frozen=True)
class MenuItem:
    label: str
    url_name: str
    icon: str
    roles: frozenset[str] = ALL_ROLES
    badge_id: str = ""
    dev_only: bool = False  # development tools: hidden when DJANGO_ENV=production


CLINIC_MENU: tuple[MenuItem, ...] = (
    MenuItem("Painel", "dashboard:home", "◧"),
    MenuItem("Conversas", "messaging:inbox", "✉", badge_id="menu-badge-inbox"),
    MenuItem("Pacientes", "people:patient_list", "☺"),
    MenuItem("Profissionais", "people:professional_list", "✚", CLINIC_ROLES),
    MenuItem("Agenda do dia", "agenda:day", "▦"),
    MenuItem("Minha agenda", "agenda:my_week", "▤", frozenset({Role.PROFESSIONAL})),
    MenuItem("Créditos WhatsApp", "credits:page", "◎", frozenset({Role.OWNER, Role.ADMIN})),
    MenuItem("Extrato", "credits:statement", "≣", frozenset({Role.OWNER, Role.ADMIN})),
    MenuItem("WhatsApp", "messaging:channel_chooser", "☏", frozenset({Role.OWNER, Role.ADMIN})),
    MenuItem("Automação", "automation:reminders", "⟳", CLINIC_ROLES),
    MenuItem("Membros", "core:member_list", "♟", frozenset({Role.OWNER, Role.ADMIN})),
    # The simulator's views answer 404 to the other roles and in production, like this item.
    MenuItem("Simulador WhatsApp", "devtools:simulator", "▣", CLINIC_ROLES, dev_only=True),
)

SAAS_MENU: tuple[MenuItem, ...] = (
    MenuItem("Console SaaS", "saas:home", "⚙"),
    MenuItem("Add-ons e créditos", "saas:addons", "◎"),
)


def _resolved(items: tuple[MenuItem, ...]) -> list[dict[str, str]]:
    out = []
    for item in items:
        if item.dev_only and getattr(settings, "PRODUCTION", False):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        out.append({"label": item.label, "url": url, "icon": item.icon, "badge_id": item.badge_id})
    return out


def menu_for(*, membership: Membership | None, is_staff: bool) -> dict[str, list[dict[str, str]]]:
    clinic = []
    if membership is not None:
        clinic = _resolved(tuple(i for i in CLINIC_MENU if membership.role in i.roles))
    return {"clinic": clinic, "saas": _resolved(SAAS_MENU) if is_staff else []}
