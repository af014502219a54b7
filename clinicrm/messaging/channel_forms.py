"""What the WhatsApp channel forms share (each provider's forms live in
integrations/<provider>/forms.py): shape and required fields only; the services validate formats,
talk to the providers and raise ApplicationError(field=...), which the views attach."""

from clinicrm.core.errors import ApplicationError


class ServiceErrorsMixin:
    """Put a service's ApplicationError on the field it names (or on the form)."""

    def add_service_error(self, error: ApplicationError) -> None:
        field = error.field if error.field in self.fields else None  # type: ignore[attr-defined]
        self.add_error(field, error.message)  # type: ignore[attr-defined]
