import io

from django.core.mail import EmailMessage

from clinicrm.devtools.mail import ReadableConsoleEmailBackend

LINK = "http://127.0.0.1:8000/senha/redefinir/MDE5YjAxYjMtNjY0Ny03ZTRhLWE4/cwbdxw-5f0e8a9f0b7c3d2e1f4a/"


def test_console_backend_prints_the_link_whole():
    stream = io.StringIO()
    backend = ReadableConsoleEmailBackend(stream=stream)
    message = EmailMessage(
        "Redefinição de senha", f"Olá, válido por 1 hora:\n\n{LINK}\n", to=["a@b.test"]
    )
    assert backend.send_messages([message]) == 1
    out = stream.getvalue()
    assert LINK in out.splitlines()
    assert "Para: a@b.test" in out and "Assunto: Redefinição de senha" in out
