"""The global search: grouped, accent- and case-insensitive, one tenant, roles, bad input, the
fragment and page of /busca/, the JSON API, and nothing of the query in the logs."""

import logging

import pytest
from django.test import Client
from django.urls import reverse

from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import Role
from clinicrm.search.selectors import search_global, search_query_clean

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def titles(results, key: str) -> list[str]:
    return [item.title for item in results.group(key)]


def test_unaccented_lowercase_query_finds_every_group(clinic, other_clinic, tenant):
    results = search_global(tenant=tenant, role=Role.OWNER, query="joao")
    assert [g.key for g in results.groups] == ["patients", "professionals", "threads", "messages"]
    assert titles(results, "patients") == ["João Araújo Dias", "João Arquivado"]
    assert results.group("patients")[1].subtitle.endswith("arquivado")
    assert "+55 (11) 97654-0132" in results.group("patients")[0].subtitle
    assert titles(results, "professionals") == ["Dr. João Sérgio"]
    # Conversations by name (João's by the linked patient); Bia's only wrote "JOÃO": a message.
    assert titles(results, "threads") == ["João Araújo Dias"]
    messages = results.group("messages")
    assert [m.title for m in messages] == ["Bia", "João Araújo Dias"]
    snippet = messages[0].snippet
    assert snippet is not None and "<mark>JOÃO</mark>" in snippet.html()
    assert messages[0].url.endswith(f"#msg-{messages[0].id}")
    assert f"/conversas/{clinic.bia_thread.pk}/" in messages[0].url
    assert clinic.bia_thread.thread_key not in messages[0].url


@pytest.mark.parametrize("query", ["JOÃO ARAÚJO", "araujo dias", "Araujo", "JOAO araújo"])
def test_any_spelling_finds_the_patient(clinic, tenant, query):
    results = search_global(tenant=tenant, role=Role.SECRETARY, query=query)
    assert titles(results, "patients") == ["João Araújo Dias"]


def test_digits_find_the_patient_and_the_thread_by_phone(clinic, tenant):
    results = search_global(tenant=tenant, role=Role.OWNER, query="(11) 97654-0132")
    assert titles(results, "patients") == ["João Araújo Dias"]
    assert titles(results, "threads") == ["João Araújo Dias"]


def test_another_tenants_rows_never_appear(clinic, other_clinic, tenant, other_tenant):
    for query in ("joao", "outro", "sessao", "bia", "97654"):
        results = search_global(tenant=tenant, role=Role.OWNER, query=query)
        for group in results.groups:
            for item in group.items:
                assert "Outro" not in item.title, (query, group.key, item)
        ids = {item.id for item in results.group("threads")}
        assert ids <= {clinic.joao_thread.pk, clinic.bia_thread.pk}
    theirs = search_global(tenant=other_tenant, role=Role.OWNER, query="joao araujo")
    assert titles(theirs, "patients") == ["João Araújo Dias Outro"]


def test_professionals_only_for_roles_that_manage_them(clinic, tenant):
    results = search_global(tenant=tenant, role=Role.PROFESSIONAL, query="joao")
    assert [g.key for g in results.groups] == ["patients", "threads", "messages"]
    assert results.group("professionals") == []


@pytest.mark.parametrize("query", ["%", "__", "' OR 1=1 --", "[a-z]+", ".*", "\\\\"])
def test_wildcards_and_sql_are_literal(clinic, tenant, query):
    results = search_global(tenant=tenant, role=Role.OWNER, query=query)
    assert results.is_empty


def test_literal_percent_finds_the_message_that_has_it(clinic, tenant):
    results = search_global(tenant=tenant, role=Role.OWNER, query="100%")
    assert titles(results, "messages") == ["Bia"]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "pelo menos 2"),
        ("a", "pelo menos 2"),
        ("  é ", "pelo menos 2"),
        ("\u200b\u200bx", "pelo menos 2"),
        ("x" * 101, "no máximo 100"),
    ],
)
def test_query_too_short_or_too_long_is_refused(raw, message):
    with pytest.raises(ApplicationError) as excinfo:
        search_query_clean(raw)
    assert message in excinfo.value.message
    assert excinfo.value.field == "q"


