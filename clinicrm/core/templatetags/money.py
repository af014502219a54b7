"""Money in templates: `{{ value|brl }}` (reais), `{{ cents|brl_cents }}`,
`{{ price|brl_per:units }}` (the price of one unit of a package)."""

from decimal import Decimal

from django import template

from clinicrm.core.money import brl_format, brl_per_unit

register = template.Library()


@register.filter
def brl(value: Decimal | int | None) -> str:
    return brl_format(value)


@register.filter
def brl_cents(value: int | None) -> str:
    return brl_format(value, cents=True)


@register.filter
def brl_per(value: Decimal | int | None, units: int | None) -> str:
    return brl_per_unit(value, units)
