"""Channel activation: which WhatsApp provider a tenant uses. Each provider's own set-up
(instance, credentials, webhook) lives in integrations/<provider>/channels.py.

- Activation: at most one active channel per tenant (a partial UNIQUE index backs this up);
  `channel_activate` switches the other one off in the same transaction, rows locked in id order.
- Evolution (docs/providers/evolution.md §2.1, §3.1): the instance is created on the configured
  server with the global key (`settings.EVOLUTION_API_KEY`); the instance key it answers is the
  channel's only secret (encrypted), and the webhook points at
  PUBLIC_BASE_URL/webhooks/evolution/<token>/ with that key as a static `apikey` header, which our
  webhook view checks.
- Twilio (docs/providers/twilio.md §1): credentials are proven by fetching the account before
  anything is saved; a refusal or an unreachable API saves nothing and answers a pt-BR message.

Audit details hold field names only; secrets never reach logs, audit rows or templates.
"""

from clinicrm.messaging.services.channels.activation import channel_activate, channel_deactivate
from clinicrm.messaging.services.channels.common import channel_get, channel_is_configured

__all__ = ["channel_activate", "channel_deactivate", "channel_get", "channel_is_configured"]
