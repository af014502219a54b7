"""Version 1 of the JSON API. Routers register themselves in `routes`."""

from clinicrm.api.v1 import routes
from clinicrm.api.v1.base import api

__all__ = ["api", "routes"]
