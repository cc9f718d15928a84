"""Undo qualifications: delete what they created, put their leads back to Open.

One transaction per batch (one qualification, or a chunk of a bulk job), everything locked
and examined first (`examine.undo_examine`): a qualification whose records were touched is
refused with the reasons and changes nothing. For those that can go, with one statement per
table whatever their number: the created records' timelines (their files after the commit),
the opportunities, contacts and accounts (their origins and qualification links with them),
the leads back to Open with the status they had before (notes, attachments and Qualify-stage
values untouched), the qualification records marked undone (kept as the audit of both), and a
"Qualification undone by ..." event on each lead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import reduce
from operator import or_
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import Case, Max, Q, Value, When
from django.utils import timezone

from crm.models import Account, Contact, Opportunity, TimelineEntry, TimelineEntryKind
from crm.services.records import account_match_keys, contact_match_keys
from crm.services.timeline import timeline_entries_bulk_add, timeline_entries_delete
from leads.models import LEAD_STATUS_BY_STATE, Lead, LeadState, LeadStatus
from qualification.models import LinkedFieldChange, Qualification
from qualification.services.undo import errors, examine
from qualification.services.undo.examine import UndoCandidate, person

UNDONE_TITLE = "Qualification undone by {who}"
UNDONE_DELETED = "Deleted: {records}."
UNDONE_KEPT = "Kept, without the link to this lead: {records}."
UNDONE_NOTHING = "Nothing had been created."
UNDONE_RESTORED = "Put back on {record}: {fields}."
UNDONE_NOT_RESTORED = "Not put back on {record}, changed since: {fields}."
# Qualifications per transaction in a bulk undo (as bulk qualify's chunks).
UNDO_CHUNK_SIZE = 500


@dataclass
class UndoLeadResult:
    """One qualification of a bulk undo: undone, or refused with the reasons."""

    qualification_id: int
    lead_id: int | None
    label: str
    undone: bool
    reasons: list[str] = field(default_factory=list)


@dataclass
class UndoOutcome:
    results: list[UndoLeadResult] = field(default_factory=list)

    @property
    def undone(self) -> list[UndoLeadResult]:
        return [result for result in self.results if result.undone]

    @property
    def refused(self) -> list[UndoLeadResult]:
        return [result for result in self.results if not result.undone]


def _named(record: models.Model) -> str:
    return f"{str(record._meta.verbose_name).capitalize()} {record}"


def qualifications_latest(*, lead_ids: Sequence[int]) -> list[int]:
    """The latest qualification record of each lead that has one (the one an undo of the lead
    would undo), in the order of the leads."""
    latest = dict(
        Qualification.objects.filter(lead_id__in=list(lead_ids))
        .values("lead_id")
        .annotate(latest=Max("pk"))
        .values_list("lead_id", "latest")
    )
    return [latest[lead_id] for lead_id in lead_ids if lead_id in latest]


def undo_preview(*, qualification: Qualification, acting_user: Any | None) -> UndoCandidate:
    """What an undo would delete and keep, and what refuses it now (read, not locked: the
    undo itself checks again under its locks)."""
    [candidate] = examine.undo_examine(
        qualification_ids=[qualification.pk], acting_user=acting_user, lock=False
    ) or [None]
    if candidate is None:
        raise errors.UndoNotFoundError
    return candidate


def undo_blockers(*, qualification: Qualification, acting_user: Any | None = None) -> list[str]:
    """Why the qualification can't be undone now, one reason per touch ([]: it can)."""
    return undo_preview(qualification=qualification, acting_user=acting_user).reasons


def qualification_undo(*, qualification: Qualification, acting_user: Any) -> Qualification:
    """Undo one qualification in one transaction, or raise UndoRefusedError with the reasons
    (nothing changed). Returns the qualification record, marked undone."""
    with transaction.atomic():
        candidates = examine.undo_examine(
            qualification_ids=[qualification.pk], acting_user=acting_user, lock=True
        )
        if not candidates:
            raise errors.UndoNotFoundError
        [candidate] = candidates
        if not candidate.can_undo:
            message = errors.UNDO_ALREADY_DONE if candidate.already_undone else None
            raise errors.UndoRefusedError(candidate.reasons, message=message)
        _undo_write([candidate], acting_user=acting_user)
    return candidate.qualification


