import pytest
from django.test import Client

from clinicrm.api.services import api_token_create


class ApiClient:
    """A Django test client that sends a bearer token and JSON bodies."""

    def __init__(self, token: str | None) -> None:
        self.client = Client(enforce_csrf_checks=True)
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def _call(self, method: str, path: str, body=None, **params):
        url = path if path.startswith("/") else f"/api/v1/{path}"
        fn = getattr(self.client, method)
        if method == "get":
            return fn(url, params, headers=self.headers)
        return fn(
            url,
            body if body is not None else {},
            content_type="application/json",
            headers=self.headers,
        )

    def get(self, path, **params):
        return self._call("get", path, **params)

    def post(self, path, body=None):
        return self._call("post", path, body)

    def patch(self, path, body=None):
        return self._call("patch", path, body)

    def put(self, path, body=None):
        return self._call("put", path, body)

    def delete(self, path):
        return self._call("delete", path)


@pytest.fixture
def make_api_client():
    def factory(user, tenant) -> ApiClient:
        return ApiClient(api_token_create(tenant=tenant, user=user, name="testes").plain)

    return factory


@pytest.fixture
def api(owner, tenant, make_api_client) -> ApiClient:
    return make_api_client(owner, tenant)
