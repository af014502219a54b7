"""Side menu by role. Each app registers its own items from its AppConfig.ready()
(`menu_register`), so core names no app above it; items whose URL is not routed (an app not
installed, such as devtools in production) are left out."""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

from clinicrm.core.models import Membership, Role

ALL_ROLES = frozenset(Role.values)


@dataclass(frozen=True)
class MenuItem:
    label: str
    url_name: str
    icon: str
    roles: frozenset[str] = ALL_ROLES
    badge_id: str = ""
    order: int = 100  # position in the menu, smallest first


_clinic_items: dict[str, MenuItem] = {}
_saas_items: dict[str, MenuItem] = {}


def menu_register(*items: MenuItem, saas: bool = False) -> None:
    """Add items to the clinic menu (or the SaaS staff menu). Registering a URL name again
    replaces its item, so a second ready() call changes nothing."""
    target = _saas_items if saas else _clinic_items
    for item in items:
        target[item.url_name] = item


def _resolved(items: list[MenuItem]) -> list[dict[str, str]]:
    out = []
    for item in sorted(items, key=lambda i: i.order):
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        out.append({"label": item.label, "url": url, "icon": item.icon, "badge_id": item.badge_id})
    return out


def menu_for(*, membership: Membership | None, is_staff: bool) -> dict[str, list[dict[str, str]]]:
    clinic = []
    if membership is not None:
        clinic = _resolved([i for i in _clinic_items.values() if membership.role in i.roles])
    saas = _resolved(list(_saas_items.values())) if is_staff else []
    return {"clinic": clinic, "saas": saas}
