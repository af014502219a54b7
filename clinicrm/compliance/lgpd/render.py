"""An LGPD export's files: JSON, a zip of one CSV per kind, and a readable HTML report."""

import csv
import datetime as dt
import io
import json
import zipfile
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.template.loader import render_to_string

from clinicrm.compliance.lgpd.collect import KINDS
from clinicrm.core.timeutils import SAO_PAULO

Data = dict[str, list[dict[str, Any]]]


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(SAO_PAULO).isoformat()
    if isinstance(value, (dt.date, dt.time, UUID, Decimal)):
        return str(value)
    return value


def export_json(data: Data, meta: dict[str, Any]) -> bytes:
    payload = {"exportacao": meta, **data}
    return json.dumps(payload, default=_plain, ensure_ascii=False, indent=2).encode()


def _csv(rows: list[dict[str, Any]]) -> bytes:
    columns: list[str] = []
    for row in rows:
        columns += [k for k in row if k not in columns]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(columns)
    for row in rows:
        cells = (_plain(row.get(c)) for c in columns)
        writer.writerow(
            json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v for v in cells
        )
    return ("\ufeff" + buffer.getvalue()).encode()


def export_csv_zip(data: Data, meta: dict[str, Any]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("exportacao.json", json.dumps(meta, default=_plain, ensure_ascii=False))
        for kind in KINDS:
            archive.writestr(f"{kind}.csv", _csv(data.get(kind, [])))
    return out.getvalue()


def export_html(data: Data, meta: dict[str, Any]) -> bytes:
    sections = []
    for kind, title in KINDS.items():
        rows = data.get(kind, [])
        columns: list[str] = []
        for row in rows:
            columns += [k for k in row if k not in columns]
        table = [[_plain(row.get(c)) for c in columns] for row in rows]
        sections.append({"title": title, "columns": columns, "rows": table})
    html = render_to_string("compliance/lgpd_report.html", {"meta": meta, "sections": sections})
    return html.encode()


RENDERERS = {"json": export_json, "csv": export_csv_zip, "html": export_html}
EXTENSIONS = {"json": "json", "csv": "zip", "html": "html"}
CONTENT_TYPES = {"json": "application/json", "csv": "application/zip", "html": "text/html"}
