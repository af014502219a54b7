"""A person's detail page and its contact editors (phones, e-mails), shared by the page views
(`views.py`) and the editors' own endpoints (`contact_views.py`), which both import it."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from clinicrm.core.models import TenantModel
from clinicrm.people import selectors
from clinicrm.people.documents import cpf_cnpj_format
from clinicrm.people.extensions import patient_freeze, patient_tab_render, patient_tabs
from clinicrm.people.forms import EmailForm, PhoneForm
from clinicrm.people.kinds import Kind
from clinicrm.people.models import Patient
from clinicrm.people.phones import phone_format_display

PHONE, EMAIL = "phone", "email"


def _row_urls(kind: Kind, entity: TenantModel, contact: str, obj_id: int) -> dict[str, str]:
    args = {kind.id_kwarg: entity.pk, f"{contact}_id": obj_id}
    return {
        action: reverse(kind.url_name(f"{contact}_{action}"), kwargs=args)
        for action in ("edit", "remove", "primary")
    }


def editor_context(
    *,
    kind: Kind,
    entity: TenantModel,
    contact: str,
    mode: str = "",
    row_id: int | None = None,
    row_form: Any = None,
    add_form: Any = None,
) -> dict[str, Any]:
    """Context of one editor; `mode` ("edit"/"confirm") applies to the row `row_id`."""
    tenant_id = entity.tenant_id
    if contact == PHONE:
        objs: list[Any] = list(selectors.entity_phones(entity=entity))
        form_cls: Any = PhoneForm
    else:
        objs = list(selectors.entity_emails(entity=entity))
        form_cls = EmailForm
    rows = []
    for obj in objs:
        row: dict[str, Any] = {"obj": obj, "urls": _row_urls(kind, entity, contact, obj.pk)}
        if contact == PHONE:
            row["display"], row["type_label"] = (
                phone_format_display(obj.number_e164),
                obj.contact_type,
            )
        else:
            row["display"], row["type_label"] = obj.email, obj.email_type
        row["mode"] = mode if obj.pk == row_id else ""
        if row["mode"] == "edit":
            row["form"] = row_form or form_cls(
                tenant_id=tenant_id,
                prefix=f"{contact}-{obj.pk}",
                initial=(
                    {
                        "number": phone_format_display(obj.number_e164),
                        "contact_type": obj.contact_type_id,
                        "whatsapp_linked": obj.whatsapp_linked,
                    }
                    if contact == PHONE
                    else {"email": obj.email, "email_type": obj.email_type_id}
                ),
            )
        rows.append(row)
    list_url = reverse(kind.url_name(f"{contact}s"), kwargs={kind.id_kwarg: entity.pk})
    return {
        "contact": contact,
        "kind": kind,
        "entity": entity,
        "rows": rows,
        "editor_url": list_url,
        # An erased patient's contacts are read-only: no add form, no row actions.
        "frozen": isinstance(entity, Patient) and patient_freeze(patient=entity) is not None,
        "add_form": add_form or form_cls(tenant_id=tenant_id, prefix=f"new-{contact}"),
    }


def render_detail(
    request: HttpRequest,
    kind: Kind,
    entity: TenantModel,
    *,
    status: int = 200,
    editors: dict[str, dict[str, Any]] | None = None,
) -> HttpResponse:
    """The detail page with both contact editors (`editors` carries a row mode or form errors)."""
    editors = editors or {}
    context = {
        "kind": kind,
        "obj": entity,
        "phone_editor": editor_context(
            kind=kind, entity=entity, contact=PHONE, **editors.get(PHONE, {})
        ),
        "email_editor": editor_context(
            kind=kind, entity=entity, contact=EMAIL, **editors.get(EMAIL, {})
        ),
    }
    template = f"people/{kind.name}_detail.html"
    if isinstance(entity, Patient):
        context["cpf_display"] = cpf_cnpj_format(entity.cpf)
        context["freeze"] = patient_freeze(patient=entity)
        context.update(_patient_tab(request, entity, default=CONTACTS_TAB if editors else ""))
        if request.headers.get("HX-Target") == TAB_PANEL:
            template += "#tab-panel"
    return render(request, template, context, status=status)


DATA_TAB, CONTACTS_TAB = "dados", "contatos"
TAB_PANEL = "patient-tab-panel"


def _patient_tab(request: HttpRequest, patient: Patient, *, default: str) -> dict[str, Any]:
    """The record's tabs: people's own two, then those the apps above register (extensions)."""
    tabs = [(DATA_TAB, "Dados"), (CONTACTS_TAB, "Contatos")]
    tabs += [(t.code, t.label) for t in patient_tabs()]
    chosen = request.GET.get("aba") or default or DATA_TAB
    if chosen not in dict(tabs):
        chosen = DATA_TAB
    panel = None
    if chosen not in (DATA_TAB, CONTACTS_TAB):
        panel = patient_tab_render(request=request, patient=patient, code=chosen)
    return {"tabs": tabs, "tab": chosen, "tab_panel": panel}
