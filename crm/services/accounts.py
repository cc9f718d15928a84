"""Create, change and delete accounts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crm.models import Account
from crm.services.deletion import record_delete
from crm.services.errors import AccountNameRequiredError
from crm.services.fields import (
    ACCOUNT_FIELDS,
    ACCOUNT_MATCH_FIELDS,
    account_match_keys,
    check_fields,
    record_fields_update,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, User

MATCH_FIELDS = ACCOUNT_MATCH_FIELDS


def account_create(*, owner: User, name: str, **fields: Any) -> Account:
    """Create an account; `fields` are any of ACCOUNT_FIELDS (website, phone, address, ...)."""
    check_fields(fields, ACCOUNT_FIELDS)
    if not (name or "").strip():
        raise AccountNameRequiredError
    account = Account(owner=owner, name=name.strip(), **fields)
    account_match_keys(account)
    account.save()
    return account


def account_update(*, account: Account, acting_user: AbstractBaseUser, **fields: Any) -> Account:
    """Change an account's fields (any of ACCOUNT_FIELDS) and refresh its match columns in the
    same write. Refused for a user who is neither its owner nor a sales manager, and for an
    account merged away meanwhile."""
    return record_fields_update(
        record=account,
        acting_user=acting_user,
        fields=fields,
        allowed=ACCOUNT_FIELDS,
        required=("name", AccountNameRequiredError),
        match_keys=account_match_keys,
        match_fields=MATCH_FIELDS,
    )


def account_delete(*, account: Account, acting_user: AbstractBaseUser) -> None:
    """Delete the account with its timeline (see crm.services.deletion.record_delete): refused
    while open opportunities or open leads point at it, or it is an opportunity's customer."""
    record_delete(record=account, acting_user=acting_user)
