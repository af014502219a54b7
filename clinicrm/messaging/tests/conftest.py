import pytest

from clinicrm.messaging.tests.factories import AdapterScope


@pytest.fixture
def adapters():
    with AdapterScope() as scope:
        yield scope
