"""Tripwire for core/static_middleware.py, which reaches into WhiteNoise's internals
(`files`, `find_file`, `serve`, `autorefresh`, the constructor): a static file goes through the
project's real ASGI application and through the WSGI chain, with and without autorefresh, and
must come back as WhiteNoise serves it (body, type, caching headers, 304 on a matching ETag),
with no async-to-sync bridge on the way. A WhiteNoise upgrade that renames or reshapes what the
subclass uses turns these answers into errors or brings the bridge back, and fails here.
"""

from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from asgiref.sync import AsyncToSync
from django.conf import settings as django_settings
from django.core.handlers.asgi import ASGIHandler
from django.test import Client

from clinicrm.config.asgi import application
from clinicrm.core.static_middleware import AsyncWhiteNoiseMiddleware
from clinicrm.core.tests.asgi_client import Headers, asgi_request

NAME = "clinicrm/app.js"
URL = f"/static/{NAME}"
SOURCE = Path(django_settings.BASE_DIR) / "clinicrm" / "static" / NAME


def asgi_get(app: Any, path: str, headers: Headers | None = None) -> dict[str, Any]:
    """The answer, its headers decoded, and how many async-to-sync bridges it crossed."""
    bridges = mock.patch.object(AsyncToSync, "__call__", autospec=True, side_effect=_bridge)
    with bridges as bridge:
        answer = asgi_request(app, path, headers=headers)
    return {
        **answer,
        "headers": {k.decode(): v.decode() for k, v in answer["headers"].items()},
        "bridges": bridge.call_count,
    }


_ORIGINAL_BRIDGE = AsyncToSync.__call__


def _bridge(self: AsyncToSync, *args: Any, **kwargs: Any) -> Any:
    return _ORIGINAL_BRIDGE(self, *args, **kwargs)


def _served(answer: dict) -> None:
    assert answer["status"] == 200, answer["body"][:200]
    assert answer["body"] == SOURCE.read_bytes()
    assert answer["headers"]["content-type"].startswith("text/javascript")
    assert "max-age=" in answer["headers"]["cache-control"]
    assert answer["headers"]["etag"]
    assert answer["headers"]["last-modified"]
    assert answer["bridges"] == 0


def test_the_subclass_is_in_the_chain():
    assert "clinicrm.core.static_middleware.AsyncWhiteNoiseMiddleware" in django_settings.MIDDLEWARE
    assert AsyncWhiteNoiseMiddleware.async_capable and AsyncWhiteNoiseMiddleware.sync_capable


def test_real_asgi_app_serves_a_static_file_without_a_bridge():
    first = asgi_get(application, URL)
    _served(first)
    again = asgi_get(application, URL, [(b"if-none-match", first["headers"]["etag"].encode())])
    assert again["status"] == 304
    assert again["body"] == b""


@pytest.mark.django_db
def test_other_paths_pass_through_the_async_chain():
    # The reason the subclass exists: a sync-only WhiteNoise makes Django wrap everything below
    # it in async_to_sync (a new thread and event loop per request); this counts that wrapper.
    answer = asgi_get(application, "/static/clinicrm/no-such-file.js")
    assert answer["status"] == 404
    assert answer["bridges"] == 0


def test_autorefresh_looks_the_file_up_per_request(settings):
    settings.WHITENOISE_AUTOREFRESH = True
    _served(asgi_get(ASGIHandler(), URL))


def test_wsgi_chain_serves_it_too():
    response = Client().get(URL)
    assert response.status_code == 200
    assert response.getvalue() == SOURCE.read_bytes()
    assert "max-age=" in response["Cache-Control"]
