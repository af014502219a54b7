"""The Twilio set-up page (owners and admins): credentials proven against Twilio, approved
templates. Thin: `channels.py` does the work."""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from clinicrm.core.errors import ApplicationError
from clinicrm.core.tenancy import request_tenant
from clinicrm.integrations.twilio.channels import (
    twilio_channel_setup,
    twilio_template_add,
    twilio_template_remove,
    twilio_webhook_urls,
)
from clinicrm.integrations.twilio.forms import TwilioSetupForm, TwilioTemplateForm
from clinicrm.messaging.channel_views import STATUS_PILL, channel_activate_if_none, managers_only
from clinicrm.messaging.models import Provider
from clinicrm.messaging.services.channels import channel_get, channel_is_configured
from clinicrm.people.phones import phone_format_display


def _twilio_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    channel = channel_get(tenant=request_tenant(request), provider=Provider.TWILIO)
    configured = channel is not None and channel_is_configured(channel)
    initial = {}
    if channel is not None:
        initial = {
            "account_sid": channel.config.get("account_sid", ""),
            "api_key_sid": channel.config.get("api_key_sid", ""),
            "sender": phone_format_display(str(channel.config.get("sender", ""))),
        }
    ctx = {
        "channel": channel,
        "configured": configured,
        "status_pill": STATUS_PILL.get(channel.status, "") if channel else "",
        "form": TwilioSetupForm(initial=initial, has_secrets=configured),
        "template_form": TwilioTemplateForm(),
        "templates": list((channel.config.get("templates") or []) if channel else []),
        "webhooks": twilio_webhook_urls(channel) if channel is not None else None,
        "sender_display": phone_format_display(str(channel.config.get("sender", "")))
        if channel
        else "",
    }
    return ctx | extra


@require_http_methods(["GET", "POST"])
@managers_only
def twilio_setup(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return render(request, "twilio/setup.html", _twilio_context(request))
    tenant = request_tenant(request)
    existing = channel_get(tenant=tenant, provider=Provider.TWILIO)
    form = TwilioSetupForm(
        request.POST, has_secrets=existing is not None and channel_is_configured(existing)
    )
    if form.is_valid():
        try:
            twilio_channel_setup(tenant=tenant, actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, "Credenciais verificadas na Twilio e salvas.")
            channel_activate_if_none(request, Provider.TWILIO)
            return redirect("integrations:twilio_setup")
    context = _twilio_context(request, form=form)
    return render(request, "twilio/setup.html", context, status=400)


def _templates_response(
    request: HttpRequest,
    form: TwilioTemplateForm | None = None,
    status: int = 200,
    error: str = "",
) -> HttpResponse:
    context = _twilio_context(request, template_error=error)
    if form is not None:
        context["template_form"] = form
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "twilio/setup.html#templates", context, status=status)
    if status == 200:
        return redirect("integrations:twilio_setup")
    return render(request, "twilio/setup.html", context, status=status)


@require_POST
@managers_only
def twilio_template_create(request: HttpRequest) -> HttpResponse:
    form = TwilioTemplateForm(request.POST)
    if form.is_valid():
        try:
            twilio_template_add(
                tenant=request_tenant(request),
                actor=request.user,
                name=form.cleaned_data["name"],
                content_sid=form.cleaned_data["content_sid"],
                variables=form.variables_list(),
            )
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            return _templates_response(request)
    return _templates_response(request, form, status=400)


@require_POST
@managers_only
def twilio_template_delete(request: HttpRequest) -> HttpResponse:
    try:
        twilio_template_remove(
            tenant=request_tenant(request),
            actor=request.user,
            content_sid=request.POST.get("content_sid", ""),
        )
    except ApplicationError as exc:
        return _templates_response(request, status=400, error=exc.message)
    return _templates_response(request)