def qualifications_undo(*, qualification_ids: Sequence[int], acting_user: Any) -> UndoOutcome:
    """Undo every qualification whose records are untouched (a bulk job's, say); each one is
    undone or refused on its own, with the reasons. Qualifications sharing a new account (two
    leads of one company) are undone together or not at all."""
    ids = list(dict.fromkeys(qualification_ids))
    outcome = UndoOutcome()
    for start in range(0, len(ids), UNDO_CHUNK_SIZE):
        with transaction.atomic():
            candidates = examine.undo_examine(
                qualification_ids=ids[start : start + UNDO_CHUNK_SIZE],
                acting_user=acting_user,
                lock=True,
            )
            ready = [candidate for candidate in candidates if candidate.can_undo]
            if ready:
                _undo_write(ready, acting_user=acting_user)
        outcome.results += [
            UndoLeadResult(
                qualification_id=candidate.qualification.pk,
                lead_id=candidate.qualification.lead_id,
                label=candidate.label,
                undone=candidate.can_undo,
                reasons=candidate.reasons,
            )
            for candidate in candidates
        ]
    return outcome


def _timelines_of(records: list[models.Model]) -> Q:
    by_type: dict[int, list[int]] = {}
    for record in records:
        content_type = ContentType.objects.get_for_model(record)
        by_type.setdefault(content_type.pk, []).append(record.pk)
    return reduce(
        or_,
        (Q(content_type_id=type_id, object_id__in=ids) for type_id, ids in by_type.items()),
    )


def _undo_write(candidates: list[UndoCandidate], *, acting_user: Any) -> None:
    """Undo the examined, locked candidates (none of them has a reason against it)."""
    now = timezone.now()
    created = [record for candidate in candidates for record in candidate.created]
    if created:
        timeline_entries_delete(entries=TimelineEntry.objects.filter(_timelines_of(created)))
    # Opportunities first: they name the contacts and accounts (Potential Customer, PROTECT).
    for model in (Opportunity, Contact, Account):
        ids = [record.pk for record in created if isinstance(record, model)]
        if ids:
            model._base_manager.filter(pk__in=ids).delete()
    _leads_reopen(candidates, now=now)
    restores = _linked_restore(candidates, now=now)
    for candidate in candidates:
        qualification = candidate.qualification
        qualification.undone_at = now
        qualification.undone_by = acting_user
        qualification.undone_records = [
            *(_record_entry(record, "deleted") for record in candidate.created),
            *(
                _record_entry(record, "unlinked", restores.get(id(candidate), {}))
                for record in candidate.kept
            ),
        ]
    Qualification.objects.bulk_update(
        [candidate.qualification for candidate in candidates],
        ["undone_at", "undone_by", "undone_records"],
    )
    timeline_entries_bulk_add(
        entries=[
            (
                candidate.lead,
                acting_user,
                TimelineEntryKind.SYSTEM,
                UNDONE_TITLE.format(who=person(acting_user)),
                _event_body(candidate, restores.get(id(candidate), {})),
            )
            for candidate in candidates
        ],
        batch_size=None,
    )


# Per candidate, per kept record (by identity): the fields put back and those changed since.
_Restores = dict[int, tuple[list[str], list[str]]]


def _record_entry(
    record: models.Model, action: str, restores: _Restores | None = None
) -> dict[str, Any]:
    entry = {
        "record_type": record._meta.model_name,
        "id": record.pk,
        "label": str(record),
        "action": action,
    }
    restored, not_restored = (restores or {}).get(id(record), ([], []))
    if restored:
        entry["restored"] = restored
    if not_restored:
        entry["not_restored"] = not_restored
    return entry


