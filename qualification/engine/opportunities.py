"""The opportunities a qualify creates, built without the cost of Model.__init__'s keyword
path: bulk qualify builds one for every lead (and up to five for a single qualify)."""

from __future__ import annotations

from typing import Any

from crm.models import Account, Contact, Opportunity, SalesStage
from crm.rows import instance_new
from leads.models import Lead


def _pk(record: Any) -> int | None:
    return record.pk if record is not None else None


def opportunity_build(
    *,
    lead: Lead,
    values: dict[str, Any],
    relations: dict[str, Any],
    account: Account | None,
    contact: Contact | None,
) -> Opportunity:
    """One new (unsaved) opportunity: the typed `values`, the mapped `relations` ({attname:
    id}) and the account and contact the qualify resolved.

    Built through `instance_new` (its fields stored at once, without `Model.__init__`'s
    setattr per field), which bulk qualify takes for every lead: the values, then the
    relations, then the records resolved."""
    row = {**values, **relations}
    row["owner_id"] = lead.owner_id
    row["stage"] = SalesStage.DEVELOP
    # The potential customer is the account, else the contact.
    customer_contact = None if account is not None else contact
    row["customer_account_id"] = _pk(account)
    row["customer_contact_id"] = _pk(customer_contact)
    # The records this qualify resolved win over the lead's mapped Existing Account/Contact
    # (the salesperson may have picked another one in the duplicate dialog).
    if account is not None:
        row["account_id"] = account.pk
    if contact is not None:
        row["contact_id"] = contact.pk
    opportunity = instance_new(model=Opportunity, values=row)
    cached = {"customer_account": account, "customer_contact": customer_contact}
    if account is not None:
        cached["account"] = account
    if contact is not None:
        cached["contact"] = contact
    for name, record in cached.items():
        Opportunity._meta.get_field(name).set_cached_value(opportunity, record)
    return opportunity
