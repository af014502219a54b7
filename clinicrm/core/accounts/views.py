"""Password recovery and invitations: Django's views with our forms, templates and services."""

from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import reverse_lazy

from clinicrm.core.accounts.emails import duration_label
from clinicrm.core.accounts.forms import AccountSetPasswordForm, PasswordResetRequestForm
from clinicrm.core.accounts.services import account_password_set, password_reset_request
from clinicrm.core.accounts.tokens import invite_token_generator
from clinicrm.core.client_ip import client_ip
from clinicrm.core.rls import rls_bypass


class PasswordResetRequestView(auth_views.PasswordResetView):
    form_class = PasswordResetRequestForm  # type: ignore[assignment]
    template_name = "core/password_reset.html"
    success_url = reverse_lazy("core:password_reset_done")

    def form_valid(self, form: Any) -> HttpResponse:
        # A visitor with no clinic yet; the request is audited in each of the account's clinics.
        with rls_bypass():
            password_reset_request(email=form.cleaned_data["email"], ip=client_ip(self.request))
        return HttpResponseRedirect(self.get_success_url())

    def form_invalid(self, form: Any) -> HttpResponse:
        return self.render_to_response(self.get_context_data(form=form), status=400)


class PasswordResetSentView(auth_views.PasswordResetDoneView):
    template_name = "core/password_reset_done.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        valid_for = duration_label(settings.PASSWORD_RESET_TIMEOUT)
        return super().get_context_data(valid_for=valid_for, **kwargs)


class PasswordSetView(auth_views.PasswordResetConfirmView):
    """The page a reset link opens. Django's view checks the token and moves it into the session
    (the URL then carries `nova-senha` instead, so the token never leaks in a Referer)."""

    form_class = AccountSetPasswordForm
    template_name = "core/password_set.html"
    reset_url_token = "nova-senha"
    success_url = reverse_lazy("core:password_reset_complete")
    via = "password_reset"

    def form_valid(self, form: Any) -> HttpResponse:
        with rls_bypass():  # as for the reset request: audited in each of the user's clinics
            account_password_set(
                user=form.user,
                password=form.cleaned_data["new_password1"],
                via=self.via,  # type: ignore[arg-type]
                ip=client_ip(self.request),
            )
        del self.request.session[auth_views.INTERNAL_RESET_SESSION_TOKEN]
        return HttpResponseRedirect(self.get_success_url())

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(via=self.via, **kwargs)

    def render_to_response(self, context: dict[str, Any], **kwargs: Any) -> HttpResponse:
        form = context.get("form")
        if not context.get("validlink") or (form is not None and form.errors):
            kwargs.setdefault("status", 400)  # a bad link or a refused password changes nothing
        return super().render_to_response(context, **kwargs)


class InviteAcceptView(PasswordSetView):
    token_generator = invite_token_generator
    success_url = reverse_lazy("core:invite_complete")
    via = "invite"


class PasswordSetDoneView(auth_views.PasswordResetCompleteView):
    template_name = "core/password_set_done.html"
    via = "password_reset"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(via=self.via, **kwargs)


class InviteDoneView(PasswordSetDoneView):
    via = "invite"
