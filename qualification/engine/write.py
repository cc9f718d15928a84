"""Writing the decided leads of a batch (one lead, or a bulk chunk): one INSERT per table and
one UPDATE for the leads, whatever the number of leads, inside the caller's transaction with
the leads locked. Every lead given here is written whole; a lead that failed was left out.

The INSERTs go through `crm.rows` (on PostgreSQL, one JSON document per table turned into rows
by the server): the accounts, contacts and opportunities are model instances already (the
caller gets them back), the other rows (originating-lead links, qualification records, their
opportunity links, timeline entries) are plain tuples; a result's qualification record is
built as an instance only when someone asks for it (the screens do, bulk qualify does not)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection
from django.utils import timezone

from crm.models import Account, Contact, Opportunity, TimelineEntryKind
from crm.rows import instances_insert, rows_insert
from crm.services.timeline import timeline_entries_bulk_add
from leads.models import Lead, LeadOrigin, LeadState, LeadStatus
from qualification.engine.decide import LeadDecision, RecordPick
from qualification.engine.linked import LinkedChange, linked_changes_write
from qualification.engine.opportunities import opportunity_build
from qualification.models import (
    DuplicateDecision,
    LinkedFieldChange,
    Qualification,
    QualificationOpportunity,
)

QUALIFIED_TITLE = "Lead qualified"
OPPORTUNITY_CREATED_TITLE = "Opportunity created"
OPPORTUNITY_CREATED_BODY = "Created when lead {lead} was qualified."
SUMMARY_TITLE = "Lead summary"
BULK_NOTE = "Qualified in a bulk qualify."


@dataclass
class QualifyResult:
    lead: Lead
    account: Account | None
    contact: Contact | None
    opportunities: list[Opportunity]
    summary: str = ""
    account_created: bool = False
    contact_created: bool = False
    # The fields changed on the linked existing account and contact.
    linked_changes: list[LinkedChange] = field(default_factory=list)
    # The qualification record's field values (id included), by field name.
    qualification_values: dict[str, Any] = field(default_factory=dict, repr=False)
    _qualification: Qualification | None = field(default=None, repr=False)

    @property
    def qualification_id(self) -> int:
        """The qualification record's id, without building the record (bulk qualify counts
        thousands of them)."""
        return self.qualification_values["id"]

    @property
    def qualification(self) -> Qualification:
        """The qualification record, as saved (an instance built on first use, no query)."""
        if self._qualification is None:
            qualification = Qualification(**self.qualification_values)
            qualification._state.adding = False
            qualification._state.db = connection.alias
            self._qualification = qualification
        return self._qualification

    @property
    def primary_opportunity(self) -> Opportunity | None:
        return self.opportunities[0] if self.opportunities else None


def qualified_event_body(
    *,
    account: Account | None,
    account_created: bool,
    contact: Contact | None,
    contact_created: bool,
    opportunities: list[Opportunity],
    note: str = "",
) -> str:
    """The body of the "Lead qualified" timeline event: `note` first, then each record."""
    lines = [note] if note else []
    if account is not None:
        lines.append(f"Account: {account} ({'created' if account_created else 'linked'})")
    if contact is not None:
        lines.append(f"Contact: {contact} ({'created' if contact_created else 'linked'})")
    for position, opportunity in enumerate(opportunities):
        role = " (primary)" if position == 0 and len(opportunities) > 1 else ""
        lines.append(f"Opportunity: {opportunity}{role} (created)")
    if not lines:
        lines.append("No account, contact or opportunity was created.")
    return "\n".join(lines)


@dataclass(eq=False)
class _Written:
    """One lead's records after the INSERTs."""

    decision: LeadDecision
    account_created: bool = False
    contact_created: bool = False
    opportunities: list[Opportunity] | None = None
    linked_changes: list[LinkedChange] = field(default_factory=list)


def _creators(written: list[_Written], attr: str) -> dict[int, _Written]:
    """New records (by identity) and the first lead using each: it is their originating lead.
    A record first planned by a lead that failed is created for the next lead sharing it."""
    creators: dict[int, _Written] = {}
    for item in written:
        record = getattr(item.decision, attr).record
        if record is not None and record.pk is None:
            creators.setdefault(id(record), item)
    return creators


def _audit(pick: RecordPick, created: bool) -> tuple[str, list[dict[str, Any]]]:
    """The qualification record's duplicate decision and matches for one record type. A lead
    sharing a record another lead of the batch created was kept from duplicating it."""
    record = pick.record
    if record is not None and not created and not pick.matches and pick.existing_id is None:
        return DuplicateDecision.LINKED, [{"id": record.pk, "label": str(record)}]
    return pick.duplicates, [{"id": match.pk, "label": str(match)} for match in pick.matches]


