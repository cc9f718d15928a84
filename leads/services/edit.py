"""Create a lead and edit it: the main form's fields and the Qualify stage's steps."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.db import IntegrityError, transaction

from leads.duplicates.keys import KEY_FIELDS, SOURCE_FIELDS, lead_match_keys
from leads.models import Lead, LeadState, LeadStatus
from leads.selectors import lead_can_change
from leads.services.errors import (
    LeadAlreadyCreatedError,
    LeadPermissionError,
    LeadReadOnlyError,
)
from leads.services.locking import lead_lock

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

# Fields of the main lead form (SPEC §1, without the Qualify stage and the state).
LEAD_FORM_FIELDS = (
    "topic",
    "first_name",
    "last_name",
    "job_title",
    "business_phone",
    "mobile_phone",
    "email",
    "company_name",
    "website",
    "street1",
    "street2",
    "street3",
    "city",
    "state_province",
    "postal_code",
    "country",
    "industry",
    "description",
    "lead_source",
    "rating",
    "need",
)
# The Qualify stage's steps on the process bar.
QUALIFY_STAGE_FIELDS = (
    "existing_contact",
    "existing_account",
    "purchase_timeframe",
    "budget_amount",
    "purchase_process",
    "decision_maker",
    "qualification_comments",
)
# Everything a salesperson edits on an open lead (the API's PATCH): the form and the steps.
LEAD_EDITABLE_FIELDS = LEAD_FORM_FIELDS + QUALIFY_STAGE_FIELDS


def _write_fields(lead: Lead, data: Mapping[str, Any], allowed: Iterable[str]) -> list[str]:
    names = [name for name in allowed if name in data]
    for name in names:
        setattr(lead, name, data[name])
    lead.full_clean(exclude=[f.name for f in Lead._meta.fields if f.name not in names])
    return names


def lead_create(
    *,
    acting_user: AbstractBaseUser,
    data: Mapping[str, Any],
    owner: Any = None,
    creation_token: UUID | None = None,
) -> Lead:
    """A new open lead owned by `owner` (the acting user by default).

    `creation_token` is the New Lead form's one-time token: when a lead was already created
    with it, raises LeadAlreadyCreatedError (with that lead) and creates nothing. Raises
    django's ValidationError for bad values (forms check them first).
    """
    lead = Lead(
        owner=owner or acting_user,
        state=LeadState.OPEN,
        status_reason=LeadStatus.NEW,
        creation_token=creation_token,
    )
    for name in LEAD_FORM_FIELDS + QUALIFY_STAGE_FIELDS:
        if name in data:
            setattr(lead, name, data[name])
    # The unique token is checked by the INSERT, not by a read before it: of two posts at once,
    # the second waits for the first's row and then fails on it.
    lead.full_clean(validate_unique=False)
    lead_match_keys(lead)
    try:
        with transaction.atomic():
            lead.save()
    except IntegrityError:
        created = _lead_created_with(creation_token)
        if created is None:
            raise
        raise LeadAlreadyCreatedError(created) from None
    return lead


def _lead_created_with(token: UUID | None) -> Lead | None:
    return None if token is None else Lead.objects.filter(creation_token=token).first()


def _lead_update_fields(
    *, lead: Lead, acting_user: AbstractBaseUser, data: Mapping[str, Any], allowed: Iterable[str]
) -> Lead:
    with transaction.atomic():
        # Locked and re-read: a qualify or disqualify committed since the form was opened
        # makes the lead read-only, and this save must not write over it.
        locked = lead_lock(lead.pk)
        if not lead_can_change(acting_user, locked):
            raise LeadPermissionError
        if locked.is_closed:
            raise LeadReadOnlyError
        names = _write_fields(locked, data, allowed)
        if set(names) & set(SOURCE_FIELDS):
            lead_match_keys(locked)
            names += KEY_FIELDS
        locked.save(update_fields=[*names, "updated_at"])
    return locked


def lead_update(
    *,
    lead: Lead,
    acting_user: AbstractBaseUser,
    data: Mapping[str, Any],
    fields: Iterable[str] = LEAD_FORM_FIELDS,
) -> Lead:
    """Save the main form's fields (or `fields`, such as LEAD_EDITABLE_FIELDS); refused for
    closed leads (LEAD_CLOSED_READ_ONLY) and for other people's (LEAD_NOT_YOURS)."""
    return _lead_update_fields(lead=lead, acting_user=acting_user, data=data, allowed=fields)


def lead_qualify_stage_update(
    *, lead: Lead, acting_user: AbstractBaseUser, data: Mapping[str, Any]
) -> Lead:
    """Save the Qualify stage's steps from the process bar's flyout; open leads only."""
    return _lead_update_fields(
        lead=lead, acting_user=acting_user, data=data, allowed=QUALIFY_STAGE_FIELDS
    )
