"""`manage.py seed_demo`: load (or complete) the demo data; running it again changes nothing."""

from typing import Any

from django.core.management.base import BaseCommand

from clinicrm.devtools.seed import DEMO_CHANNELS, DEMO_TWILIO_ACCOUNTS, TENANTS, seed_demo
from clinicrm.people.phones import phone_format_display


class Command(BaseCommand):
    help = "Carrega os dados de demonstração (idempotente)."

    def handle(self, *args: Any, **options: Any) -> None:
        report = seed_demo()
        if report.created:
            created = ", ".join(f"{n} {what}" for what, n in sorted(report.created.items()))
            self.stdout.write(f"Dados de demonstração criados: {created}.")
        else:
            self.stdout.write("Dados de demonstração já estavam carregados; nada mudou.")
        if options["verbosity"] >= 1:
            self.stdout.write(format_logins(report.logins, report.password))
            self.stdout.write(format_twilio_accounts())


def format_logins(logins: list[tuple[str, str, str]], password: str) -> str:
    width = max(len(email) for _, _, email in logins)
    lines = ["", "Acessos de demonstração (senha para todos: " + password + "):"]
    current = None
    for tenant, role, email in logins:
        if tenant != current:
            lines.append(f"  {tenant}")
            current = tenant
        lines.append(f"    {email.ljust(width)}  {role}")
    return "\n".join(lines)


def format_twilio_accounts() -> str:
    """The fake Twilio's test credentials, per demo clinic, for "Configurações › WhatsApp"."""
    lines = ["", "Twilio simulado (WhatsApp Oficial em Configurações › WhatsApp):"]
    for spec in TENANTS:
        account = DEMO_TWILIO_ACCOUNTS.get(spec.slug)
        if account is None:
            continue
        in_use = " (em uso)" if DEMO_CHANNELS.get(spec.slug) == "twilio" else ""
        lines += [
            f"  {spec.name}{in_use}",
            f"    Account SID  {account.account_sid}",
            f"    Auth Token   {account.auth_token}",
            f"    Número       {phone_format_display(account.sender)}",
        ]
    return "\n".join(lines)
