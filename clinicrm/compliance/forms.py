"""The audit page's filter form (clinic and staff variants) and its cursor."""

import uuid
from typing import Any, cast

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from clinicrm.compliance.actions import OBJECT_TYPES, action_choices
from clinicrm.compliance.selectors import (
    AuditFilters,
    Cursor,
    audit_tenant_choices,
    audit_user_choices,
)
from clinicrm.core.models import Tenant, User

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class FastSelect(forms.Select):
    """A select whose options are written here instead of one template render each: the
    action filter has about a hundred options, and rendering them took a fifth of the audit
    page's time on a loaded server. Same markup as Django's (option groups, selected)."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        parts: list[str] = [
            format_html('<select name="{}"{}>', widget["name"], flatatt(widget["attrs"]))
        ]
        for group, options, _index in widget["optgroups"]:
            if group:
                parts.append(format_html('<optgroup label="{}">', group))
            parts.extend(
                format_html(
                    '<option value="{}"{}>{}</option>',
                    option["value"],
                    flatatt(option["attrs"]),
                    option["label"],
                )
                for option in options
            )
            if group:
                parts.append("</optgroup>")
        parts.append("</select>")
        return mark_safe("".join(parts))  # noqa: S308  # every piece escaped by format_html


class AuditFilterForm(forms.Form):
    """`tenant` given: the clinic's page (user chosen among its members). `tenant=None`: the
    SaaS staff page (a clinic select, the user by e-mail)."""

    tenant_id = forms.TypedChoiceField(
        label="Clínica", required=False, coerce=uuid.UUID, widget=FastSelect
    )
    user = forms.ChoiceField(label="Usuário", required=False, widget=FastSelect)
    user_email = forms.EmailField(label="E-mail do usuário", required=False)
    action = forms.ChoiceField(
        label="Ação", required=False, choices=action_choices(), widget=FastSelect
    )
    object_type = forms.ChoiceField(
        label="Objeto",
        required=False,
        widget=FastSelect,
        choices=[("", "Todos"), *sorted(OBJECT_TYPES.items(), key=lambda kv: kv[1])],
    )
    object_id = forms.CharField(label="ID do objeto", required=False, max_length=64)
    date_from = forms.DateField(label="De", required=False, widget=DATE)
    date_to = forms.DateField(label="Até", required=False, widget=DATE)
    cursor = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, tenant: Tenant | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        if tenant is not None:
            del self.fields["tenant_id"], self.fields["user_email"]
            cast(forms.ChoiceField, self.fields["user"]).choices = audit_user_choices(tenant=tenant)
        else:
            del self.fields["user"]
            cast(forms.ChoiceField, self.fields["tenant_id"]).choices = audit_tenant_choices()

    def clean_user_email(self) -> str:
        email = (self.cleaned_data.get("user_email") or "").strip().lower()
        if email and not User.objects.filter(email=email).exists():
            raise forms.ValidationError("Nenhum usuário com este e-mail.")
        return email

    def clean_cursor(self) -> Cursor | None:
        value = self.cleaned_data.get("cursor") or ""
        if not value:
            return None
        try:
            return Cursor.decode(value)
        except (ValueError, OverflowError) as exc:
            raise forms.ValidationError("Página inválida: volte à primeira página.") from exc

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "A data final deve ser igual ou posterior à inicial.")
        return data

    def filters(self) -> AuditFilters:
        if not self.is_bound:
            return AuditFilters()
        data = self.cleaned_data
        user = data.get("user") or ""
        if self.tenant is None and data.get("user_email"):
            user = str(User.objects.get(email=data["user_email"]).pk)
        return AuditFilters(
            tenant_id=data.get("tenant_id") or None,
            user=user,
            action=data.get("action") or "",
            object_type=data.get("object_type") or "",
            object_id=(data.get("object_id") or "").strip(),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )

    def page_cursor(self) -> Cursor | None:
        return self.cleaned_data.get("cursor") if self.is_bound else None
