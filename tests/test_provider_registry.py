"""The provider registry (integrations/providers.py) is the single source of providers.

Every package folder under integrations/ is a provider with a `provider.py` whose `PROVIDER` is
listed once in `PROVIDERS`; the integrations URLconf, messaging's adapters, channel cards and
activation routes, credits' gateway and the drain's handlers all come from those specs, and no
module but a provider's own `provider.py` includes its routes.
"""

import ast
import importlib
from pathlib import Path

from django.urls import reverse

import clinicrm.integrations
from clinicrm.credits.gateway import payment_gateway
from clinicrm.integrations import urls as integrations_urls
from clinicrm.integrations.providers import PROVIDERS
from clinicrm.integrations.registry import provider_handlers
from clinicrm.messaging import providers as messaging_providers
from clinicrm.messaging.channel_kinds import channel_kind_get, channel_kinds
from clinicrm.messaging.models import Provider

INTEGRATIONS = Path(clinicrm.integrations.__file__).parent
PACKAGE_ROOT = INTEGRATIONS.parent


def _provider_folders() -> set[str]:
    return {
        path.name
        for path in INTEGRATIONS.iterdir()
        if (path / "__init__.py").exists() and path.name not in ("tests", "migrations")
    }


def test_every_provider_folder_is_registered_once():
    keys = [spec.key for spec in PROVIDERS]
    assert len(keys) == len(set(keys))
    assert set(keys) == _provider_folders()
    for spec in PROVIDERS:
        module = importlib.import_module(f"clinicrm.integrations.{spec.key}.provider")
        assert module.PROVIDER is spec


def test_integration_urls_derive_from_the_registry():
    assert integrations_urls.urlpatterns == [p for spec in PROVIDERS for p in spec.urls]
    tree = ast.parse(Path(integrations_urls.__file__).read_text(encoding="utf-8"))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert imported == {"django.urls", "clinicrm.integrations.providers"}


def test_only_a_providers_spec_imports_its_routes():
    importers: dict[str, set[str]] = {}
    for path in PACKAGE_ROOT.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").endswith(".urls"):
                module = node.module or ""
                importers.setdefault(module, set()).add(str(path.relative_to(PACKAGE_ROOT)))
    for key in _provider_folders():
        assert importers.get(f"clinicrm.integrations.{key}.urls", set()) == {
            f"integrations/{key}/provider.py"
        }


def test_every_spec_reaches_messaging_credits_and_the_drain():
    for spec in PROVIDERS:
        assert provider_handlers(spec.key) is spec.handlers
        if spec.adapter is not None:
            assert messaging_providers._adapters[spec.key] is spec.adapter
        if spec.channel is not None:
            assert channel_kind_get(spec.key) is spec.channel
            assert spec.key in Provider.values  # Channel.provider accepts it
            reverse(f"messaging:{spec.key}_activate")
            reverse(f"messaging:{spec.key}_deactivate")
            reverse(spec.channel.setup_url)
    assert [k.key for k in channel_kinds()] == [s.key for s in PROVIDERS if s.channel]
    gateways = [spec.gateway for spec in PROVIDERS if spec.gateway is not None]
    assert len(gateways) == 1
    gateway = payment_gateway()
    try:
        assert type(gateway) is gateways[0]
    finally:
        gateway.close()
