"""Accent- and case-insensitive people search: lists, the agenda's patient picker, the folded
column kept in step on every write path, literal wildcards, the trigram index on PostgreSQL."""

import uuid

import pytest
from django.db import connection
from django.urls import reverse

from clinicrm.agenda.selectors import patient_suggestions
from clinicrm.core.search_index import search_backfill, trigram_index_create
from clinicrm.core.tests.db_plans import captured_sql, query_plan
from clinicrm.people import services
from clinicrm.people.models import Patient, Professional
from clinicrm.people.selectors import ListFilters, patient_list, professional_list

pytestmark = pytest.mark.django_db


def names(qs) -> list[str]:
    return [p.full_name for p in qs]


def find(tenant, query: str, status: str = "active") -> list[str]:
    return names(patient_list(tenant=tenant, filters=ListFilters(query=query, status=status)))


@pytest.fixture
def people(tenant, other_tenant):
    for name in (
        "João Araújo Dias",
        "Joana Prado",
        "Conceição Gonçalves",
        "Ana_Maria Souza",
        "AnaXMaria Lopes",
        "Cem 100% Certo",
        "Barra \\ Invertida",
    ):
        services.patient_create(tenant=tenant, actor=None, full_name=name)
    services.patient_create(tenant=tenant, actor=None, full_name="Jose Heloisa Sem Acento")
    services.patient_create(
        tenant=tenant, actor=None, full_name="Maria Silva", social_name="Márcia Conceição"
    )
    # Another clinic's João never shows up.
    services.patient_create(tenant=other_tenant, actor=None, full_name="João Araújo Outro")


@pytest.mark.parametrize(
    "query",
    ["araujo", "joao", "JOAO", "Araújo", "joão araújo", "joao dias", "DIAS JOAO", "raúj", " joao "],
)
def test_patient_list_finds_accented_names_typed_any_way(people, tenant, query):
    assert find(tenant, query) == ["João Araújo Dias"]


@pytest.mark.parametrize("query", ["José", "HELOÍSA", "josé heloísa"])
def test_accented_query_finds_names_stored_without_accents(people, tenant, query):
    assert find(tenant, query) == ["Jose Heloisa Sem Acento"]


def test_short_words_match_the_start_of_a_word(people, tenant):
    found = set(find(tenant, "jo"))
    assert found == {"Joana Prado", "João Araújo Dias", "Jose Heloisa Sem Acento"}
    assert find(tenant, "JÓ DI") == ["João Araújo Dias"]
    assert find(tenant, "ia") == []  # inside "Dias", "Maria": not a word start
    assert find(tenant, "so") == ["Ana_Maria Souza"]


def test_social_name_is_searched_too(people, tenant):
    assert find(tenant, "marcia") == ["Maria Silva"]
    assert find(tenant, "conceicao") == ["Conceição Gonçalves", "Maria Silva"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ana_maria", ["Ana_Maria Souza"]),  # `_` is not "any character"
        ("_maria", ["Ana_Maria Souza"]),
        ("_", []),  # too short for a substring: only at the start of a word
        ("%", []),  # `%` is not "anything"
        ("100%", ["Cem 100% Certo"]),
        ("\\", ["Barra \\ Invertida"]),
        ("a%a", []),
        ("[a-z]*", []),
        (".*", []),
        ("' OR 1=1 --", []),
        ("'; DROP TABLE patients; --", []),
        ("\u200b", []),  # folds to nothing: no match rather than everything
    ],
)
def test_wildcards_regex_and_sql_are_literal(people, tenant, query, expected):
    assert find(tenant, query) == expected
    assert Patient.objects.filter(tenant=tenant).count() == 9


def test_professionals_by_name_specialty_and_registration_without_accents(tenant, other_tenant):
    for name, specialty, council in (
        ("Dra. Helena Conceição", "Psicóloga", "CRP 06/12345"),
        ("Dr. Ígor Lima", "Fonoaudiólogo", "CRFa 2-9999"),
    ):
        services.professional_create(
            tenant=tenant,
            actor=None,
            full_name=name,
            specialty=specialty,
            council_registration=council,
        )
    services.professional_create(tenant=other_tenant, actor=None, full_name="Dra. Helena Outra")

    def found(query: str) -> list[str]:
        return names(professional_list(tenant=tenant, filters=ListFilters(query=query)))

    assert found("helena conceicao") == ["Dra. Helena Conceição"]
    assert found("PSICOLOGA") == ["Dra. Helena Conceição"]
    assert found("igor") == ["Dr. Ígor Lima"]
    assert found("fonoaudiologo lima") == ["Dr. Ígor Lima"]
    assert found("crp 06/12") == ["Dra. Helena Conceição"]
    assert found("%") == []


