"""Phone and e-mail editors (htmx fragments) shared by patients and professionals.

Every action answers the whole editor fragment (`#phones-editor` / `#emails-editor`), so the
list, the primary pill and the add form always agree. Rows are scoped by tenant AND by the
owning entity: a phone of another patient answers 404 under this patient's URL. Without htmx
the same URLs fall back to the detail page (redirect after success, 400 page on errors).
"""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse

from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import TenantModel
from clinicrm.core.services import client_ip
from clinicrm.core.tenancy import tenant_get_or_404, tenant_required
from clinicrm.people import selectors, services
from clinicrm.people.forms import EmailForm, PhoneForm
from clinicrm.people.kinds import Kind
from clinicrm.people.phones import phone_format_display

PHONE, EMAIL = "phone", "email"


def _entity(request: HttpRequest, kind: Kind, kwargs: dict[str, Any]) -> TenantModel:
    return tenant_get_or_404(
        kind.model,
        tenant=request.tenant,  # type: ignore[attr-defined]
        pk=kwargs[kind.id_kwarg],
    )


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
        "add_form": add_form or form_cls(tenant_id=tenant_id, prefix=f"new-{contact}"),
    }


def _template(contact: str) -> str:
    return f"people/contacts/{contact}_editor.html"


def _respond(
    request: HttpRequest,
    kind: Kind,
    entity: TenantModel,
    contact: str,
    status: int = 200,
    **ctx: Any,
) -> HttpResponse:
    if request.htmx:  # type: ignore[attr-defined]
        context = editor_context(kind=kind, entity=entity, contact=contact, **ctx)
        return render(request, _template(contact), context, status=status)
    if status == 200 and request.method == "POST":
        return redirect(kind.url_name("detail"), **{kind.id_kwarg: entity.pk})
    from clinicrm.people.views import render_detail  # the detail page embeds the editors

    return render_detail(request, kind, entity, status=status, editors={contact: ctx})


def _save_error(form: Any, exc: ApplicationError) -> None:
    form.add_service_error(exc)


def make_contact_views(kind: Kind, contact: str) -> dict[str, Callable[..., HttpResponse]]:
    """Build the four views of one (entity kind, contact kind) pair."""
    form_cls: Any = PhoneForm if contact == PHONE else EmailForm
    get_one = selectors.entity_phone_get if contact == PHONE else selectors.entity_email_get

    def _obj(entity: TenantModel, kwargs: dict[str, Any]) -> Any:
        obj = get_one(entity=entity, **{f"{contact}_id": kwargs[f"{contact}_id"]})
        if obj is None:
            raise Http404("Não encontrado.")
        return obj

    def _save(request: HttpRequest, entity: TenantModel, form: Any, obj: Any = None) -> None:
        data, actor, ip = form.cleaned_data, request.user, client_ip(request)
        if contact == PHONE and obj is None:
            services.contact_phone_add(
                entity=entity,
                actor=actor,
                number=data["number"],
                contact_type=data["contact_type"],
                whatsapp_linked=data["whatsapp_linked"],
                ip=ip,
            )
        elif contact == PHONE:
            services.contact_phone_update(
                phone=obj,
                actor=actor,
                number=data["number"],
                contact_type=data["contact_type"],
                whatsapp_linked=data["whatsapp_linked"],
                ip=ip,
            )
        elif obj is None:
            services.contact_email_add(
                entity=entity,
                actor=actor,
                email=data["email"],
                email_type=data["email_type"],
                ip=ip,
            )
        else:
            services.contact_email_update(
                email_obj=obj,
                actor=actor,
                email=data["email"],
                email_type=data["email_type"],
                ip=ip,
            )

    @tenant_required(roles=kind.roles)
    def editor(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        """GET: the editor fragment. POST: add a contact."""
        entity = _entity(request, kind, kwargs)
        if request.method == "GET":
            return _respond(request, kind, entity, contact)
        if request.method != "POST":
            return HttpResponseNotAllowed(["GET", "POST"])
        form = form_cls(request.POST, tenant_id=entity.tenant_id, prefix=f"new-{contact}")
        if form.is_valid():
            try:
                _save(request, entity, form)
            except ApplicationError as exc:
                _save_error(form, exc)
            else:
                if not request.htmx:  # type: ignore[attr-defined]
                    messages.success(request, "Contato adicionado.")
                return _respond(request, kind, entity, contact)
        return _respond(request, kind, entity, contact, status=400, add_form=form)

    @tenant_required(roles=kind.roles)
    def edit(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        entity = _entity(request, kind, kwargs)
        obj = _obj(entity, kwargs)
        if request.method == "GET":
            return _respond(request, kind, entity, contact, mode="edit", row_id=obj.pk)
        if request.method != "POST":
            return HttpResponseNotAllowed(["GET", "POST"])
        form = form_cls(request.POST, tenant_id=entity.tenant_id, prefix=f"{contact}-{obj.pk}")
        if form.is_valid():
            try:
                _save(request, entity, form, obj)
            except ApplicationError as exc:
                _save_error(form, exc)
            else:
                return _respond(request, kind, entity, contact)
        return _respond(
            request, kind, entity, contact, status=400, mode="edit", row_id=obj.pk, row_form=form
        )

    @tenant_required(roles=kind.roles)
    def remove(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        """GET: the confirmation step inside the row. POST: remove."""
        entity = _entity(request, kind, kwargs)
        obj = _obj(entity, kwargs)
        if request.method == "GET":
            return _respond(request, kind, entity, contact, mode="confirm", row_id=obj.pk)
        if request.method != "POST":
            return HttpResponseNotAllowed(["GET", "POST"])
        if contact == PHONE:
            services.contact_phone_remove(phone=obj, actor=request.user, ip=client_ip(request))
        else:
            services.contact_email_remove(email_obj=obj, actor=request.user, ip=client_ip(request))
        return _respond(request, kind, entity, contact)

    @tenant_required(roles=kind.roles)
    def primary(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        entity = _entity(request, kind, kwargs)
        obj = _obj(entity, kwargs)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if contact == PHONE:
            services.contact_phone_set_primary(phone=obj, actor=request.user, ip=client_ip(request))
        else:
            services.contact_email_set_primary(
                email_obj=obj, actor=request.user, ip=client_ip(request)
            )
        return _respond(request, kind, entity, contact)

    return {"": editor, "edit": edit, "remove": remove, "primary": primary}
