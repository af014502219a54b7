"""The patient's page of an intake invite (no login): a signed link opens a form that shows
the clinic and the inviting professional and nothing else. A forged, expired or used link says
so and changes nothing but the audit trail, which also caps posts per address (429)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from clinicrm.compliance.intake.forms import TERMS_TEXT, IntakePublicForm
from clinicrm.compliance.intake.models import IntakeInvite
from clinicrm.compliance.intake.selectors import (
    LinkState,
    intake_link_resolve,
    intake_public_throttled,
)
from clinicrm.compliance.intake.services import (
    LINK_MESSAGES,
    intake_refusal_record,
    intake_submit,
)
from clinicrm.core.errors import ApplicationError
from clinicrm.core.rls import rls_bypass
from clinicrm.core.services import client_ip

TEMPLATE = "compliance/intake/public.html"
LINK_STATUS = {LinkState.INVALID: 404, LinkState.EXPIRED: 410, LinkState.USED: 410}
THROTTLED = "Muitas tentativas a partir desta conexão. Aguarde uma hora e tente de novo."


def _inviter(invite: IntakeInvite) -> str:
    if invite.professional is not None:
        return invite.professional.full_name
    return ""


def _page(request: HttpRequest, invite: IntakeInvite | None, **context: object) -> HttpResponse:
    status = int(str(context.pop("status", 200)))
    base = {
        "clinic": invite.tenant.name if invite else "",
        "inviter": _inviter(invite) if invite else "",
        "terms": TERMS_TEXT,
    }
    response = render(request, TEMPLATE, {**base, **context}, status=status)
    # The token must not leak to other sites ("no-referrer" would make the form post with
    # Origin: null, which CSRF refuses).
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex"
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def intake_public(request: HttpRequest, intake_token: str) -> HttpResponse:
    # A visitor with no session: the signed token names the invite, whose clinic is known only
    # once it is read, and the throttle counts one address across clinics (core/rls.py).
    with rls_bypass():
        return _intake_public(request, intake_token)


def _intake_public(request: HttpRequest, intake_token: str) -> HttpResponse:
    ip = client_ip(request)
    if request.method == "POST" and intake_public_throttled(ip=ip):
        return _page(request, None, refused=THROTTLED, status=429)
    link = intake_link_resolve(token=intake_token)
    if link.state != LinkState.OPEN:
        if request.method == "POST":
            intake_refusal_record(invite=link.invite, reason=link.state.value, ip=ip)
        return _page(
            request,
            link.invite if link.state != LinkState.INVALID else None,
            refused=LINK_MESSAGES[link.state],
            status=LINK_STATUS[link.state],
        )
    invite = link.invite
    assert invite is not None
    if request.method == "GET":
        return _page(request, invite, form=IntakePublicForm())
    form = IntakePublicForm(request.POST)
    if not form.is_valid():
        intake_refusal_record(invite=invite, reason="form", ip=ip)
        return _page(request, invite, form=form, status=400)
    try:
        intake_submit(invite=invite, data=form.intake_data(), ip=ip)
    except ApplicationError as exc:
        intake_refusal_record(invite=invite, reason="race", ip=ip)
        return _page(request, invite, refused=exc.message, status=410)
    return _page(request, invite, done=True)
