"""The open leads that repeat a lead: same email, same phone digits (business or mobile, either
way round), or same full name with the same company, after normalisation (`keys`).

One query finds them, an indexed equality lookup per key; the reasons are worked out from the
keys the rows carry, so no row is fetched twice. The lead form's banner only counts them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet, TextChoices

from leads.models import Lead, LeadState

# With the lead itself, as many as one merge takes (crm.selectors.merge.MERGE_MAX_RECORDS).
MAX_DUPLICATES_SHOWN = 4
PHONE_FIELDS = (("business_phone", "business_phone_key"), ("mobile_phone", "mobile_phone_key"))
NAME_COMPANY_FIELDS = frozenset({"first_name", "last_name", "company_name"})


class MatchReason(TextChoices):
    EMAIL = "email", "same email"
    PHONE = "phone", "same phone"
    NAME_COMPANY = "name_company", "same name and company"


@dataclass(frozen=True)
class DuplicateMatch:
    """An open lead that repeats `of`: why, and which fields match on each of the two."""

    lead: Lead
    reasons: tuple[MatchReason, ...]
    fields: frozenset[str]  # the duplicate's fields that match
    own_fields: frozenset[str]  # the lead's fields they match

    @property
    def reason_labels(self) -> str:
        return ", ".join(reason.label for reason in self.reasons)


def _phone_keys(lead: Lead) -> set[str]:
    return {getattr(lead, key) for _, key in PHONE_FIELDS if getattr(lead, key)}


def _condition(lead: Lead) -> Q | None:
    """Rows sharing a key with the lead (None: the lead has no key, so no duplicate)."""
    parts = []
    if lead.email_key:
        parts.append(Q(email_key=lead.email_key))
    phones = _phone_keys(lead)
    if phones:
        parts += [Q(business_phone_key__in=phones), Q(mobile_phone_key__in=phones)]
    if lead.name_company_key:
        parts.append(Q(name_company_key=lead.name_company_key))
    if not parts:
        return None
    condition = parts[0]
    for part in parts[1:]:
        condition |= part
    return condition


def _open_duplicates(lead: Lead) -> QuerySet[Lead] | None:
    condition = _condition(lead)
    if condition is None or not lead.is_open:
        return None
    return Lead.objects.filter(condition, state=LeadState.OPEN).exclude(pk=lead.pk)


def lead_duplicates_count(*, lead: Lead) -> int:
    """How many open leads repeat this open lead (one query; none for a closed lead or one
    without a key)."""
    duplicates = _open_duplicates(lead)
    return 0 if duplicates is None else duplicates.count()


def match_of(lead: Lead, other: Lead) -> DuplicateMatch | None:
    """Why `other` repeats `lead` (None: it does not), from the keys both carry."""
    reasons: list[MatchReason] = []
    fields: set[str] = set()
    own: set[str] = set()
    if lead.email_key and lead.email_key == other.email_key:
        reasons.append(MatchReason.EMAIL)
        fields.add("email")
        own.add("email")
    for own_field, own_key in PHONE_FIELDS:
        for field, key in PHONE_FIELDS:
            if getattr(lead, own_key) and getattr(lead, own_key) == getattr(other, key):
                fields.add(field)
                own.add(own_field)
    if own & {field for field, _ in PHONE_FIELDS}:
        reasons.append(MatchReason.PHONE)
    if lead.name_company_key and lead.name_company_key == other.name_company_key:
        reasons.append(MatchReason.NAME_COMPANY)
        fields |= NAME_COMPANY_FIELDS
        own |= NAME_COMPANY_FIELDS
    if not reasons:
        return None
    return DuplicateMatch(other, tuple(reasons), frozenset(fields), frozenset(own))


def lead_duplicates(*, lead: Lead) -> list[DuplicateMatch]:
    """The open leads that repeat this open lead, newest first (at most MAX_DUPLICATES_SHOWN),
    each with its reasons: one query."""
    duplicates = _open_duplicates(lead)
    if duplicates is None:
        return []
    rows = duplicates.select_related("owner").order_by("-created_at", "-id")
    matches = (match_of(lead, other) for other in rows[:MAX_DUPLICATES_SHOWN])
    return [match for match in matches if match is not None]
