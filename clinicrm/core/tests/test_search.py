"""The one normalisation every search compares with, the query words and the snippets."""

import pytest
from django.db.models import Q

from clinicrm.core.search import (
    MAX_TERMS,
    search_digits,
    search_normalize,
    search_q,
    search_snippet,
    search_term_indexable,
    search_terms,
    search_text_of,
)


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("JOÃO", "joao"),
        ("joão", "joao"),
        ("Joao", "joao"),
        ("ARAÚJO", "araujo"),
        ("çã", "ca"),
        ("Ç", "c"),
        ("Conceição", "conceicao"),
        ("Heloísa Gonçalves", "heloisa goncalves"),
        ("ÀÁÂÃÄ àáâãä", "aaaaa aaaaa"),
        ("Ñandú", "nandu"),
        # Combining marks typed apart (decomposed input, as macOS file names and some keyboards
        # produce) fold like the precomposed letters.
        ("Joa\u0303o Arau\u0301jo", "joao araujo"),
        ("a\u0301\u0302\u0303", "a"),
        # A stray combining mark alone disappears.
        ("\u0301x", "x"),
        # Whitespace of every kind collapses to one space; ends trimmed.
        ("  João\t\n  Araújo\u00a0 Dias  ", "joao araujo dias"),
        # Control and zero-width characters (PostgreSQL refuses NUL in text) vanish.
        ("jo\x00ão", "joao"),
        ("ma\u200bria", "maria"),
        # Compatibility forms and full case folding.
        ("ﬁm", "fim"),
        ("Straße", "strasse"),
        ("ＪＯＡＯ", "joao"),
        # Already folded text and symbols are left as they are.
        ("joao araujo", "joao araujo"),
        ("100% _certo_ [a-z]* ' OR 1=1 --", "100% _certo_ [a-z]* ' or 1=1 --"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_search_normalize(raw: str, folded: str) -> None:
    assert search_normalize(raw) == folded


def test_normalize_is_idempotent_and_ascii_fast_path_agrees() -> None:
    samples = ["JOÃO Araújo", "A\x01B\x7fC", "x\x1fy", "Tab\tand\x0bvt"]
    for text in samples:
        once = search_normalize(text)
        assert search_normalize(once) == once
    # The ASCII shortcut and the per-character walk give the same result.
    assert search_normalize("A\x01B\x7fC") == "abc"
    assert search_normalize("A\x01B\x7fCé") == "abcé".replace("é", "e")


def test_search_text_of_joins_the_non_blank_columns() -> None:
    assert search_text_of("João Araújo", "", None, "Jô") == "joao araujo jo"
    assert search_text_of("", None) == ""


def test_search_terms_are_distinct_folded_words_capped() -> None:
    assert search_terms("  JOÃO  joao Araújo ") == ["joao", "araujo"]
    assert search_terms("\u200b") == []
    assert len(search_terms(" ".join(f"w{i}" for i in range(30)))) == MAX_TERMS


def test_search_q_requires_every_word_substrings_or_word_starts() -> None:
    condition = search_q(["joao", "dias"])
    assert condition == Q(search_text__contains="joao") & Q(search_text__contains="dias")
    # Under 3 letters or digits in a row: the start of a word (index-friendly).
    short = Q(patient__search_text__startswith="jo") | Q(patient__search_text__contains=" jo")
    assert search_q(["jo"], field="patient__search_text") == short
    assert search_q(["1/2"]) == Q(search_text__startswith="1/2") | Q(search_text__contains=" 1/2")


@pytest.mark.parametrize(
    ("term", "indexable"),
    [("joao", True), ("abc", True), ("a1b", True), ("100%", True), ("jo", False),
     ("a_b_c", False), ("%_%", False), ("1/2", False), ("ção", True)],
)  # fmt: skip
def test_search_term_indexable(term: str, indexable: bool) -> None:
    assert search_term_indexable(search_normalize(term)) is indexable


@pytest.mark.parametrize(
    ("query", "digits"),
    [("(11) 98765-4321", "11987654321"), ("+55 11 9876", "55119876"), ("joao 123", "")],
)
def test_search_digits(query: str, digits: str) -> None:
    assert search_digits(query) == digits


def test_snippet_marks_accented_matches_of_unaccented_words() -> None:
    text = "Bom dia! A consulta do JOÃO Araújo ficou para amanhã às 15h, tudo bem?"
    snippet = search_snippet(text, search_terms("joao araujo"))
    marked = [snippet.text[s:e] for s, e in snippet.spans]
    assert marked == ["JOÃO", "Araújo"]
    assert str(snippet.html()).count("<mark>") == 2
    assert "<mark>JOÃO</mark> <mark>Araújo</mark>" in snippet.html()


def test_snippet_escapes_everything_and_windows_long_texts() -> None:
    text = "<script>alert(1)</script> " + "palavra " * 40 + "a <b>reunião</b> & fim " + "x " * 80
    snippet = search_snippet(text, ["reuniao"], width=60)
    html = str(snippet.html())
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;b&gt;<mark>reunião</mark>&lt;/b&gt; &amp;" in html
    assert snippet.text.startswith("…") and snippet.text.endswith("…")
    assert len(snippet.text) <= 62


def test_snippet_without_match_is_the_start_of_the_text() -> None:
    snippet = search_snippet("Olá, tudo bem?", ["zzz"])
    assert snippet.text == "Olá, tudo bem?"
    assert snippet.spans == ()
