from decimal import Decimal

from django import template

from clinicrm.saas.formatting import brl_format, cpf_cnpj_format

register = template.Library()


@register.filter
def cpf_cnpj(value: str | None) -> str:
    return cpf_cnpj_format(value)


@register.filter
def brl(value: Decimal | int | None) -> str:
    return brl_format(value)


@register.filter
def brl_cents(value: int | None) -> str:
    return brl_format(value, cents=True)


@register.simple_tag(takes_context=True)
def query_with(context: template.Context, **params: object) -> str:
    """The current query string with `params` replaced (drops `page` unless given)."""
    request = context["request"]
    query = request.GET.copy()
    query.pop("page", None)
    for key, value in params.items():
        if value in (None, ""):
            query.pop(key, None)
        else:
            query[key] = str(value)
    return query.urlencode()
