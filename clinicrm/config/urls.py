from django.apps import apps
from django.urls import include, path

handler400 = "clinicrm.core.error_views.bad_request"
handler500 = "clinicrm.core.error_views.server_error"

# Every app owns its full paths (pt-BR) in its own urls.py, under its own namespace.
urlpatterns = [
    path("", include("clinicrm.core.urls")),
    path("", include("clinicrm.dashboard.urls")),
    path("", include("clinicrm.people.urls")),
    path("", include("clinicrm.agenda.urls")),
    path("", include("clinicrm.api.urls")),
    path("", include("clinicrm.integrations.urls")),
    path("", include("clinicrm.credits.urls")),
    path("", include("clinicrm.messaging.urls")),
    path("", include("clinicrm.crm.urls")),
    path("", include("clinicrm.automation.urls")),
    path("", include("clinicrm.compliance.urls")),
    path("", include("clinicrm.search.urls")),
    path("", include("clinicrm.saas.urls")),
]
# The phone simulator: development and the demo only (the app is not installed in production).
if apps.is_installed("clinicrm.devtools"):
    urlpatterns.append(path("", include("clinicrm.devtools.urls")))
