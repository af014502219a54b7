import pytest

from clinicrm.messaging.tests.factories import AdapterScope


@pytest.fixture
def adapters():
    """One scripted adapter for both providers (unit edge): records sends, answers ok."""
    with AdapterScope() as scope:
        yield scope
