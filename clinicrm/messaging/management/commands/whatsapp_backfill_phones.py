"""`manage.py whatsapp_backfill_phones [--tenant SLUG_OR_ID] [--dry-run]` (see backfill.py).

Prints counts only (no numbers or names). Safe to re-run: a second run changes nothing.
"""

import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clinicrm.core.models import Tenant
from clinicrm.core.rls import rls_bypass
from clinicrm.messaging.backfill import whatsapp_phones_backfill


class Command(BaseCommand):
    help = "Marca como vinculados ao WhatsApp os telefones de pacientes vistos nas conversas."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", help="slug ou id de uma clínica (padrão: todas)")
        parser.add_argument("--dry-run", action="store_true", help="só conta; nada é gravado")

    def handle(self, *args: Any, **options: Any) -> None:
        # An operator's tool over every clinic (or one named): row-level security bypassed.
        with rls_bypass():
            self._handle(**options)

    def _handle(self, **options: Any) -> None:
        tenant = None
        if options["tenant"]:
            value = str(options["tenant"])
            tenant = Tenant.objects.filter(slug=value).first()
            if tenant is None:
                try:
                    tenant = Tenant.objects.filter(pk=uuid.UUID(value)).first()
                except ValueError:
                    tenant = None
            if tenant is None:
                raise CommandError(f"Clínica não encontrada: {value}")
        report = whatsapp_phones_backfill(tenant=tenant, dry_run=options["dry_run"])
        for tenant_id, counts in report.tenants.items():
            self.stdout.write(
                f"tenant={tenant_id} numbers={counts.numbers} linked={counts.phones_linked} "
                f"raw_ids={counts.raw_ids_stored} added={counts.phones_added} "
                f"unmatched={counts.unmatched} skipped_lid={counts.skipped_lid}"
            )
        total = report.total
        prefix = "[dry-run] " if report.dry_run else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"{prefix}{len(report.tenants)} clínica(s): {total.phones_linked} telefone(s) "
                f"vinculado(s), {total.raw_ids_stored} id(s) do provedor gravado(s), "
                f"{total.phones_added} telefone(s) adicionado(s)."
            )
        )
