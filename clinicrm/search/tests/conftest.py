"""Fixtures of the global search tests (rows built in `factories.build_clinic`)."""

import pytest

from clinicrm.search.tests.factories import Clinic, build_clinic


@pytest.fixture
def clinic(tenant) -> Clinic:
    return build_clinic(tenant)


@pytest.fixture
def other_clinic(other_tenant) -> Clinic:
    return build_clinic(other_tenant, suffix=" Outro")
