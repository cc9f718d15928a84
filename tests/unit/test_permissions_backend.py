"""The sign-in backend reads a user's permissions in one query, and answers what Django's
ModelBackend answers for every kind of user."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_backends
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AnonymousUser, Group, Permission, User

from crm.auth import ThrottledModelBackend
from tests.factories import LeadFactory, UserFactory

pytestmark = pytest.mark.django_db


def _permission(codename: str) -> Permission:
    return Permission.objects.get(codename=codename)


def _both_answers(user: User) -> tuple[set[str], set[str]]:
    """(this backend's answer, Django's), each on a fresh copy of the user (no cache)."""
    ours = ThrottledModelBackend().get_all_permissions(User.objects.get(pk=user.pk))
    djangos = ModelBackend().get_all_permissions(User.objects.get(pk=user.pk))
    return ours, djangos


def test_it_is_the_backend_every_permission_check_asks() -> None:
    assert [type(backend) for backend in get_backends()] == [ThrottledModelBackend]


def test_a_user_has_their_own_and_their_groups_permissions() -> None:
    user = UserFactory()
    user.user_permissions.add(_permission("delete_lead"), _permission("add_lead"))
    team = Group.objects.create(name="Team")
    team.permissions.add(_permission("add_lead"), _permission("view_account"))
    other = Group.objects.create(name="Other")
    other.permissions.add(_permission("view_contact"))
    user.groups.add(team, other)
    UserFactory().user_permissions.add(_permission("change_account"))  # someone else's

    ours, djangos = _both_answers(user)

    assert (
        ours
        == djangos
        == {
            "leads.add_lead",
            "leads.delete_lead",
            "crm.view_account",
            "crm.view_contact",
        }
    )


@pytest.mark.parametrize("trait", ["salesperson", "manager"])
def test_the_sales_groups_permissions_are_djangos(trait: str) -> None:
    ours, djangos = _both_answers(UserFactory(**{trait: True}))
    assert ours == djangos
    assert ours  # the groups grant something


def test_a_user_without_permissions_has_none() -> None:
    assert _both_answers(UserFactory()) == (set(), set())


def test_a_superuser_has_every_permission() -> None:
    ours, djangos = _both_answers(UserFactory(is_superuser=True))
    assert ours == djangos
    assert len(ours) == Permission.objects.count()


def test_an_inactive_user_anonymous_or_a_per_object_check_has_none() -> None:
    user = UserFactory(salesperson=True)
    backend = ThrottledModelBackend()
    assert backend.get_all_permissions(user, obj=LeadFactory()) == set()
    assert backend.get_all_permissions(AnonymousUser()) == set()
    user.is_active = False
    assert backend.get_all_permissions(user) == set()
    assert not user.has_perm("leads.add_lead")


def test_it_reads_them_once_in_one_query(django_assert_num_queries) -> None:
    user = User.objects.get(pk=UserFactory(manager=True).pk)
    with django_assert_num_queries(1):
        assert user.has_perm("leads.add_lead")
        assert not user.has_perm("leads.no_such_permission")
        user.get_all_permissions()


def test_a_permission_granted_later_counts_from_the_next_request() -> None:
    """Remembered on the user object, as Django does: a new request reads the user afresh."""
    user = UserFactory()
    assert not User.objects.get(pk=user.pk).has_perm("leads.delete_lead")
    user.user_permissions.add(_permission("delete_lead"))
    assert User.objects.get(pk=user.pk).has_perm("leads.delete_lead")
