"""Extension point of the conversation drawer for the apps above messaging.

Messaging renders the drawer (timeline and send box); an app that knows more about a thread
(crm: patient link, assignment, tags, internal notes) registers a panel here and the drawer
renders every registered panel of a slot, in order. A panel is a template plus a function
that returns its context; the panel's own views answer its forms with the same fragment.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from clinicrm.messaging.models import Thread

HEAD = "head"  # under the name and number: who, which tags, which patient
BODY = "body"  # between the header and the timeline (collapsible notes)
SLOTS = (HEAD, BODY)


@dataclass(frozen=True)
class ConversationPanel:
    code: str
    slot: str
    template: str
    context: Callable[..., dict[str, Any]]  # (request=, thread=) -> template context
    order: int = 100


PANELS: dict[str, ConversationPanel] = {}


def conversation_panel_register(panel: ConversationPanel) -> ConversationPanel:
    if panel.slot not in SLOTS:
        raise ValueError(f"unknown drawer slot {panel.slot!r}")
    PANELS[panel.code] = panel
    return panel


def conversation_panels_render(
    *, request: HttpRequest, thread: Thread, slot: str
) -> list[SafeString]:
    """Every panel of `slot` rendered for `thread` (HTML, in order)."""
    out = []
    for panel in sorted(PANELS.values(), key=lambda p: (p.order, p.code)):
        if panel.slot != slot:
            continue
        context = {"thread": thread, **panel.context(request=request, thread=thread)}
        # render_to_string escapes what it renders; the result is the template's own HTML.
        out.append(mark_safe(render_to_string(panel.template, context, request=request)))  # noqa: S308
    return out
