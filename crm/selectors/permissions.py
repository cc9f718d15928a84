"""Who may change what: the one "owner or sales manager" rule."""

from __future__ import annotations

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
    return user.is_authenticated and (owner_id == user.pk or user.has_perm(MANAGE_ALL_PERMISSION))
