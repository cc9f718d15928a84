"""The demo leads: 320 of them over three weeks, some disqualified, some with notes, and the
near-duplicates that are there to try duplicate detection."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User

from crm.models import Need, PurchaseProcess, PurchaseTimeframe, TimelineEntryKind
from crm.services.timeline import timeline_entries_bulk_add
from leads.duplicates.keys import lead_match_keys
from leads.models import Lead, LeadSource, LeadState, LeadStatus, Rating
from qualification.demo.catalog import (
    DESCRIPTIONS,
    EVENTS,
    INDUSTRIES,
    LEAD_COUNT,
    NEAR_DUPLICATE_COMPANIES,
    NOTE_TEXTS,
    QUALIFIED_COUNT,
)
from qualification.demo.values import DemoValues


def is_qualify_candidate(index: int) -> bool:
    """Leads 7, 17, 27, ...: never one of the near-duplicates (3, 13, 23, ...), which stay
    open for trying duplicate detection."""
    return index < QUALIFIED_COUNT * 10 and index % 10 == 7


def _lead(demo: DemoValues, *, company: str, owner: User) -> Lead:
    first, last = demo.fake.first_name(), demo.fake.last_name()
    description = demo.random.choice(DESCRIPTIONS).format(
        event=demo.random.choice(EVENTS), month=demo.fake.month_name()
    )
    return Lead(
        topic=demo.topic(),
        first_name=first,
        last_name=last,
        job_title=demo.fake.job()[:100],
        company_name=company,
        business_phone=demo.phone(),
        mobile_phone=demo.phone() if demo.random.random() < 0.6 else "",
        email=demo.email(first, last, company),
        website=f"https://www.{demo.domain(company)}",
        description=description,
        lead_source=demo.random.choice(LeadSource.values),
        rating=demo.random.choices(Rating.values, weights=(2, 5, 3))[0],
        industry=demo.random.choice(INDUSTRIES),
        owner=owner,
        purchase_timeframe=demo.random.choice(["", *PurchaseTimeframe.values]),
        budget_amount=demo.budget() if demo.random.random() < 0.6 else None,
        purchase_process=demo.random.choice(["", *PurchaseProcess.values]),
        decision_maker=demo.random.random() < 0.4,
        need=demo.random.choice(["", *Need.values]),
        **demo.address(),
    )


def leads_create(demo: DemoValues) -> list[Lead]:
    companies = [demo.fake.unique.company() for _ in range(LEAD_COUNT)]
    # Every tenth lead is a near-duplicate company, and two leads copy known contacts.
    for index, company in enumerate(NEAR_DUPLICATE_COMPANIES):
        companies[index * 10 + 3] = company
    leads = [_lead(demo, company=company[:100], owner=demo.owner()) for company in companies]
    _near_duplicate_people(demo, leads)
    for index, lead in enumerate(leads):
        roll = demo.random.random()
        if is_qualify_candidate(index):
            lead.status_reason = LeadStatus.CONTACTED  # qualified later through the engine
        elif roll < 0.12:
            lead.state = LeadState.DISQUALIFIED
            lead.status_reason = demo.random.choice(
                (
                    LeadStatus.LOST,
                    LeadStatus.CANNOT_CONTACT,
                    LeadStatus.NO_LONGER_INTERESTED,
                    LeadStatus.CANCELED,
                )
            )
        elif roll < 0.42:
            lead.status_reason = LeadStatus.CONTACTED
    for lead in leads:
        lead_match_keys(lead)
    leads = Lead.objects.bulk_create(leads, batch_size=500)
    # created_at is auto_now_add: spread the leads over the last three weeks afterwards so
    # that "Leads Opened This Week" and "Leads Opened Last Week" both have rows. The
    # disqualified ones were closed a few days after they came in (Insights' time to a
    # decision).
    for lead in leads:
        lead.created_at = demo.when(days=21)
        if lead.state == LeadState.DISQUALIFIED:
            lead.closed_at = demo.after(lead.created_at)
    Lead.objects.bulk_update(leads, ["created_at", "closed_at"], batch_size=500)
    return leads


def _near_duplicate_people(demo: DemoValues, leads: list[Lead]) -> None:
    nancy = leads[0 * 10 + 3]  # "Contoso, Inc.": same email as a contact, other case
    nancy.first_name, nancy.last_name = "Nancy", "Davolio"
    nancy.email = "Nancy.Davolio@CONTOSO.com"
    janet = leads[3 * 10 + 3]  # "Fabrikam Inc": same full name as a Fabrikam contact
    janet.first_name, janet.last_name = "Janet", "Leverling"
    janet.email = "j.leverling@fabrikam-mail.com"


def lead_events_add(demo: DemoValues, leads: list[Lead]) -> None:
    """Disqualified leads get their system event; some open leads get notes."""
    entries: list[tuple[Any, User | None, str, str, str]] = []
    for lead in leads:
        if lead.state == LeadState.DISQUALIFIED:
            title = f"Lead disqualified: {LeadStatus(lead.status_reason).label}"
            entries.append((lead, lead.owner, TimelineEntryKind.SYSTEM, title, ""))
        elif demo.random.random() < 0.09:
            title, body = demo.random.choice(NOTE_TEXTS)
            entries.append((lead, lead.owner, TimelineEntryKind.NOTE, title, body))
    timeline_entries_bulk_add(entries=entries)
    demo.entries_after_records(Lead, leads)