def _event_body(candidate: UndoCandidate, restores: _Restores) -> str:
    lines = []
    if candidate.created:
        records = "; ".join(_named(record) for record in candidate.created)
        lines.append(UNDONE_DELETED.format(records=records))
    else:
        lines.append(UNDONE_NOTHING)
    if candidate.kept:
        lines.append(UNDONE_KEPT.format(records="; ".join(_named(r) for r in candidate.kept)))
    for record in candidate.kept:
        restored, not_restored = restores.get(id(record), ([], []))
        model = type(record)
        for template, names in ((UNDONE_RESTORED, restored), (UNDONE_NOT_RESTORED, not_restored)):
            if names:
                labels = ", ".join(str(model._meta.get_field(n).verbose_name) for n in names)
                lines.append(template.format(record=_named(record), fields=labels))
    return "\n".join(lines)


_MATCH_KEYS = {
    Account: (account_match_keys, ["normalized_name", "website_domain"]),
    Contact: (contact_match_keys, ["email_normalized", "full_name_normalized"]),
}


def _linked_restore(candidates: list[UndoCandidate], *, now: Any) -> dict[int, _Restores]:
    """Put back the values the qualifications wrote on the existing records they linked
    (the field changes the engine recorded), where the field still holds the value written;
    a field changed since keeps its value and is named. Latest qualification first, so two
    undone together that wrote one field end at the value before both. One query to read
    the changes and one UPDATE per record type (the records are locked by the examine)."""
    by_qualification = {candidate.qualification.pk: candidate for candidate in candidates}
    kept = {
        (type(record), record.pk): record for candidate in candidates for record in candidate.kept
    }
    changes = LinkedFieldChange.objects.filter(qualification_id__in=list(by_qualification))
    models_by_type = {"account": Account, "contact": Contact}
    results: dict[int, _Restores] = {}
    written: dict[type[models.Model], dict[int, models.Model]] = {Account: {}, Contact: {}}
    names: dict[type[models.Model], set[str]] = {Account: set(), Contact: set()}
    for change in changes.order_by("-qualification_id", "-pk"):
        model = models_by_type.get(change.record_type)
        record = kept.get((model, change.record_id)) if model is not None else None
        candidate = by_qualification[change.qualification_id]
        if record is None:
            continue
        restored, not_restored = results.setdefault(id(candidate), {}).setdefault(
            id(record), ([], [])
        )
        model_field = model._meta.get_field(change.field)
        if getattr(record, model_field.attname) != model_field.to_python(change.new_value):
            not_restored.append(change.field)
            continue
        setattr(record, model_field.attname, model_field.to_python(change.old_value))
        restored.append(change.field)
        written[model][record.pk] = record
        names[model].add(model_field.attname)
    for model, records in written.items():
        if records:
            match_keys, key_fields = _MATCH_KEYS[model]
            for record in records.values():
                match_keys(record)
                record.updated_at = now
            model._base_manager.bulk_update(
                list(records.values()), [*sorted(names[model]), *key_fields, "updated_at"]
            )
    return results


def _leads_reopen(candidates: list[UndoCandidate], *, now: Any) -> None:
    """One UPDATE: each lead back to Open with the status it had before (New for records
    written before that was kept), without the links to what it became."""
    open_statuses = LEAD_STATUS_BY_STATE[LeadState.OPEN]
    by_status: dict[str, list[int]] = {}
    for candidate in candidates:
        before = candidate.qualification.lead_status_before
        status = before if before in open_statuses else LeadStatus.NEW
        by_status.setdefault(status, []).append(candidate.lead.pk)
        lead = candidate.lead
        # The caller's copy says what the database now says.
        lead.state, lead.status_reason, lead.closed_at, lead.updated_at = (
            LeadState.OPEN,
            status,
            None,
            now,
        )
        lead.parent_account = lead.parent_contact = lead.qualifying_opportunity = None
    Lead.objects.filter(pk__in=[candidate.lead.pk for candidate in candidates]).update(
        state=LeadState.OPEN,
        status_reason=Case(
            *(When(pk__in=ids, then=Value(status)) for status, ids in by_status.items()),
            default=Value(LeadStatus.NEW),
        ),
        parent_account=None,
        parent_contact=None,
        qualifying_opportunity=None,
        closed_at=None,
        updated_at=now,
    )
