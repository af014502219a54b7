import pytest
from django.urls import reverse

from clinicrm.core.models import AuditLog, Membership, Role, User

pytestmark = pytest.mark.django_db


def _m(user, tenant):
    return Membership.objects.get(user=user, tenant=tenant)


def _state():
    return (
        list(Membership.objects.order_by("pk").values_list("pk", "role", "is_active")),
        User.objects.count(),
        AuditLog.objects.count(),
    )


def test_owner_sees_members_page(owner_client, member_factory):
    member_factory(Role.SECRETARY, email="sec@alfa.test")
    response = owner_client.get(reverse("core:member_list"))
    assert response.status_code == 200
    assert "sec@alfa.test" in response.content.decode()
    assert "Secretária(o)" in response.content.decode()


def test_search_and_empty_state(owner_client):
    response = owner_client.get(reverse("core:member_list"), {"q": "ninguem"})
    assert "Nenhum membro encontrado" in response.content.decode()


def test_secretary_and_professional_cannot_open_it(member_factory, client):
    for role in (Role.SECRETARY, Role.PROFESSIONAL):
        client.force_login(member_factory(role))
        assert client.get(reverse("core:member_list")).status_code == 403


def test_add_new_user_by_email_creates_unusable_password(owner_client, tenant):
    response = owner_client.post(
        reverse("core:member_add"),
        {"email": "Nova@Alfa.test", "first_name": "Nova", "role": Role.SECRETARY},
        follow=True,
    )
    assert response.status_code == 200
    user = User.objects.get(email="nova@alfa.test")
    assert not user.has_usable_password()
    assert _m(user, tenant).role == Role.SECRETARY
    assert "Enviamos um convite por e-mail" in response.content.decode()
    assert AuditLog.objects.filter(action="membership.create").count() == 1
    details = str(list(AuditLog.objects.values_list("details", flat=True)))
    assert "nova@alfa.test" not in details


def test_add_existing_user_links_it(owner_client, tenant, other_owner):
    owner_client.post(reverse("core:member_add"), {"email": other_owner.email, "role": Role.ADMIN})
    assert _m(other_owner, tenant).role == Role.ADMIN
    assert User.objects.filter(email=other_owner.email).count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "não é email", "role": Role.SECRETARY}, "Informe um e-mail válido."),
        ({"email": "x@alfa.test", "role": "chefe"}, "Papel inválido."),
        ({"email": "dona@alfa.test", "role": Role.ADMIN}, "já faz parte"),
    ],
)
def test_add_bad_input_changes_nothing(owner_client, data, message):
    before = _state()
    response = owner_client.post(reverse("core:member_add"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert _state() == before


def test_change_role_deactivate_reactivate_remove(owner_client, member_factory, tenant):
    sec = member_factory(Role.SECRETARY)
    m = _m(sec, tenant)
    owner_client.post(
        reverse("core:member_role", kwargs={"membership_id": m.pk}), {"role": "admin"}
    )
    m.refresh_from_db()
    assert m.role == Role.ADMIN
    owner_client.post(
        reverse("core:member_active", kwargs={"membership_id": m.pk}), {"active": "0"}
    )
    m.refresh_from_db()
    assert m.is_active is False
    owner_client.post(
        reverse("core:member_active", kwargs={"membership_id": m.pk}), {"active": "1"}
    )
    m.refresh_from_db()
    assert m.is_active is True
    owner_client.post(reverse("core:member_remove", kwargs={"membership_id": m.pk}))
    assert not Membership.objects.filter(pk=m.pk).exists()
    actions = list(AuditLog.objects.values_list("action", flat=True))
    assert actions.count("membership.update") == 3 and "membership.delete" in actions


def test_deactivated_member_loses_access(owner_client, member_factory, tenant, client):
    sec = member_factory(Role.SECRETARY)
    owner_client.post(
        reverse("core:member_active", kwargs={"membership_id": _m(sec, tenant).pk}), {"active": "0"}
    )
    client.force_login(sec)
    assert client.get(reverse("api:profile")).status_code == 403


def test_membership_of_another_tenant_is_404_and_unchanged(owner_client, other_owner, other_tenant):
    foreign = _m(other_owner, other_tenant)
    before = _state()
    for name, data in (
        ("core:member_role", {"role": "secretary"}),
        ("core:member_active", {"active": "0"}),
        ("core:member_remove", {}),
    ):
        url = reverse(name, kwargs={"membership_id": foreign.pk})
        assert owner_client.post(url, data).status_code == 404
    assert _state() == before


def test_last_active_owner_cannot_be_demoted_deactivated_or_removed(owner_client, owner, tenant):
    m = _m(owner, tenant)
    before = _state()
    for name, data in (
        ("core:member_role", {"role": "admin"}),
        ("core:member_active", {"active": "0"}),
        ("core:member_remove", {}),
    ):
        response = owner_client.post(reverse(name, kwargs={"membership_id": m.pk}), data)
        assert response.status_code == 400
        assert "pelo menos um proprietário ativo" in response.content.decode()
    assert _state() == before


def test_an_owner_can_step_down_when_another_owner_exists(
    owner_client, owner, tenant, member_factory
):
    member_factory(Role.OWNER, email="socia@alfa.test")
    m = _m(owner, tenant)
    owner_client.post(
        reverse("core:member_role", kwargs={"membership_id": m.pk}), {"role": "admin"}
    )
    m.refresh_from_db()
    assert m.role == Role.ADMIN


def test_admin_cannot_promote_to_owner_nor_touch_an_owner(member_factory, tenant, owner, client):
    admin = member_factory(Role.ADMIN)
    sec = member_factory(Role.SECRETARY)
    client.force_login(admin)
    before = _state()
    promote = client.post(
        reverse("core:member_role", kwargs={"membership_id": _m(sec, tenant).pk}), {"role": "owner"}
    )
    assert promote.status_code == 400
    add_owner = client.post(
        reverse("core:member_add"), {"email": "novo@alfa.test", "role": Role.OWNER}
    )
    assert add_owner.status_code == 400
    owner_m = _m(owner, tenant)
    for name, data in (
        ("core:member_role", {"role": "secretary"}),
        ("core:member_active", {"active": "0"}),
        ("core:member_remove", {}),
    ):
        response = client.post(reverse(name, kwargs={"membership_id": owner_m.pk}), data)
        assert response.status_code == 400
        assert "Somente um proprietário" in response.content.decode()
    assert _state() == before
    # What an admin may do: manage non-owners.
    client.post(
        reverse("core:member_role", kwargs={"membership_id": _m(sec, tenant).pk}),
        {"role": "professional"},
    )
    assert _m(sec, tenant).role == Role.PROFESSIONAL
