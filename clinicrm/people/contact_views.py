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

from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import TenantModel
from clinicrm.core.services import client_ip
from clinicrm.core.tenancy import tenant_get_or_404, tenant_required
from clinicrm.people import selectors, services
from clinicrm.people.detail import PHONE, editor_context, render_detail
from clinicrm.people.forms import EmailForm, PhoneForm
from clinicrm.people.kinds import Kind


def _entity(request: HttpRequest, kind: Kind, kwargs: dict[str, Any]) -> TenantModel:
    return tenant_get_or_404(
        kind.model,
        tenant=request.tenant,  # type: ignore[attr-defined]
        pk=kwargs[kind.id_kwarg],
    )


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
    return render_detail(request, kind, entity, status=status, editors={contact: ctx})


def _refused(
    request: HttpRequest, kind: Kind, entity: TenantModel, contact: str, exc: ApplicationError
) -> HttpResponse:
    messages.error(request, exc.message)
    return _respond(request, kind, entity, contact, status=400)


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
        try:
            if contact == PHONE:
                services.contact_phone_remove(phone=obj, actor=request.user, ip=client_ip(request))
            else:
                services.contact_email_remove(
                    email_obj=obj, actor=request.user, ip=client_ip(request)
                )
        except ApplicationError as exc:  # a frozen record (erased patient)
            return _refused(request, kind, entity, contact, exc)
        return _respond(request, kind, entity, contact)

    @tenant_required(roles=kind.roles)
    def primary(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        entity = _entity(request, kind, kwargs)
        obj = _obj(entity, kwargs)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        ip = client_ip(request)
        try:
            if contact == PHONE:
                services.contact_phone_set_primary(phone=obj, actor=request.user, ip=ip)
            else:
                services.contact_email_set_primary(email_obj=obj, actor=request.user, ip=ip)
        except ApplicationError as exc:  # a frozen record (erased patient)
            return _refused(request, kind, entity, contact, exc)
        return _respond(request, kind, entity, contact)

    return {"": editor, "edit": edit, "remove": remove, "primary": primary}
