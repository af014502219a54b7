import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinicrm.config.settings")
django_app = get_asgi_application()

# Static files are served by WhiteNoise inside Django's handler, so one app serves everything.
application = django_app