def test_updates_through_services_refresh_the_search_text(tenant):
    patient = services.patient_create(tenant=tenant, actor=None, full_name="Ana Souza")
    # The service saves with update_fields naming only the changed columns.
    services.patient_update(patient=patient, actor=None, data={"full_name": "Ana Araújo"})
    assert find(tenant, "araujo") == ["Ana Araújo"]
    assert find(tenant, "souza") == []
    services.patient_update(patient=patient, actor=None, data={"social_name": "Aninha Gonçalves"})
    assert find(tenant, "goncalves") == ["Ana Araújo"]
    patient.refresh_from_db()
    assert patient.search_text == "ana araujo aninha goncalves"

    prof = services.professional_create(tenant=tenant, actor=None, full_name="Bia")
    services.professional_update(
        professional=prof, actor=None, data={"specialty": "Terapêutica Ocupacional"}
    )
    prof.refresh_from_db()
    assert prof.search_text == "bia terapeutica ocupacional"


def test_backfill_fills_rows_written_before_the_column_existed(tenant):
    services.patient_create(tenant=tenant, actor=None, full_name="Heloísa Brandão")
    services.professional_create(tenant=tenant, actor=None, full_name="Dr. Óscar", specialty="Psi")
    Patient.objects.update(search_text="")
    Professional.objects.update(search_text="")
    assert search_backfill(connection, Patient, batch=1) == 1
    assert search_backfill(connection, Professional) == 1
    assert Patient.objects.get().search_text == "heloisa brandao"
    assert Professional.objects.get().search_text == "dr. oscar psi"


def test_patient_page_search_finds_accented_name(owner_client, people):
    response = owner_client.get(reverse("people:patient_list"), {"q": "JOAO araujo"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "João Araújo Dias" in body and "Joana Prado" not in body
    assert "João Araújo Outro" not in body


@pytest.mark.parametrize("query", ["%", "_", "\x00", "' OR 1=1 --", "(?i).*", "a" * 500])
def test_hostile_queries_answer_a_clean_page(owner_client, people, query):
    response = owner_client.get(reverse("people:patient_list"), {"q": query})
    assert response.status_code == 200
    assert "João Araújo Dias" not in response.content.decode()


def test_agenda_picker_uses_the_same_search(people, tenant):
    assert names(patient_suggestions(tenant=tenant, query="araujo")) == ["João Araújo Dias"]
    assert names(patient_suggestions(tenant=tenant, query="JOÃO")) == ["João Araújo Dias"]
    assert names(patient_suggestions(tenant=tenant, query="100%")) == ["Cem 100% Certo"]
    assert patient_suggestions(tenant=tenant, query="j") == []


def test_agenda_picker_view_suggests_unaccented_typing(owner_client, people):
    response = owner_client.get(
        reverse("agenda:patient_search"), {"q": "joao"}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert "João Araújo Dias" in body and "Outro" not in body


def test_patient_search_plan_uses_the_trigram_index(people, tenant):
    sql = captured_sql(lambda: list(patient_list(tenant=tenant, filters=ListFilters(query="joao"))))
    plan = query_plan(sql, table="patients", keep="patients_search_trgm_idx")
    if connection.vendor == "postgresql":
        assert "patients_search_trgm_idx" in plan, plan
        assert "search_text ~~ '%joao%'" in plan, plan
    else:
        # SQLite has no trigram index: the scan is bounded to the tenant by an index.
        assert "USING INDEX patients_tenant" in plan, plan


def test_without_the_extension_privilege_no_index_and_search_still_works(people, tenant):
    if connection.vendor != "postgresql":
        pytest.skip("trigram extensions exist only on PostgreSQL")
    role = f"search_noext_{uuid.uuid4().hex[:12]}"
    with connection.cursor() as cursor:
        # Inside the test's transaction (rolled back): no extension, and a role that may not
        # create one, as on a managed database without the privilege.
        cursor.execute("DROP EXTENSION btree_gin CASCADE")
        cursor.execute(f"CREATE ROLE {role} NOLOGIN")
        cursor.execute(f"SET LOCAL ROLE {role}")
        with connection.schema_editor(atomic=False) as editor:
            created = trigram_index_create(editor, table="patients", name="patients_probe_idx")
        cursor.execute("RESET ROLE")
        cursor.execute("SELECT to_regclass('patients_search_trgm_idx')")
        assert cursor.fetchone() == (None,)
    assert created is False
    assert find(tenant, "araujo") == ["João Araújo Dias"]
