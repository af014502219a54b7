"""The audit trail as CSV and XLSX files: the page's rows and order, dates in São Paulo time.

The CSV uses `;` (Brazilian spreadsheets) and starts with a BOM so Excel reads the accents.
"""

import csv
import io
from collections.abc import Iterable
from typing import Any

from openpyxl import Workbook

from clinicrm.compliance.actions import action_label, object_type_label
from clinicrm.core.models import AuditLog
from clinicrm.core.timeutils import SAO_PAULO

COLUMNS = (
    "Data",
    "Clínica",
    "Usuário",
    "E-mail",
    "Ação",
    "Código da ação",
    "Objeto",
    "ID do objeto",
    "IP",
    "Detalhes",
    "Registro",
)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _details(row: AuditLog) -> str:
    parts = []
    for key, value in sorted((row.details or {}).items()):
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        parts.append(f"{key}: {value}")
    return "; ".join(parts)


def _values(row: AuditLog) -> list[Any]:
    user = row.user
    return [
        row.created_at.astimezone(SAO_PAULO).replace(tzinfo=None),
        row.tenant.name if row.tenant else "",
        (user.get_full_name() or user.email) if user else "Sistema",
        user.email if user else "",
        action_label(row.action),
        row.action,
        object_type_label(row.object_type) if row.object_type else "",
        row.object_id,
        row.ip_address or "",
        _details(row),
        row.pk,
    ]


def audit_csv(rows: Iterable[AuditLog]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(COLUMNS)
    for row in rows:
        values = _values(row)
        values[0] = values[0].strftime("%d/%m/%Y %H:%M:%S")
        writer.writerow(values)
    return ("\ufeff" + buffer.getvalue()).encode()


def audit_xlsx(rows: Iterable[AuditLog]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Auditoria")
    for letter, width in zip(
        "ABCDEFGHIJK", (19, 24, 24, 28, 34, 28, 20, 14, 16, 50, 10), strict=True
    ):
        sheet.column_dimensions[letter].width = width
    sheet.append(COLUMNS)
    for row in rows:
        sheet.append(_values(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
