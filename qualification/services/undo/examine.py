"""Which qualifications can be undone: the records each one created, and what touched them.

A qualification can be undone while the records it *created* are as it left them: not edited
since (their "modified on" is not later than the qualification), still open (opportunities),
and nothing else points at them. "Nothing else" is read from the models (`crm.links`, the
`_meta` walk the merge and the delete use): every row of any model that points at a created
account, contact or opportunity must belong to the qualification itself (its lead's links, its
origins, its own contact under its account, its opportunities, the engine's "Opportunity
created" and summary events) or to another qualification undone together with it (a bulk job
whose leads share one new account). Anything else is a touch, named with who made it: a note,
a contact or opportunity added under the account, another lead naming the account, a later
qualification that linked it. A new model pointing at accounts blocks an undo until it is
taught here that its rows are the qualification's own.

The records have no "modified by", so an edit is named by when it was made; notes and added
records name their author or owner.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import reduce
from operator import or_
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Max, OuterRef, Subquery
from django.utils import timezone
from django.utils.formats import date_format

from crm.links import Link, record_links
from crm.models import (
    Account,
    Contact,
    Opportunity,
    OpportunityState,
    TimelineEntry,
    TimelineEntryKind,
)
from leads.models import Lead, LeadOrigin, LeadState
from leads.selectors import lead_can_change
from leads.services import locking
from qualification import duplicates
from qualification.engine import OPPORTUNITY_CREATED_TITLE
from qualification.models import Qualification, QualificationOpportunity
from qualification.services.undo import errors

# The columns through which a lead points at the records its qualification made.
_LEAD_OWN_COLUMNS = ("parent_account_id", "parent_contact_id", "qualifying_opportunity_id")
# Who a pointing row is by, in this order of preference.
_PERSON_FIELDS = ("author", "owner", "qualified_by")


def person(user: Any) -> str:
    if user is None:
        return "someone no longer here"
    return user.get_full_name() or user.get_username()


def _when(moment: Any) -> str:
    return date_format(timezone.localtime(moment), "M j, Y H:i")


def _kind(model: type[models.Model]) -> str:
    return str(model._meta.verbose_name).capitalize()


@dataclass(eq=False)
class UndoCandidate:
    """One qualification and what an undo would do: delete `created`, unlink `kept`."""

    qualification: Qualification
    lead: Lead | None
    accounts: list[Account] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    opportunities: list[Opportunity] = field(default_factory=list)
    # The existing records it linked: they stay, without the lead's link.
    kept: list[models.Model] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    already_undone: bool = False

    @property
    def created(self) -> list[models.Model]:
        """Deleted by the undo, in the order they go (opportunities name the others)."""
        return [*self.opportunities, *self.contacts, *self.accounts]

    @property
    def deleted_rows(self) -> list[tuple[str, models.Model]]:
        """(kind, record) of what the undo deletes, for the dialog."""
        return [(_kind(type(record)), record) for record in self.created]

    @property
    def kept_rows(self) -> list[tuple[str, models.Model]]:
        return [(_kind(type(record)), record) for record in self.kept]

    @property
    def can_undo(self) -> bool:
        return not self.reasons

    @property
    def label(self) -> str:
        return str(self.lead) if self.lead is not None else self.qualification.lead_label

    def owns(self, row: models.Model, link: Link) -> bool:
        """Whether `row`, pointing through `link` at one of the created records, is part of
        this qualification (and goes, or is changed back, with its undo)."""
        qualification = self.qualification
        if isinstance(row, Contact):
            return row.pk in {contact.pk for contact in self.contacts}
        if isinstance(row, Opportunity):
            return row.pk in {opportunity.pk for opportunity in self.opportunities}
        if isinstance(row, Lead):
            return row.pk == qualification.lead_id and link.column in _LEAD_OWN_COLUMNS
        if isinstance(row, LeadOrigin):
            return row.lead_id == qualification.lead_id
        if isinstance(row, Qualification):
            return row.pk == qualification.pk
        if isinstance(row, QualificationOpportunity):
            return row.qualification_id == qualification.pk
        if isinstance(row, TimelineEntry):
            opportunity_type = ContentType.objects.get_for_model(Opportunity)
            engine_event = row.kind == TimelineEntryKind.SUMMARY or (
                row.kind == TimelineEntryKind.SYSTEM and row.title == OPPORTUNITY_CREATED_TITLE
            )
            return (
                engine_event
                and row.content_type_id == opportunity_type.pk
                and row.object_id in {opportunity.pk for opportunity in self.opportunities}
            )
        return False


@dataclass(eq=False)
class _Pointer:
    """A row pointing through `link` at the created record `target`."""

    row: models.Model
    link: Link
    target: models.Model
    owners: set[int] = field(default_factory=set)  # indexes of the candidates owning it


def undo_examine(
    *, qualification_ids: Sequence[int], acting_user: Any | None, lock: bool
) -> list[UndoCandidate]:
    """Each qualification that exists, in the order given, with the reasons it can't be
    undone (none: it can). `lock` (inside the undo's transaction) locks the leads, the match
    keys of the created records and every record it created or linked, so this is the check
    that decides; without it, it is the dialog's preview. `acting_user` None skips the
    permission check (the admin's audit page shows the touches alone)."""
    ids = list(dict.fromkeys(qualification_ids))
    leads: dict[int, Lead] | None = None
    if lock:
        # The lead first, as every lead write: two undos (or an undo and a reactivate) of
        # one lead queue here, and the second reads the first's result below.
        lead_ids = Qualification.objects.filter(pk__in=ids).values_list("lead_id", flat=True)
        leads = locking.leads_lock([lead_id for lead_id in lead_ids if lead_id is not None])
    qualifications = _qualifications(ids, with_leads=leads is None)
    candidates = [
        UndoCandidate(
            qualification=qualification,
            lead=qualification.lead if leads is None else leads.get(qualification.lead_id),
        )
        for qualification in qualifications
    ]
    if lock:
        _match_keys_lock(candidates)
    _records_attach(candidates, lock=lock)
    for candidate in candidates:
        _state_reasons(candidate, acting_user=acting_user)
    _pointer_reasons(candidates)
    return candidates


def _qualifications(ids: list[int], *, with_leads: bool) -> list[Qualification]:
    latest = (
        Qualification.objects.filter(lead_id=OuterRef("lead_id"))
        .values("lead_id")
        .annotate(latest=Max("pk"))
        .values("latest")
    )
    rows = (
        Qualification.objects.filter(pk__in=ids)
        .select_related("undone_by", "account", "contact", *(["lead"] if with_leads else []))
        .annotate(latest_id=Subquery(latest))
    )
    by_id = {row.pk: row for row in rows}
    return [by_id[pk] for pk in ids if pk in by_id]


def _match_keys_lock(candidates: list[UndoCandidate]) -> None:
    """The engine's advisory locks on the match keys of the accounts and contacts about to be
    deleted: a qualify deciding whether one of them is a duplicate waits for the undo, then
    sees it gone, instead of linking a record that is being deleted."""
    rules = duplicates.DuplicateRules()
    accounts, contacts = [], []
    for candidate in candidates:
        qualification = candidate.qualification
        if qualification.account_created and qualification.account is not None:
            account = qualification.account
            accounts.append(
                duplicates.account_keys_of(name=account.name, website=account.website, rules=rules)
            )
        if qualification.contact_created and qualification.contact is not None:
            contact = qualification.contact
            contacts.append(
                duplicates.contact_keys_of(
                    first_name=contact.first_name,
                    last_name=contact.last_name,
                    email=contact.email,
                    rules=rules,
                )
            )
    if accounts or contacts:
        duplicates.match_keys_lock(accounts=accounts, contacts=contacts)


def _rows(model: type[models.Model], ids: set[int], *, lock: bool) -> dict[int, Any]:
    if not ids:
        return {}
    rows = model._base_manager.filter(pk__in=ids).order_by("pk")
    if lock:
        rows = rows.select_for_update()
    return {row.pk: row for row in rows}


def _records_attach(candidates: list[UndoCandidate], *, lock: bool) -> None:
    """Read (and lock) the records each qualification created or linked, in id order per
    table: one query per table, whatever the number of qualifications."""
    links = QualificationOpportunity.objects.filter(
        qualification__in=[candidate.qualification for candidate in candidates]
    ).values_list("qualification_id", "opportunity_id")
    opportunity_ids: dict[int, list[int]] = {}
    for qualification_id, opportunity_id in links.order_by("qualification_id", "position"):
        opportunity_ids.setdefault(qualification_id, []).append(opportunity_id)
    qualifications = [candidate.qualification for candidate in candidates]
    accounts = _rows(Account, {q.account_id for q in qualifications if q.account_id}, lock=lock)
    contacts = _rows(Contact, {q.contact_id for q in qualifications if q.contact_id}, lock=lock)
    opportunities = _rows(
        Opportunity, {pk for pks in opportunity_ids.values() for pk in pks}, lock=lock
    )
    for candidate in candidates:
        qualification = candidate.qualification
        for name, found, target in (
            ("account", accounts, candidate.accounts),
            ("contact", contacts, candidate.contacts),
        ):
            record = found.get(getattr(qualification, f"{name}_id"))
            if getattr(qualification, f"{name}_created"):
                if record is None:
                    candidate.reasons.append(errors.REASON_RECORD_GONE.format(kind=name))
                else:
                    target.append(record)
            elif record is not None:
                candidate.kept.append(record)
        candidate.opportunities = [
            opportunities[pk] for pk in opportunity_ids.get(qualification.pk, [])
        ]


def _state_reasons(candidate: UndoCandidate, *, acting_user: Any | None) -> None:
    """What the qualification, its lead and its records say by themselves."""
    qualification, lead = candidate.qualification, candidate.lead
    reasons: list[str] = []
    if qualification.undone_at is not None:
        candidate.already_undone = True
        reasons.append(
            errors.REASON_ALREADY_UNDONE.format(
                when=_when(qualification.undone_at), who=person(qualification.undone_by)
            )
        )
    elif lead is None:
        reasons.append(errors.REASON_LEAD_DELETED)
    else:
        if acting_user is not None and not lead_can_change(acting_user, lead):
            reasons.append(errors.REASON_NOT_YOURS)
        if lead.state != LeadState.QUALIFIED or qualification.latest_id != qualification.pk:
            reasons.append(errors.REASON_LEAD_MOVED_ON)
    if candidate.already_undone:
        candidate.reasons = reasons
        return
    for record in candidate.created:
        if record.updated_at > qualification.created_at:
            reasons.append(
                errors.REASON_EDITED.format(
                    kind=_kind(type(record)), record=record, when=_when(record.updated_at)
                )
            )
        if isinstance(record, Opportunity) and record.state != OpportunityState.OPEN:
            reasons.append(
                errors.REASON_NOT_OPEN.format(
                    record=record, status=record.get_status_reason_display()
                )
            )
    candidate.reasons = [*candidate.reasons, *reasons]


def _pointers(candidates: list[UndoCandidate]) -> list[_Pointer]:
    """Every row pointing at a created record of a candidate still in the running: one query
    per model that can point at accounts, contacts or opportunities."""
    targets: dict[type[models.Model], dict[int, models.Model]] = {}
    for candidate in candidates:
        if candidate.already_undone:
            continue
        for record in candidate.created:
            targets.setdefault(type(record), {})[record.pk] = record
    by_model: dict[type[models.Model], list[tuple[Link, type[models.Model]]]] = {}
    for record_model in targets:
        for link in record_links(record_model):
            by_model.setdefault(link.model, []).append((link, record_model))
    pointers = []
    for model in sorted(by_model, key=lambda model: model._meta.label):
        links = by_model[model]
        condition = reduce(
            or_, (link.pointing_at(target, list(targets[target])) for link, target in links)
        )
        people = [
            name
            for name in _PERSON_FIELDS
            if any(f.name == name and f.is_relation for f in model._meta.concrete_fields)
        ]
        rows = model._base_manager.filter(condition).order_by("pk")
        for row in rows.select_related(*people) if people else rows:
            for link, target_model in links:
                if (
                    link.generic_type_column
                    and getattr(row, link.generic_type_column)
                    != ContentType.objects.get_for_model(target_model).pk
                ):
                    continue
                target = targets[target_model].get(getattr(row, link.column))
                if target is not None:
                    pointers.append(_Pointer(row=row, link=link, target=target))
    return pointers


def _pointer_reasons(candidates: list[UndoCandidate]) -> None:
    """Refuse each candidate whose created records have a row pointing at them that is
    neither its own nor that of another candidate undone with it; repeated until no more
    candidates drop out (one that drops out takes its rows' blessing with it)."""
    pointers = _pointers(candidates)
    creator: dict[tuple[type[models.Model], int], int] = {}
    for index, candidate in enumerate(candidates):
        for record in candidate.created:
            creator[(type(record), record.pk)] = index
        for pointer in pointers:
            if candidate.owns(pointer.row, pointer.link):
                pointer.owners.add(index)
    running = {index for index, candidate in enumerate(candidates) if candidate.can_undo}
    while True:
        dropped: dict[int, list[_Pointer]] = {}
        for pointer in pointers:
            index = creator.get((type(pointer.target), pointer.target.pk))
            if index in running and not pointer.owners & running:
                dropped.setdefault(index, []).append(pointer)
        if not dropped:
            return
        for index, blocking in dropped.items():
            running.discard(index)
            candidates[index].reasons += _describe(blocking)


def _describe(pointers: list[_Pointer]) -> list[str]:
    """One reason per pointing row (its fields together when it points more than once)."""
    grouped: dict[tuple[Any, ...], list[_Pointer]] = {}
    for pointer in pointers:
        key = (type(pointer.row), pointer.row.pk, type(pointer.target), pointer.target.pk)
        grouped.setdefault(key, []).append(pointer)
    return [_reason(group) for group in grouped.values()]


def _reason(group: list[_Pointer]) -> str:
    row, target = group[0].row, group[0].target
    kind = _kind(type(target))
    if isinstance(row, TimelineEntry):
        title = row.title or row.body[:60] or row.attachment.name or row.get_kind_display()
        template = (
            errors.REASON_NOTE if row.kind == TimelineEntryKind.NOTE else errors.REASON_TIMELINE
        )
        return template.format(kind=kind, record=target, who=person(row.author), title=title)
    if isinstance(row, Qualification):
        return errors.REASON_USED_BY_QUALIFICATION.format(
            kind=kind, record=target, lead=row.lead_label, who=person(row.qualified_by)
        )
    by = next(
        (f", owner {person(getattr(row, name))}" for name in ("owner",) if hasattr(row, name)),
        "",
    )
    return errors.REASON_POINTED_AT.format(
        kind=kind,
        record=target,
        row_kind=row._meta.verbose_name,
        row=row,
        field=", ".join(pointer.link.label for pointer in group),
        by=by,
    )
