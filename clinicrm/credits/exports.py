"""The statement as CSV and XLSX files: the rows, then the totals per product.

Both files hold the same rows in the same order as the page (newest first), dates in São Paulo
time and money in reais. The CSV uses `;` and a decimal comma, as Brazilian spreadsheets expect.
"""

import csv
import datetime as dt
import io
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from openpyxl import Workbook

from clinicrm.credits.statement import ProductTotals, StatementRow

COLUMNS = (
    "Data",
    "Produto",
    "Movimento",
    "Quantidade",
    "Saldo após",
    "Valor (R$)",
    "Motivo",
    "Observação",
    "Conversa",
)
TOTAL_COLUMNS = ("Totais", "Produto", "Entradas", "Saídas", "Líquido", "Valor (R$)")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _row_values(row: StatementRow) -> list[Any]:
    return [
        row.local_time,
        row.product,
        row.kind,
        row.amount,
        row.balance_after,
        row.value,
        row.reason,
        row.detail,
        row.link_label,
    ]


def _total_values(total: ProductTotals) -> list[Any]:
    return ["", total.product, total.credited, total.debited, total.net, total.value]


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, Decimal):
        return f"{value:.2f}".replace(".", ",")
    return str(value)


def statement_csv(rows: Iterable[StatementRow], totals: list[ProductTotals]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_csv_cell(v) for v in _row_values(row)])
    writer.writerow([])
    writer.writerow(TOTAL_COLUMNS)
    for total in totals:
        writer.writerow([_csv_cell(v) for v in _total_values(total)])
    # BOM so Excel opens the pt-BR accents correctly.
    return ("\ufeff" + buffer.getvalue()).encode()


def statement_xlsx(rows: Iterable[StatementRow], totals: list[ProductTotals]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Extrato"
    sheet.append(COLUMNS)
    for row in rows:
        sheet.append(_row_values(row))
        sheet.cell(sheet.max_row, 1).number_format = "dd/mm/yyyy hh:mm"
        sheet.cell(sheet.max_row, 6).number_format = "#,##0.00"
    sheet.append([])
    sheet.append(TOTAL_COLUMNS)
    for total in totals:
        sheet.append(_total_values(total))
        sheet.cell(sheet.max_row, 6).number_format = "#,##0.00"
    for letter, width in zip("ABCDEFGHI", (17, 22, 12, 11, 11, 11, 60, 40, 32), strict=True):
        sheet.column_dimensions[letter].width = width
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
