"""A faithful fake of the Asaas v3 API over real HTTP (see docs/providers/asaas.md §10).

Start it in-process with `FakeAsaasServer(...).start()` (tests) or `manage.py fake_asaas`.
"""

from clinicrm.devtools.fake_asaas.server import FakeAsaasServer
from clinicrm.devtools.fake_asaas.state import ApiError, FakeAsaasState

__all__ = ["ApiError", "FakeAsaasServer", "FakeAsaasState"]
