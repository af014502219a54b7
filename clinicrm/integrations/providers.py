"""Every provider, once: adding one is a folder with a `provider.py` and a line here.

The URL includes (integrations/urls.py), the messaging adapters and channel cards, the credits
gateway and the drain's handlers all derive from this tuple (integrations/registry.py);
tests/test_provider_registry.py fails on a provider folder missing from it.
"""

from clinicrm.integrations.asaas.provider import PROVIDER as ASAAS
from clinicrm.integrations.evolution.provider import PROVIDER as EVOLUTION
from clinicrm.integrations.registry import ProviderSpec
from clinicrm.integrations.twilio.provider import PROVIDER as TWILIO

# Channel providers in the order the chooser shows them.
PROVIDERS: tuple[ProviderSpec, ...] = (EVOLUTION, TWILIO, ASAAS)
