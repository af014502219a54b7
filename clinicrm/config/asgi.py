import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinicrm.config.settings")
django_app = get_asgi_application()

from clinicrm.core.body_limit import with_body_limits  # noqa: E402 (needs settings)
from clinicrm.integrations.asgi import with_lean_webhooks  # noqa: E402 (needs settings)
from clinicrm.messaging.asgi import with_lean_stream  # noqa: E402 (needs settings)

# Static files are served by WhiteNoise inside Django's handler, so one app serves everything;
# provider webhooks and the realtime stream skip the middleware chain (integrations/asgi.py,
# messaging/asgi.py explain why); every other route's body is capped before Django spools it
# (core/body_limit.py).
application = with_body_limits(with_lean_stream(with_lean_webhooks(django_app)))
