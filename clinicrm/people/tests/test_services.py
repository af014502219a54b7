import pytest
from django.db import IntegrityError, transaction

from clinicrm.core.errors import ApplicationError
from clinicrm.core.models import AuditLog, Membership, Role
from clinicrm.people import selectors, services
from clinicrm.people.models import ContactEmail, ContactPhone, ContactType, EntityType, Patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(tenant, owner):
    return services.patient_create(tenant=tenant, actor=owner, full_name="Ana Souza")


def test_system_contact_types_are_seeded():
    codes = set(ContactType.objects.filter(tenant=None).values_list("code", flat=True))
    assert {"celular", "residencial", "comercial", "recado"} <= codes


def test_patient_create_normalises_cpf_and_audits_field_names_only(tenant, owner):
    p = services.patient_create(
        tenant=tenant, actor=owner, full_name="  Ana   Souza ", cpf="529.982.247-25"
    )
    assert p.full_name == "Ana Souza"
    assert p.cpf == "52998224725"
    row = AuditLog.objects.get(action="patient.create", object_id=str(p.pk))
    assert row.tenant == tenant and row.user == owner
    assert set(row.details["fields"]) == {"full_name", "cpf"}
    assert "52998224725" not in str(row.details) and "Ana" not in str(row.details)


def test_patient_create_refuses_bad_cpf_and_saves_nothing(tenant, owner):
    with pytest.raises(ApplicationError) as excinfo:
        services.patient_create(tenant=tenant, actor=owner, full_name="Ana", cpf="529.982.247-24")
    assert excinfo.value.field == "cpf"
    assert not Patient.objects.exists()
    assert not AuditLog.objects.filter(action="patient.create").exists()


def test_duplicate_cpf_in_the_same_tenant_is_refused(tenant, other_tenant, owner):
    services.patient_create(tenant=tenant, actor=owner, full_name="Ana", cpf="52998224725")
    with pytest.raises(ApplicationError):
        services.patient_create(tenant=tenant, actor=owner, full_name="Bia", cpf="52998224725")
    # Another clinic may have the same person.
    services.patient_create(tenant=other_tenant, actor=None, full_name="Ana", cpf="52998224725")


def test_patient_update_audits_changed_fields(patient, owner):
    services.patient_update(
        patient=patient, actor=owner, data={"full_name": "Ana Lima", "notes": "", "cpf": ""}
    )
    row = AuditLog.objects.get(action="patient.update")
    assert row.details == {"fields": ["full_name"]}
    with pytest.raises(ApplicationError):
        services.patient_update(patient=patient, actor=owner, data={"tenant": None})


def test_archive_and_unarchive(patient, owner, tenant):
    services.patient_archive(patient=patient, actor=owner)
    assert not patient.is_active and patient.archived_at
    assert not selectors.patient_list(tenant=tenant).exists()
    archived = selectors.patient_list(
        tenant=tenant, filters=selectors.ListFilters(status="archived")
    )
    assert list(archived) == [patient]
    services.patient_unarchive(patient=patient, actor=owner)
    assert patient.is_active and patient.archived_at is None
    actions = list(AuditLog.objects.values_list("action", flat=True).order_by("id"))
    assert actions[-2:] == ["patient.archive", "patient.unarchive"]


def test_first_phone_becomes_primary_and_set_primary_swaps(patient, owner):
    first = services.contact_phone_add(entity=patient, actor=owner, number="(11) 98888-7777")
    second = services.contact_phone_add(entity=patient, actor=owner, number="551177776666")
    assert first.is_primary and not second.is_primary
    assert second.number_e164 == "+5511977776666"
    services.contact_phone_set_primary(phone=second, actor=owner)
    first.refresh_from_db()
    second.refresh_from_db()
    assert second.is_primary and not first.is_primary
    assert [p.pk for p in selectors.entity_phones(entity=patient)] == [second.pk, first.pk]
    row = AuditLog.objects.get(action="contact_phone.set_primary")
    assert row.details == {
        "entity_type": "patient",
        "entity_id": patient.pk,
        "fields": ["is_primary"],
    }