def leads_write(
    *, decisions: list[LeadDecision], acting_user: Any, bulk: bool, bulk_job_id: int | None = None
) -> list[QualifyResult]:
    """Write every decided lead (none of them has an error); returns their results in order.
    `bulk_job_id`: the background job the qualification records belong to."""
    now = timezone.now()
    # Before the INSERTs: a linked record is one that has a primary key already.
    linked = linked_changes_write(decisions=decisions, now=now)
    written = [
        _Written(decision, linked_changes=changes)
        for decision, changes in zip(decisions, linked, strict=True)
    ]
    account_creators = _creators(written, "account")
    for item in account_creators.values():
        item.account_created = True
    instances_insert(
        model=Account,
        objs=[item.decision.account.record for item in account_creators.values()],
        now=now,
    )
    contact_creators = _creators(written, "contact")
    new_contacts = []
    for item in contact_creators.values():
        item.contact_created = True
        contact = item.decision.contact.record
        # A new contact sits under the account of the lead that created it.
        contact.account = item.decision.account.record
        new_contacts.append(contact)
    instances_insert(model=Contact, objs=new_contacts, now=now)
    for item in written:
        decision = item.decision
        item.opportunities = [
            opportunity_build(
                lead=decision.lead,
                values=values,
                relations=decision.opportunity_relations,
                account=decision.account.record,
                contact=decision.contact.record,
            )
            for values in decision.opportunity_rows
        ]
    instances_insert(
        model=Opportunity,
        objs=[o for item in written for o in item.opportunities or []],
        now=now,
    )
    _origins_write(written, account_creators, contact_creators, now=now)
    qualifications = _qualifications_write(
        written, acting_user=acting_user, bulk=bulk, bulk_job_id=bulk_job_id, now=now
    )
    _timeline_write(written, acting_user=acting_user, bulk=bulk)
    _leads_mark_qualified(written=written, now=now)
    return [
        QualifyResult(
            lead=item.decision.lead,
            account=item.decision.account.record,
            contact=item.decision.contact.record,
            opportunities=item.opportunities or [],
            summary=item.decision.summary,
            account_created=item.account_created,
            contact_created=item.contact_created,
            linked_changes=item.linked_changes,
            qualification_values=values,
        )
        for item, values in zip(written, qualifications, strict=True)
    ]


def _pk(record: Any) -> int | None:
    return record.pk if record is not None else None


_ORIGIN_ATTNAMES = ("lead_id", "account_id", "contact_id", "opportunity_id", "created_at")


def _origins_write(
    written: list[_Written],
    account_creators: dict[int, _Written],
    contact_creators: dict[int, _Written],
    *,
    now: datetime,
) -> None:
    origins = [
        (item.decision.lead.pk, item.decision.account.record.pk, None, None, now)
        for item in account_creators.values()
    ]
    origins += [
        (item.decision.lead.pk, None, item.decision.contact.record.pk, None, now)
        for item in contact_creators.values()
    ]
    origins += [
        (item.decision.lead.pk, None, None, opportunity.pk, now)
        for item in written
        for opportunity in item.opportunities or []
    ]
    rows_insert(model=LeadOrigin, attnames=_ORIGIN_ATTNAMES, rows=origins, returning=False)


_QUALIFICATION_FIELDS = (
    "lead",
    "lead_label",
    "qualified_by",
    "experience",
    "bulk",
    "bulk_job_id",
    "account",
    "account_created",
    "account_duplicates",
    "contact",
    "contact_created",
    "contact_duplicates",
    "duplicate_matches",
    "summary",
    "lead_status_before",
    "created_at",
)
_QUALIFICATION_ATTNAMES = tuple(
    Qualification._meta.get_field(name).attname for name in _QUALIFICATION_FIELDS
)
_LINK_ATTNAMES = ("qualification_id", "opportunity_id", "position")


def _qualifications_write(
    written: list[_Written],
    *,
    acting_user: Any,
    bulk: bool,
    bulk_job_id: int | None,
    now: datetime,
) -> list[dict[str, Any]]:
    """The qualification records and their opportunity links; each record's values by field
    name (with its id), for `QualifyResult.qualification`."""
    records = []
    for item in written:
        decision = item.decision
        account_duplicates, account_matches = _audit(decision.account, item.account_created)
        contact_duplicates, contact_matches = _audit(decision.contact, item.contact_created)
        matches = {"account": account_matches, "contact": contact_matches}
        values = (
            decision.lead,
            str(decision.lead)[:400],
            acting_user,
            decision.plan.settings.experience,
            bulk,
            bulk_job_id,
            decision.account.record,
            item.account_created,
            account_duplicates,
            decision.contact.record,
            item.contact_created,
            contact_duplicates,
            {key: value for key, value in matches.items() if value},
            decision.summary,
            # Read before `_leads_mark_qualified` changes it: an undo puts it back.
            decision.lead.status_reason,
            now,
        )
        records.append(dict(zip(_QUALIFICATION_FIELDS, values, strict=True)))
    relations = {"lead", "qualified_by", "account", "contact"}
    rows = [
        tuple(_pk(record[name]) if name in relations else record[name] for name in record)
        for record in records
    ]
    ids = rows_insert(model=Qualification, attnames=_QUALIFICATION_ATTNAMES, rows=rows)
    for record, pk in zip(records, ids, strict=True):
        record["id"] = pk
    links = [
        (pk, opportunity.pk, position)
        for item, pk in zip(written, ids, strict=True)
        for position, opportunity in enumerate(item.opportunities or [])
    ]
    rows_insert(
        model=QualificationOpportunity, attnames=_LINK_ATTNAMES, rows=links, returning=False
    )
    changes = [
        LinkedFieldChange(
            qualification_id=pk,
            record_type=change.record_type,
            record_id=change.record.pk,
            field=change.name,
            old_value=change.old,
            new_value=change.new,
        )
        for item, pk in zip(written, ids, strict=True)
        for change in item.linked_changes
    ]
    if changes:
        LinkedFieldChange.objects.bulk_create(changes)
    return records


