"""The Owner sort key each lead stores (Lead.owner_sort), kept when its owner is renamed."""

from __future__ import annotations

from typing import Any

from leads.models import Lead, owner_sort_key

# A user's fields the key is made of: a save that writes none of them leaves it as it is.
OWNER_SORT_FIELDS = frozenset({"first_name", "last_name", "username"})


def lead_owner_sort_refresh(*, owner: Any) -> int:
    """Rewrites the Owner sort key of `owner`'s leads whose key is out of date (after a
    rename); returns how many changed. Their `updated_at` stays: nothing on them changed."""
    key = owner_sort_key(owner)
    return Lead.objects.filter(owner=owner).exclude(owner_sort=key).update(owner_sort=key)


def owner_saved(
    sender: type, instance: Any, created: bool, update_fields: Any = None, **kwargs: Any
) -> None:
    """post_save of the user model: a new user owns no lead yet; a rename reaches the leads."""
    if created or (update_fields is not None and not OWNER_SORT_FIELDS & set(update_fields)):
        return
    lead_owner_sort_refresh(owner=instance)
