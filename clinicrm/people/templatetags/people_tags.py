from django import template

from clinicrm.people.documents import cpf_cnpj_format
from clinicrm.people.phones import phone_format_display

register = template.Library()


@register.filter
def phone_display(value: str | None) -> str:
    """`+5511988887777` -> `+55 (11) 98888-7777`."""
    return phone_format_display(value or "")


@register.filter
def cpf_cnpj_display(value: str | None) -> str:
    return cpf_cnpj_format(value)
