import logging

from django.test import Client

from clinicrm.core.log_filters import RedactWebhookTokens


def test_rejected_webhook_paths_are_logged_without_the_channel_token(db, caplog):
    # caplog's handler sits on the root logger: give it the same filter the console has.
    caplog.handler.addFilter(RedactWebhookTokens())
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = Client().post(
            "/webhooks/evolution/segredo-do-canal-123/", b"{}", content_type="application/json"
        )
    assert response.status_code in (400, 401)
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "django.request")
    assert "/webhooks/evolution/[token]/" in logged
    assert "segredo-do-canal-123" not in logged


def test_the_console_handler_is_configured_with_the_filter():
    from django.conf import settings

    handlers: dict[str, dict] = settings.LOGGING["handlers"]  # type: ignore[assignment]
    assert "redact_tokens" in handlers["console"]["filters"]
