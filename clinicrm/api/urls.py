from django.urls import URLPattern, URLResolver, path

from clinicrm.api import views
from clinicrm.api.v1 import api as api_v1

app_name = "api"

urlpatterns: list[URLPattern | URLResolver] = [
    path("perfil/", views.profile_view, name="profile"),
    path("perfil/tokens/<int:token_id>/revogar/", views.token_revoke_view, name="token_revoke"),
    # Ninja brings its own namespace ("v1"): reverse("api:v1:<operation name>").
    path("api/v1/", api_v1.urls),
]
