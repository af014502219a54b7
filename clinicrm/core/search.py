"""Accent- and case-insensitive search, the same on SQLite and PostgreSQL.

Design: every searchable row keeps a normalised copy of its searchable text in a `search_text`
column (`SearchTextField`), computed in Python by `search_normalize` whenever the row is saved,
and a query is normalised by the very same function. So "joao araujo" finds "João Araújo Dias"
on both engines with identical results, and nothing depends on a database extension being
installable: PostgreSQL's `unaccent` has its own rules (they differ from Unicode decomposition
on ligatures and some letters) and would need an immutable wrapper per database, SQLite has no
equivalent at all. On PostgreSQL a trigram GIN index on (tenant_id, search_text) serves the
`LIKE '%term%'` filters (`trigram_index_create`, used by the migrations); when pg_trgm cannot be
created the same queries still answer, by scanning.

A query is split into words and each word must appear (AND): "joao dias" finds "João Araújo
Dias". A word with 3 letters or digits in a row is matched anywhere ("raujo"); a shorter one
("jo", "é") only at the start of a word ("João", not "Bejo"): a trigram index can serve both,
while a two-letter substring could only be found by reading every row. Django's `contains` and
`startswith` lookups escape `%`, `_` and `\\`, so every character is literal.
"""

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

MAX_TERMS = 8
MAX_QUERY_LENGTH = 100
# A run of 3 letters or digits: what a trigram index can look up.
_INDEXABLE = re.compile(r"[^\W_]{3}")
# Digits and the punctuation people type in phone numbers and CPFs.
DIGITS_QUERY = re.compile(r"^[\d\s().+/\-]+$")


@functools.lru_cache(maxsize=8192)
def _fold_char(ch: str) -> str:
    """One character folded: lowercase, decomposed, without combining marks; control and
    format characters (NUL, zero-width joiners, ...) become nothing and whitespace a space."""
    if ch.isspace():
        return " "
    category = unicodedata.category(ch)
    if category[0] in "CM":
        return ""
    decomposed = unicodedata.normalize("NFKD", ch.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# ASCII control characters that are not whitespace: what `_fold_char` drops in ASCII text.
_ASCII_DROP = {c: None for c in range(128) if _fold_char(chr(c)) == ""}


def search_normalize(text: str) -> str:
    """The form of a text that searches compare: lowercase, no accents, single spaces.

    "  JOÃO  Araújo " -> "joao araujo"; "ç" -> "c"; a letter followed by combining marks loses
    the marks; control characters (which PostgreSQL refuses in text) disappear.
    """
    if text.isascii():  # the common case, without the per-character walk
        return " ".join(text.translate(_ASCII_DROP).lower().split())
    return " ".join("".join(map(_fold_char, text)).split())


def search_text_of(*values: Any) -> str:
    """The `search_text` of a row whose searchable columns hold `values` (blanks skipped)."""
    return search_normalize(" ".join(str(v) for v in values if v))


def search_terms(query: str) -> list[str]:
    """The distinct normalised words of `query`, at most MAX_TERMS of them, in order."""
    terms: list[str] = []
    for word in search_normalize(query[: MAX_QUERY_LENGTH * 2]).split():
        if word not in terms:
            terms.append(word)
    return terms[:MAX_TERMS]


def search_term_indexable(term: str) -> bool:
    """Whether `term` (folded) has 3 letters or digits in a row, so a substring match on it can
    be served by a trigram index."""
    return _INDEXABLE.search(term) is not None


def search_q(terms: Sequence[str], *, field: str = "search_text") -> Q:
    """Rows whose `field` (a folded column) contains every term, each as a literal: anywhere
    for an indexable term, at the start of a word for a shorter one."""
    condition = Q()
    for term in terms:
        if search_term_indexable(term):
            condition &= Q(**{f"{field}__contains": term})
        else:
            condition &= Q(**{f"{field}__startswith": term}) | Q(
                **{f"{field}__contains": f" {term}"}
            )
    return condition


def search_digits(query: str) -> str:
    """The digits of a phone/CPF-shaped query ("(11) 98765-4321"), or "" for any other query."""
    if not DIGITS_QUERY.match(query):
        return ""
    return re.sub(r"\D", "", query)


class SearchTextField(models.TextField):
    """A normalised copy of other columns of the row, recomputed on every save.

    `pre_save` runs on `save()`, `create()`, `bulk_create()` and the ingest path's `row_insert`;
    `SearchIndexed.save(update_fields=...)` adds the column whenever one of its sources is in
    the list. A `QuerySet.update()` of a source column must set it too (`search_text_of`).
    """

    def __init__(self, *args: Any, sources: Sequence[str] = (), **kwargs: Any) -> None:
        self.sources = tuple(sources)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["sources"] = self.sources
        for key, value in (("editable", False), ("blank", True), ("default", "")):
            if kwargs.get(key, value) == value:
                kwargs.pop(key, None)
        return name, path, args, kwargs

    def value_for(self, instance: models.Model) -> str:
        return search_text_of(*(getattr(instance, source) for source in self.sources))

    def pre_save(self, model_instance: models.Model, add: bool) -> str:
        value = self.value_for(model_instance)
        setattr(model_instance, self.attname, value)
        return value


def search_fields_of(model: type[models.Model]) -> list[SearchTextField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, SearchTextField)]


# --- highlighted snippets ------------------------------------------------------------------------


@dataclass(frozen=True)
class Snippet:
    """A short excerpt of a text around the first match; `spans` are the matched
    [start, end) ranges inside `text`."""

    text: str
    spans: tuple[tuple[int, int], ...]

    def html(self) -> SafeString:
        """The excerpt escaped, with each match in <mark>."""
        out: list[str] = []
        last = 0
        for start, end in self.spans:
            out.append(escape(self.text[last:start]))
            out.append(f"<mark>{escape(self.text[start:end])}</mark>")
            last = end
        out.append(escape(self.text[last:]))
        return mark_safe("".join(out))  # noqa: S308 - every piece escaped above


def _folded_with_positions(text: str) -> tuple[str, list[int]]:
    """`text` folded char by char (no whitespace collapsing) and, for each folded character,
    the index of the original character it came from."""
    folded: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        piece = _fold_char(ch)
        folded.append(piece)
        origin.extend([i] * len(piece))
    return "".join(folded), origin


def _match_spans(folded: str, origin: list[int], terms: Iterable[str]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for term in terms:
        start = folded.find(term)
        while start != -1:
            end = start + len(term)
            spans.append((origin[start], origin[end - 1] + 1))
            start = folded.find(term, end)
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def search_snippet(text: str, terms: Sequence[str], *, width: int = 120) -> Snippet:
    """About `width` characters of `text` (whitespace collapsed) around the first match of any
    of `terms` (normalised words), with every match marked."""
    text = " ".join(text.split())
    folded, origin = _folded_with_positions(text)
    spans = _match_spans(folded, origin, terms)
    first = spans[0][0] if spans else 0
    start = max(0, first - width // 3)
    if start:
        # Start at a word boundary when one is near.
        space = text.find(" ", start, first)
        start = space + 1 if space != -1 else start
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", max(first + 1, end - 20), end)
        end = space if space != -1 else end
    prefix = "…" if start else ""
    suffix = "…" if end < len(text) else ""
    shift = len(prefix) - start
    inside = [
        (max(s, start) + shift, min(e, end) + shift) for s, e in spans if s < end and e > start
    ]
    return Snippet(text=prefix + text[start:end] + suffix, spans=tuple(inside))
