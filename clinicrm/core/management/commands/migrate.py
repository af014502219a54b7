"""Django's `migrate`, with row-level security bypassed: data migrations read and write every
clinic's rows, and the policies themselves are (re)applied at its end (`core.rls`)."""

from typing import Any

from django.core.management.commands.migrate import Command as MigrateCommand

from clinicrm.core.rls import rls_bypass


class Command(MigrateCommand):
    def handle(self, *args: Any, **options: Any) -> None:
        with rls_bypass():
            super().handle(*args, **options)
