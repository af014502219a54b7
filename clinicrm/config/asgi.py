import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinicrm.config.settings")
django_app = get_asgi_application()

from clinicrm.integrations.asgi import with_lean_webhooks  # noqa: E402 (needs settings)

# Static files are served by WhiteNoise inside Django's handler, so one app serves everything;
# provider webhooks skip the middleware chain (integrations/asgi.py explains why).
application = with_lean_webhooks(django_app)