def test_query_is_collapsed():
    assert search_query_clean("  João   Araújo ") == "João Araújo"
    assert search_query_clean("x" * 100) == "x" * 100


def test_search_runs_a_fixed_number_of_queries(clinic, tenant, django_assert_max_num_queries):
    with django_assert_max_num_queries(7):
        search_global(tenant=tenant, role=Role.OWNER, query="joao")


# --- /busca/ -------------------------------------------------------------------------------------


def test_fragment_groups_results_in_order_and_escapes_everything(owner_client, clinic):
    response = owner_client.get(reverse("search:global"), {"q": "joao"}, **HX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    order = [html.index(f'id="gsearch-g-{key}"') for key in ("patients", "professionals")]
    order += [html.index(f'id="gsearch-g-{key}"') for key in ("threads", "messages")]
    assert order == sorted(order)
    assert html.count('role="option"') == 6
    assert reverse("people:patient_detail", kwargs={"patient_id": clinic.joao.pk}) in html
    # The message's own markup is text; only our <mark> is markup.
    assert "&lt;b&gt;<mark>JOÃO</mark>&lt;/b&gt;" in html
    assert "<b>" not in html


def test_fragment_empty_state_and_refusals(owner_client, clinic):
    empty = owner_client.get(reverse("search:global"), {"q": "zzzz"}, **HX)
    assert empty.status_code == 200
    assert "Nada encontrado para “zzzz”" in empty.content.decode()
    short = owner_client.get(reverse("search:global"), {"q": "j"}, **HX)
    assert short.status_code == 400
    assert "Digite pelo menos 2" in short.content.decode()
    long = owner_client.get(reverse("search:global"), {"q": "j" * 150}, **HX)
    assert long.status_code == 400
    assert "no máximo 100" in long.content.decode()


@pytest.mark.parametrize("query", ["<script>alert(1)</script>", "\x00joao", "%_%", "' OR 1=1"])
def test_hostile_queries_answer_cleanly(owner_client, clinic, query):
    response = owner_client.get(reverse("search:global"), {"q": query}, **HX)
    assert response.status_code == 200
    assert "<script>alert" not in response.content.decode()


def test_full_page_without_script_and_its_empty_form(owner_client, clinic):
    page = owner_client.get(reverse("search:global"), {"q": "Araújo"})
    html = page.content.decode()
    assert page.status_code == 200 and "<html" in html
    assert "João Araújo Dias" in html and 'value="Araújo"' in html
    blank = owner_client.get(reverse("search:global"))
    assert blank.status_code == 200
    assert "Digite o que procura" in blank.content.decode()


def test_layout_has_the_search_box_as_a_module_without_inline_script(owner_client, clinic):
    html = owner_client.get(reverse("dashboard:home")).content.decode()
    assert "data-global-search" in html and 'id="gsearch-input"' in html
    assert 'type="module" src="/static/search/global_search.js' in html
    assert "<script>" not in html


def test_anonymous_is_sent_to_login(clinic):
    response = Client().get(reverse("search:global"), {"q": "joao"})
    assert response.status_code == 302 and "/entrar/" in response["Location"]


def test_the_query_never_reaches_the_logs(owner_client, clinic, caplog):
    caplog.set_level(logging.DEBUG)
    owner_client.get(reverse("search:global"), {"q": "Araújo-secreto"}, **HX)
    owner_client.get(reverse("search:global"), {"q": "Araújo-secreto" * 10}, **HX)  # a 400
    assert caplog.records  # the 400 was logged...
    assert not any("secreto" in r.getMessage() for r in caplog.records)  # ...without the query
