"""The development and demo e-mail backend: the console, readable.

Django's console backend prints the MIME source, where quoted-printable encoding of a pt-BR body
splits long lines with "=" (a reset or invitation link then cannot be clicked or copied from the
terminal). This one prints the headers a person needs and the decoded text body.
"""

from typing import Any

from django.core.mail.backends.console import EmailBackend


class ReadableConsoleEmailBackend(EmailBackend):
    def write_message(self, message: Any) -> None:
        self.stream.write(
            f"{'-' * 30} e-mail (não enviado: console) {'-' * 30}\n"
            f"De: {message.from_email}\n"
            f"Para: {', '.join(message.recipients())}\n"
            f"Assunto: {message.subject}\n\n"
            f"{message.body.rstrip()}\n"
        )
        self.stream.write("-" * 92 + "\n")
