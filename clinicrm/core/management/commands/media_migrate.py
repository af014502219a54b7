"""`manage.py media_migrate --to s3`: copy the private media from local disk to the bucket that
STORAGE_URL (or AWS_STORAGE_BUCKET_NAME) names. Idempotent and resumable: run it again after an
interruption, or once more right before switching the processes over, to copy what arrived
meanwhile. See core/storage_migrate.py and docs/deploy.md."""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.storage import storages
from django.core.management.base import BaseCommand, CommandError, CommandParser

from clinicrm.core.rls import rls_bypass
from clinicrm.core.storage_migrate import MigrateReport, media_migrate


class Command(BaseCommand):
    help = "Copia as mídias privadas do disco local para o armazenamento de objetos (S3)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--to", required=True, choices=["s3"])
        parser.add_argument(
            "--from-dir", default=str(settings.PRIVATE_MEDIA_ROOT), help="local media root"
        )
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        # An operator's tool over every clinic (or one named): row-level security bypassed.
        with rls_bypass():
            self._handle(**options)

    def _handle(self, **options: Any) -> None:
        backend = settings.STORAGES["default"]["BACKEND"]
        if not backend.endswith("S3Storage"):
            raise CommandError(
                "Configure STORAGE_URL (s3://bucket?...) ou AWS_STORAGE_BUCKET_NAME antes."
            )
        root = Path(options["from_dir"])
        if not root.is_dir():
            raise CommandError(f"Diretório de mídias não encontrado: {root}")

        def progress(report: MigrateReport) -> None:
            self.stdout.write(f"... {report.copied} copiados, {report.skipped} já presentes")

        report = media_migrate(
            root=root,
            destination=storages["default"],
            dry_run=options["dry_run"],
            progress=progress,
        )
        verb = "seriam copiados" if options["dry_run"] else "copiados"
        self.stdout.write(
            f"{report.copied} arquivos {verb} ({report.bytes_copied} bytes; "
            f"{report.replaced} substituídos), {report.skipped} já estavam no destino."
        )