def test_add_with_is_primary_moves_the_primary(patient, owner):
    first = services.contact_phone_add(entity=patient, actor=owner, number="11988887777")
    second = services.contact_phone_add(
        entity=patient, actor=owner, number="11977776666", is_primary=True
    )
    first.refresh_from_db()
    assert second.is_primary and not first.is_primary


def test_removing_the_primary_promotes_the_oldest_other(patient, owner):
    a = services.contact_phone_add(entity=patient, actor=owner, number="11988887777")
    b = services.contact_phone_add(entity=patient, actor=owner, number="11977776666")
    c = services.contact_phone_add(entity=patient, actor=owner, number="1133334444")
    services.contact_phone_remove(phone=a, actor=owner)
    b.refresh_from_db()
    c.refresh_from_db()
    assert b.is_primary and not c.is_primary
    row = AuditLog.objects.get(action="contact_phone.delete")
    assert row.object_id == str(a.pk) and row.details["promoted"] is True


def test_duplicate_and_invalid_phone_change_nothing(patient, owner):
    services.contact_phone_add(entity=patient, actor=owner, number="11988887777")
    with pytest.raises(ApplicationError) as excinfo:
        services.contact_phone_add(entity=patient, actor=owner, number="+55 11 98888-7777")
    assert excinfo.value.message == "Este telefone já está cadastrado."
    with pytest.raises(ApplicationError) as excinfo:
        services.contact_phone_add(entity=patient, actor=owner, number="12345")
    assert excinfo.value.field == "number"
    assert ContactPhone.objects.count() == 1


def test_phone_update(patient, owner):
    phone = services.contact_phone_add(entity=patient, actor=owner, number="11988887777")
    services.system_contact_types_ensure()
    recado = ContactType.objects.get(tenant=None, code="recado")
    services.contact_phone_update(
        phone=phone,
        actor=owner,
        number="(21) 97777-6666",
        contact_type=recado,
        whatsapp_linked=True,
    )
    phone.refresh_from_db()
    assert phone.number_e164 == "+5521977776666"
    assert phone.contact_type == recado and phone.whatsapp_linked
    row = AuditLog.objects.get(action="contact_phone.update")
    assert row.details["fields"] == ["contact_type", "number_e164", "whatsapp_linked"]
    with pytest.raises(ApplicationError):
        services.contact_phone_update(phone=phone, actor=owner, number="999")
    phone.refresh_from_db()
    assert phone.number_e164 == "+5521977776666"


def test_other_tenants_custom_type_is_refused(patient, owner, other_tenant):
    foreign = ContactType.objects.create(tenant=other_tenant, code="x", label="X")
    with pytest.raises(ApplicationError):
        services.contact_phone_add(
            entity=patient, actor=owner, number="11988887777", contact_type=foreign
        )


def test_emails(patient, owner):
    a = services.contact_email_add(entity=patient, actor=owner, email=" Ana@Exemplo.com.BR ")
    assert a.email == "ana@exemplo.com.br" and a.is_primary
    b = services.contact_email_add(entity=patient, actor=owner, email="ana.lima@trabalho.com")
    services.contact_email_set_primary(email_obj=b, actor=owner)
    a.refresh_from_db()
    assert not a.is_primary
    with pytest.raises(ApplicationError) as excinfo:
        services.contact_email_add(entity=patient, actor=owner, email="ana@@x")
    assert "E-mail inválido" in excinfo.value.message
    services.contact_email_remove(email_obj=b, actor=owner)
    a.refresh_from_db()
    assert a.is_primary
    assert ContactEmail.objects.count() == 1
    actions = set(AuditLog.objects.values_list("action", flat=True))
    assert {"contact_email.create", "contact_email.set_primary", "contact_email.delete"} <= actions


