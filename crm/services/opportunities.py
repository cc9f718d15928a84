"""Change an opportunity's fields."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction

from crm.models import Opportunity
from crm.services.errors import OpportunityCustomerRequiredError, OpportunityTopicRequiredError
from crm.services.fields import OPPORTUNITY_FIELDS, check_fields
from crm.services.locks import copy_back, record_lock_for_change

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


def opportunity_update(
    *, opportunity: Opportunity, acting_user: AbstractBaseUser, **fields: Any
) -> Opportunity:
    """Change an open opportunity's fields (topic, customer, budget, revenue, ...).

    Refused for a closed opportunity and for a user who is neither its owner nor a manager.
    """
    check_fields(fields, OPPORTUNITY_FIELDS)
    if "topic" in fields and not (fields["topic"] or "").strip():
        raise OpportunityTopicRequiredError
    with transaction.atomic():
        locked = record_lock_for_change(opportunity, acting_user=acting_user)
        for name, value in fields.items():
            setattr(locked, name, value)
        if (locked.customer_account_id is None) == (locked.customer_contact_id is None):
            raise OpportunityCustomerRequiredError
        locked.save(update_fields=[*fields, "updated_at"])
    copy_back(locked, opportunity, (*fields, "updated_at"))
    return opportunity
