"""The demo's customer records: hand-made accounts, their contacts (with known people for
duplicate detection) and opportunities at every stage, with their stage events."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib.auth.models import User

from crm.models import (
    Account,
    Contact,
    Need,
    Opportunity,
    OpportunityState,
    OpportunityStatus,
    PurchaseProcess,
    PurchaseTimeframe,
    SalesStage,
    TimelineEntryKind,
)
from crm.services.records import STAGE_ORDER, account_match_keys, contact_match_keys
from crm.services.timeline import timeline_entries_bulk_add
from qualification.demo.catalog import ACCOUNT_COUNT, ACCOUNT_NAMES, INDUSTRIES
from qualification.demo.values import DemoValues


def accounts_create(demo: DemoValues) -> list[Account]:
    accounts = []
    for name in ACCOUNT_NAMES[:ACCOUNT_COUNT]:
        account = Account(
            name=name,
            website=f"https://www.{demo.domain(name)}",
            phone=demo.phone(),
            email=f"info@{demo.domain(name)}",
            industry=demo.random.choice(INDUSTRIES),
            owner=demo.owner(),
            **demo.address(),
        )
        accounts.append(account_match_keys(account))
    accounts = Account.objects.bulk_create(accounts)
    for account in accounts:
        account.created_at = demo.when(days=240)
    Account.objects.bulk_update(accounts, ["created_at"])
    return accounts


def contacts_create(demo: DemoValues, accounts: list[Account]) -> list[Contact]:
    contacts = []
    for account in accounts:
        for _ in range(demo.random.choice((2, 2, 2, 3))):
            first, last = demo.fake.first_name(), demo.fake.last_name()
            contacts.append(
                _contact(demo, first, last, account, demo.email(first, last, account.name))
            )
    by_name = {account.name: account for account in accounts}
    # Known people for duplicate detection: a lead repeats Nancy's email in capitals and
    # Janet's full name; Andrew is in the CRM twice already (same email, other case).
    contoso, fabrikam, northwind = (
        by_name["Contoso Ltd"],
        by_name["Fabrikam GmbH"],
        by_name["Northwind Traders"],
    )
    contacts += [
        _contact(demo, "Nancy", "Davolio", contoso, "nancy.davolio@contoso.com"),
        _contact(demo, "Janet", "Leverling", fabrikam, "janet.leverling@fabrikam.com"),
        _contact(demo, "Andrew", "Fuller", northwind, "andrew.fuller@northwindtraders.com"),
        _contact(demo, "Andrew", "Fuller", northwind, "Andrew.Fuller@NorthwindTraders.com"),
    ]
    for _ in range(6):  # private buyers without an account
        first, last = demo.fake.first_name(), demo.fake.last_name()
        contacts.append(_contact(demo, first, last, None, f"{first}.{last}@mail.example"))
    contacts = Contact.objects.bulk_create(contacts)
    for contact in contacts:
        contact.created_at = demo.when(days=200)
    Contact.objects.bulk_update(contacts, ["created_at"])
    return contacts


def _contact(
    demo: DemoValues, first: str, last: str, account: Account | None, email: str
) -> Contact:
    contact = Contact(
        first_name=first,
        last_name=last,
        job_title=demo.fake.job()[:100],
        email=email.replace(" ", "").replace("'", ""),
        business_phone=demo.phone(),
        mobile_phone=demo.phone() if demo.random.random() < 0.5 else "",
        account=account,
        owner=account.owner if account else demo.owner(),
        **demo.address(),
    )
    return contact_match_keys(contact)


def opportunities_create(
    demo: DemoValues, accounts: list[Account], contacts: list[Contact]
) -> list[Opportunity]:
    people = {account.pk: [] for account in accounts}
    for contact in contacts:
        if contact.account_id is not None:
            people[contact.account_id].append(contact)
    private = [contact for contact in contacts if contact.account_id is None]
    opportunities = []
    for index, account in enumerate(accounts):
        contact = demo.random.choice(people[account.pk]) if people[account.pk] else None
        opportunities.append(_opportunity(demo, account=account, contact=contact, index=index))
    for index, contact in enumerate(private[:4], start=len(accounts)):
        opportunities.append(_opportunity(demo, account=None, contact=contact, index=index))
    opportunities = Opportunity.objects.bulk_create(opportunities)
    for opportunity in opportunities:
        opportunity.created_at = demo.when(days=120)
    Opportunity.objects.bulk_update(opportunities, ["created_at"])
    _stage_events_add(demo, opportunities)
    return opportunities


def _opportunity(
    demo: DemoValues, *, account: Account | None, contact: Contact | None, index: int
) -> Opportunity:
    stage = STAGE_ORDER[index % 3]
    state, status = OpportunityState.OPEN, OpportunityStatus.IN_PROGRESS
    if index % 9 == 8:
        state, status = OpportunityState.WON, OpportunityStatus.WON
        stage = SalesStage.CLOSE
    elif index % 11 == 10:
        state = OpportunityState.LOST
        status = demo.random.choice((OpportunityStatus.CANCELED, OpportunityStatus.OUT_SOLD))
    elif index % 13 == 12:
        status = OpportunityStatus.ON_HOLD
    opportunity = Opportunity(
        topic=demo.topic(),
        customer_account=account,
        customer_contact=None if account else contact,
        account=account,
        contact=contact,
        budget_amount=demo.budget(),
        purchase_timeframe=demo.random.choice(PurchaseTimeframe.values),
        purchase_process=demo.random.choice(PurchaseProcess.values),
        decision_maker=demo.random.random() < 0.6,
        need=demo.random.choice(Need.values),
        estimated_revenue=demo.budget(),
        estimated_close_date=date.today() + timedelta(days=demo.random.randint(-30, 150)),
        state=state,
        status_reason=status,
        stage=stage,
        owner=account.owner if account else contact.owner,
    )
    _steps_tick(demo, opportunity)
    return opportunity


def _steps_tick(demo: DemoValues, opportunity: Opportunity) -> None:
    """Steps of the stages behind the opportunity are done; the current one partly."""
    reached = STAGE_ORDER.index(opportunity.stage)
    if reached >= 1 or demo.random.random() < 0.6:
        opportunity.customer_need = "Replace ageing equipment before the busy season."
        opportunity.proposed_solution = "Phased roll-out with a pilot site first."
    opportunity.identify_stakeholders = reached >= 1 or demo.random.random() < 0.5
    opportunity.identify_competitors = reached >= 1
    opportunity.identify_sales_team = reached >= 2 or (reached == 1 and demo.random.random() < 0.5)
    opportunity.develop_proposal = reached >= 2
    opportunity.complete_internal_review = reached >= 2
    opportunity.present_proposal = reached >= 2
    if opportunity.state == OpportunityState.WON:
        opportunity.complete_final_proposal = opportunity.present_final_proposal = True
        opportunity.decision_date = opportunity.estimated_close_date
        opportunity.send_thank_you = True


def _stage_events_add(demo: DemoValues, opportunities: list[Opportunity]) -> None:
    entries: list[tuple[Any, User | None, str, str, str]] = []
    for opportunity in opportunities:
        for stage in STAGE_ORDER[1 : STAGE_ORDER.index(opportunity.stage) + 1]:
            label = SalesStage(stage).label
            title = f"Stage changed to {label}"
            entries.append((opportunity, opportunity.owner, TimelineEntryKind.SYSTEM, title, ""))
        if opportunity.state != OpportunityState.OPEN:
            title = f"Opportunity closed as {opportunity.get_status_reason_display()}"
            entries.append((opportunity, opportunity.owner, TimelineEntryKind.SYSTEM, title, ""))
    timeline_entries_bulk_add(entries=entries)
    demo.entries_after_records(Opportunity, opportunities)