def test_database_enforces_one_primary_per_entity(patient, owner, tenant):
    services.contact_phone_add(entity=patient, actor=owner, number="11988887777")
    celular = ContactType.objects.get(tenant=None, code="celular")
    with pytest.raises(IntegrityError), transaction.atomic():
        ContactPhone.objects.create(
            tenant=tenant,
            entity_type=EntityType.PATIENT,
            entity_id=patient.pk,
            contact_type=celular,
            number_e164="+5511977776666",
            is_primary=True,
        )
    # Another entity may have its own primary.
    other = services.patient_create(tenant=tenant, actor=owner, full_name="Bia")
    services.contact_phone_add(entity=other, actor=owner, number="11988887777")
    assert ContactPhone.objects.filter(is_primary=True).count() == 2


def test_professional_user_must_be_a_member_of_the_tenant(tenant, owner, other_owner):
    with pytest.raises(ApplicationError) as excinfo:
        services.professional_create(
            tenant=tenant, actor=owner, full_name="Dr. X", user=other_owner
        )
    assert excinfo.value.field == "user"
    Membership.objects.create(tenant=tenant, user=other_owner, role=Role.PROFESSIONAL)
    pro = services.professional_create(
        tenant=tenant, actor=owner, full_name="Dr. X", user=other_owner, session_minutes=40
    )
    assert pro.user == other_owner
    with pytest.raises(ApplicationError):
        services.professional_create(
            tenant=tenant, actor=owner, full_name="Dr. Y", user=other_owner
        )
    services.professional_update(professional=pro, actor=owner, data={"specialty": "Psicologia"})
    assert AuditLog.objects.filter(action="professional.update").get().details == {
        "fields": ["specialty"]
    }


def test_patient_list_search(tenant, owner, other_tenant):
    ana = services.patient_create(
        tenant=tenant, actor=owner, full_name="Ana Souza", cpf="52998224725"
    )
    bia = services.patient_create(tenant=tenant, actor=owner, full_name="Beatriz Lima")
    services.contact_phone_add(entity=bia, actor=owner, number="11988887777")
    services.contact_email_add(entity=bia, actor=owner, email="bia@exemplo.com")
    intruder = services.patient_create(tenant=other_tenant, actor=None, full_name="Ana Intrusa")

    def search(q):
        return list(selectors.patient_list(tenant=tenant, filters=selectors.ListFilters(query=q)))

    assert search("souza") == [ana]
    assert search("ana") == [ana]
    assert intruder not in search("ana")
    assert search("529.982") == [ana]
    assert search("98888-7777") == [bia]
    assert search("551188887777") == [bia]  # the WhatsApp form finds the stored number
    assert search("bia@exemplo") == [bia]
    assert search("nobody") == []
    row = selectors.paginate(
        selectors.patient_list(tenant=tenant, filters=selectors.ListFilters(query="beatriz")),
        page=1,
    ).object_list[0]
    assert row.primary_phone == "+5511988887777" and row.primary_email == "bia@exemplo.com"


def test_patient_list_fetches_primary_contacts_in_one_query(
    tenant, owner, django_assert_num_queries
):
    for i in range(30):
        p = services.patient_create(tenant=tenant, actor=owner, full_name=f"Paciente {i:02d}")
        services.contact_phone_add(entity=p, actor=owner, number=f"119{i:08d}")
        services.contact_email_add(entity=p, actor=owner, email=f"p{i}@exemplo.com")
    qs = selectors.patient_list(tenant=tenant)
    with django_assert_num_queries(3):  # COUNT, the page's ids, the rows with their contacts
        page = selectors.paginate(qs, page=1)
        rows = [(p.full_name, p.primary_phone, p.primary_email) for p in page.object_list]
    assert len(rows) == selectors.PAGE_SIZE
    assert all(r[1] and r[2] for r in rows)
    assert [r[0] for r in rows] == sorted(r[0] for r in rows)  # list order survives in_bulk
    last = selectors.paginate(qs, page=2).object_list
    assert [p.full_name for p in last] == [f"Paciente {i:02d}" for i in range(25, 30)]
