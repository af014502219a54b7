"""Concurrent set-primary / add on one entity: the owner-row lock (PostgreSQL) or the IMMEDIATE
transaction (SQLite) serialises writers, so the one-primary index never trips."""

import threading

import pytest
from django.db import connection

from clinicrm.core.models import Tenant
from clinicrm.people import services
from clinicrm.people.models import ContactPhone, Patient


@pytest.mark.django_db(transaction=True)
def test_concurrent_set_primary_leaves_exactly_one_primary():
    tenant = Tenant.objects.create(name="Clínica Gama", slug="gama")
    patient = Patient.objects.create(tenant=tenant, full_name="Ana")
    phones = [
        services.contact_phone_add(entity=patient, actor=None, number=f"1198888{i:04d}")
        for i in range(4)
    ]
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(phones))

    def worker(phone: ContactPhone) -> None:
        try:
            barrier.wait()
            for _ in range(8):
                services.contact_phone_set_primary(phone=phone, actor=None)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(p,)) for p in phones]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert ContactPhone.objects.filter(entity_id=patient.pk, is_primary=True).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_adds_make_exactly_one_primary():
    tenant = Tenant.objects.create(name="Clínica Delta", slug="delta")
    patient = Patient.objects.create(tenant=tenant, full_name="Bia")
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def worker(i: int) -> None:
        try:
            barrier.wait()
            services.contact_phone_add(entity=patient, actor=None, number=f"1197777{i:04d}")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert ContactPhone.objects.filter(entity_id=patient.pk).count() == 4
    assert ContactPhone.objects.filter(entity_id=patient.pk, is_primary=True).count() == 1
