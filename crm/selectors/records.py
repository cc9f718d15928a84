"""One account, contact or opportunity with what its page shows: the records linked to it."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.shortcuts import get_object_or_404

from crm.models import Account, Contact, Opportunity


def account_get(*, pk: int) -> Account:
    """An account with its owner and originating lead; 404 when missing."""
    return get_object_or_404(Account.objects.select_related("owner", "origin__lead"), pk=pk)


def account_contacts(*, account: Account) -> models.QuerySet[Contact]:
    return account.contacts.select_related("owner").order_by("last_name", "first_name", "pk")


def account_opportunities(*, account: Account) -> models.QuerySet[Opportunity]:
    """Opportunities for the account, as the potential customer or as the linked account."""
    return (
        Opportunity.objects.filter(Q(customer_account=account) | Q(account=account))
        .select_related("owner")
        .order_by("-created_at", "-pk")
    )


def contact_get(*, pk: int) -> Contact:
    """A contact with its account, owner and originating lead; 404 when missing."""
    return get_object_or_404(
        Contact.objects.select_related("owner", "account", "origin__lead"), pk=pk
    )


def contact_opportunities(*, contact: Contact) -> models.QuerySet[Opportunity]:
    return (
        Opportunity.objects.filter(Q(customer_contact=contact) | Q(contact=contact))
        .select_related("owner")
        .order_by("-created_at", "-pk")
    )


def opportunity_get(*, pk: int) -> Opportunity:
    """An opportunity with everything its page header shows; 404 when missing."""
    return get_object_or_404(
        Opportunity.objects.select_related(
            "owner",
            "customer_account",
            "customer_contact",
            "account",
            "contact",
            "origin__lead",
        ),
        pk=pk,
    )


def originating_lead(record: models.Model) -> models.Model | None:
    """The lead a record was created from (`record.origin.lead`), or None.

    The link is declared on the lead side; load it with select_related("origin__lead").
    """
    origin = getattr(record, "origin", None)
    return origin.lead if origin is not None else None


ACCOUNT_OPTIONS_LIMIT = 50


def account_options(*, query: str = "", selected_id: int | None = None) -> list[Account]:
    """Accounts for an Account Name picker: the selected one first, then up to
    ACCOUNT_OPTIONS_LIMIT whose name begins with the query (or the first ones by name)."""
    accounts = Account.objects.order_by(Lower("name"), "pk")
    query = query.strip()
    found = list(
        (accounts.filter(name__istartswith=query) if query else accounts)[:ACCOUNT_OPTIONS_LIMIT]
    )
    if selected_id is None or any(account.pk == selected_id for account in found):
        return found
    selected = accounts.filter(pk=selected_id).first()
    return [selected, *found] if selected else found


def record_leads(*, record: models.Model) -> models.QuerySet[models.Model]:
    """The leads qualified into the record (the reverse accessor `qualified_leads` that the
    lead model declares), newest first."""
    return record.qualified_leads.select_related("owner").order_by("-created_at", "-pk")
