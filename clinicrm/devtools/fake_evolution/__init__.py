"""A faithful fake Evolution API v2 server (docs/providers/evolution.md §8), stdlib HTTP.

`FakeEvolutionServer(...).start()` in-process (tests: `testing.py` fixtures) or
`manage.py fake_evolution --port 8081`. Control endpoints live under `/__control/`.
"""

from clinicrm.devtools.fake_evolution.server import FakeEvolutionServer

__all__ = ["FakeEvolutionServer"]
