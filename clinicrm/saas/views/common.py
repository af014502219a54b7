from typing import Any

from django.core.paginator import Page, Paginator
from django.http import HttpRequest

from clinicrm.core.client_ip import client_ip

__all__ = ["TABS", "client_ip", "paginate", "query_string"]

TABS: tuple[tuple[str, str, str], ...] = (
    ("produtos", "Produtos add-on", "saas:addons"),
    ("creditos", "Créditos add-on", "saas:addon_credit_list"),
    ("transacoes", "Transações add-on", "saas:addon_transaction_list"),
    ("pacotes", "Pacotes WhatsApp", "saas:package_list"),
    ("topup", "Topup WhatsApp", "saas:topup"),
)

PAGE_SIZE = 25


def paginate(request: HttpRequest, qs: Any, per_page: int = PAGE_SIZE) -> Page:
    return Paginator(qs, per_page).get_page(request.GET.get("page"))


def query_string(request: HttpRequest) -> str:
    """The filters of the current list, without `page`, for the pagination partial."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()
