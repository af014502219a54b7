from django import template

from clinicrm.core.templatetags.money import brl, brl_cents, brl_per
from clinicrm.people.documents import cpf_cnpj_format

register = template.Library()
register.filter("brl", brl)
register.filter("brl_cents", brl_cents)
register.filter("brl_per", brl_per)


@register.filter
def cpf_cnpj(value: str | None) -> str:
    return cpf_cnpj_format(value)


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
