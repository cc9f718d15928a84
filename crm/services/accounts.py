"""Create and change accounts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crm.models import Account
from crm.services.errors import AccountNameRequiredError
from crm.services.fields import ACCOUNT_FIELDS, account_match_keys, check_fields

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def account_create(*, owner: User, name: str, **fields: Any) -> Account:
    """Create an account; `fields` are any of ACCOUNT_FIELDS (website, phone, address, ...)."""
    check_fields(fields, ACCOUNT_FIELDS)
    if not (name or "").strip():
        raise AccountNameRequiredError
    account = Account(owner=owner, name=name.strip(), **fields)
    account_match_keys(account)
    account.save()
    return account


def account_update(*, account: Account, **fields: Any) -> Account:
    """Change an account's fields and refresh its match columns in the same write."""
    check_fields(fields, ACCOUNT_FIELDS)
    if "name" in fields and not (fields["name"] or "").strip():
        raise AccountNameRequiredError
    for name, value in fields.items():
        setattr(account, name, value)
    account_match_keys(account)
    account.save(update_fields=[*fields, "normalized_name", "website_domain", "updated_at"])
    return account