def _timeline_write(written: list[_Written], *, acting_user: Any, bulk: bool) -> None:
    """The "Lead qualified" event, an "Opportunity created" event on each opportunity and the
    summary (on the lead and the primary opportunity), all in one INSERT."""
    system, summary_kind = TimelineEntryKind.SYSTEM, TimelineEntryKind.SUMMARY
    entries: list[tuple[Any, Any, str, str, str]] = []
    for item in written:
        decision, opportunities = item.decision, item.opportunities or []
        body = qualified_event_body(
            account=decision.account.record,
            account_created=item.account_created,
            contact=decision.contact.record,
            contact_created=item.contact_created,
            opportunities=opportunities,
            note=BULK_NOTE if bulk else "",
        )
        entries.append((decision.lead, acting_user, system, QUALIFIED_TITLE, body))
        created = OPPORTUNITY_CREATED_BODY.format(lead=decision.lead)
        entries += [
            (opportunity, acting_user, system, OPPORTUNITY_CREATED_TITLE, created)
            for opportunity in opportunities
        ]
        if decision.summary:
            entries += [
                (record, acting_user, summary_kind, SUMMARY_TITLE, decision.summary)
                for record in [decision.lead, *opportunities[:1]]
            ]
    timeline_entries_bulk_add(entries=entries, batch_size=None)


def _leads_mark_qualified(*, written: list[_Written], now: datetime) -> None:
    """One UPDATE for the batch's leads: the same state for all, each lead's own links.

    The links come from a list joined on the lead id (UPDATE ... FROM, in PostgreSQL and SQLite
    3.33+): on PostgreSQL one JSON parameter (`json_to_recordset`, as `crm.rows` inserts),
    elsewhere a VALUES list. `bulk_update` would write the same in one statement, but as a
    CASE per column over every id: quadratic in the chunk, and several times slower at 500.
    """
    quote = connection.ops.quote_name

    def column(name: str) -> str:
        return quote(Lead._meta.get_field(name).column)

    table = quote(Lead._meta.db_table)
    stamp = Lead._meta.get_field("updated_at").get_db_prep_value(now, connection)
    params: list[Any] = [LeadState.QUALIFIED, LeadStatus.QUALIFIED, stamp, stamp]
    links = []
    for item in written:
        lead, account, contact = item.decision.lead, item.decision.account, item.decision.contact
        primary = item.opportunities[0] if item.opportunities else None
        links.append((lead.pk, _pk(account.record), _pk(contact.record), _pk(primary)))
        # The caller's copy of the lead says what the database now says.
        lead.state, lead.status_reason = LeadState.QUALIFIED, LeadStatus.QUALIFIED
        lead.parent_account, lead.parent_contact = account.record, contact.record
        lead.qualifying_opportunity = primary
        lead.closed_at = lead.updated_at = now
    if connection.vendor == "postgresql":
        source = (
            "(SELECT r ->> 0 AS column1, r ->> 1 AS column2, r ->> 2 AS column3, "
            "r ->> 3 AS column4 FROM json_array_elements(%s::json) AS r)"
        )
        params.append(json.dumps(links))
        cast = "CAST(links.{} AS BIGINT)"
    else:
        row = "(CAST(%s AS BIGINT), CAST(%s AS BIGINT), CAST(%s AS BIGINT), CAST(%s AS BIGINT))"
        source = f"(VALUES {', '.join([row] * len(written))})"
        params += [value for link in links for value in link]
        cast = "links.{}"
    # Identifiers come from the model, quoted by the backend; every value is a parameter.
    sql = (
        f"UPDATE {table} SET {column('state')} = %s, {column('status_reason')} = %s, "  # noqa: S608
        f"{column('updated_at')} = %s, {column('closed_at')} = %s, "
        f"{column('parent_account')} = {cast.format('column2')}, "
        f"{column('parent_contact')} = {cast.format('column3')}, "
        f"{column('qualifying_opportunity')} = {cast.format('column4')} "
        f"FROM {source} AS links "
        f"WHERE {table}.{column('id')} = {cast.format('column1')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
