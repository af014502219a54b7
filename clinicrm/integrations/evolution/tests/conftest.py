from clinicrm.devtools.fake_evolution.testing import fake_evolution  # noqa: F401
