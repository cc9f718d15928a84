"""Who may change what: the one "owner or sales manager" rule."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

# A salesperson changes their own records; this permission (held by sales managers) lets a user
# change anyone's. It is declared on the lead model; crm reads it by name only.
MANAGE_ALL_PERMISSION = "leads.manage_all_leads"


def owner_or_manager(*, user: AbstractBaseUser | AnonymousUser, owner_id: int | None) -> bool:
    """The one "owner or sales manager" rule: a user changes what they own (a lead, an account,
    a contact, an opportunity, a bulk job they started), and the manage-all permission allows
    anyone's."""
    return owners_or_manager(user=user, owner_ids=[owner_id])[0]


def owners_or_manager(
    *,
    user: AbstractBaseUser | AnonymousUser,
    owner_ids: Sequence[int | None],
    permission: str = MANAGE_ALL_PERMISSION,
) -> list[bool]:
    """`owner_or_manager` for many records (a grid's rows) with the permission looked up once:
    each lookup walks the authentication backends. `permission` is the one that allows
    anyone's record (another than the manager's for a rule of its own, as deleting leads)."""
    if not user.is_authenticated:
        return [False] * len(owner_ids)
    owns = [owner_id == user.pk for owner_id in owner_ids]
    # Only when it matters: the permission lookup reads the user's permissions (two queries).
    if not all(owns) and user.has_perm(permission):
        return [True] * len(owner_ids)
    return owns
