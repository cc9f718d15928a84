"""`manage.py load_demo_data`: demo users, leads and customer records, loaded once.

Deterministic (Faker and random seeded) and idempotent: when the demo leads are already there,
a second run changes nothing and says so. Qualified leads go through the real qualify engine,
so their accounts, contacts, opportunities, originating-lead links and timeline events are the
ones a salesperson would get.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from faker import Faker

from crm.matching import normalize_company_name
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
    TimelineEntry,
    TimelineEntryKind,
)
from crm.services.records import (
    STAGE_ORDER,
    account_match_keys,
    contact_match_keys,
    opportunity_stage_next,
)
from crm.services.timeline import timeline_entries_bulk_add
from leads.duplicates.keys import lead_match_keys
from leads.models import Lead, LeadSource, LeadState, LeadStatus, Rating
from qualification.engine import (
    Choice,
    DuplicatesFoundError,
    QualifyDecisions,
    QualifyError,
    RecordDecision,
    lead_qualify,
)
from qualification.models import Qualification

SEED = 2026
LEAD_COUNT = 320
QUALIFIED_COUNT = 14
ACCOUNT_COUNT = 28  # hand-made accounts; the qualified leads add one each
ALREADY_LOADED = "Demo data is already loaded; nothing changed."
LOGIN_HINT = "Sign in at {url}/login/ with one of these demo logins:"
# Where `manage.py runserver` serves by default; `make run` passes its own HOST and PORT.
DEFAULT_SITE_URL = "http://127.0.0.1:8000"


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    first_name: str
    last_name: str
    role: str
    group: str = ""
    is_admin: bool = False


DEMO_USERS = (
    DemoUser("admin", "demo-admin-2026", "Avery", "Admin", "Admin (staff, superuser)", "", True),
    DemoUser("dana", "demo-dana-2026", "Dana", "Whitfield", "Salesperson", "Salespeople"),
    DemoUser("lee", "demo-lee-2026", "Lee", "Okafor", "Salesperson", "Salespeople"),
    DemoUser("maria", "demo-maria-2026", "Maria", "Santos", "Sales manager", "Sales managers"),
)
SALES_USERNAMES = ("dana", "lee", "maria")
OWNER_WEIGHTS = (45, 40, 15)  # dana, lee, maria

# Well-known fictitious companies for the hand-made accounts.
ACCOUNT_NAMES = (
    "Contoso Ltd",
    "Fabrikam GmbH",
    "Northwind Traders",
    "Adventure Works Cycles",
    "Litware, Inc.",
    "Tailspin Toys",
    "Wide World Importers",
    "Woodgrove Bank",
    "Proseware, Inc.",
    "Alpine Ski House",
    "Blue Yonder Airlines",
    "Coho Winery",
    "Fourth Coffee",
    "Graphic Design Institute",
    "Humongous Insurance",
    "Lucerne Publishing",
    "Margie's Travel",
    "Southridge Video",
    "Trey Research",
    "VanArsdel, Ltd.",
    "Wingtip Toys",
    "Relecloud",
    "Consolidated Messenger",
    "A. Datum Corporation",
    "First Up Consultants",
    "Lamna Healthcare Company",
    "Best For You Organics Company",
    "City Power & Light",
)
# Leads whose company is written differently from an existing account, or from another lead:
# duplicate detection must see through case, punctuation and legal suffixes.
NEAR_DUPLICATE_COMPANIES = (
    "Contoso, Inc.",
    "CONTOSO",
    "contoso ltd.",
    "Fabrikam Inc",
    "FABRIKAM",
    "Northwind Traders LLC",
    "The Northwind Traders",
    "Litware Inc",
    "Blue Harbor Logistics Inc",
    "Blue Harbor Logistics, LLC",
    "Greenfield Dairy Co.",
    "GREENFIELD DAIRY",
)
INDUSTRIES = (
    "Accounting",
    "Agriculture",
    "Broadcasting",
    "Construction",
    "Consulting",
    "Education",
    "Financial Services",
    "Food and Beverage",
    "Healthcare",
    "Hospitality",
    "Insurance",
    "Legal Services",
    "Logistics",
    "Manufacturing",
    "Retail",
    "Software",
    "Telecommunications",
    "Utilities",
)
TOPICS = (
    "{n} ergonomic office chairs",
    "Fleet telematics for {n} vehicles",
    "Cloud backup for {n} branch offices",
    "CRM licences for {n} users",
    "Warehouse barcode scanners ({n} units)",
    "Managed print service for {n} sites",
    "Laptop refresh: {n} devices",
    "Security awareness training for {n} staff",
    "Point-of-sale terminals for {n} stores",
    "Conference room AV upgrade ({n} rooms)",
    "Forklift leasing ({n} units)",
    "Coffee machines for {n} offices",
    "Annual maintenance contract renewal",
    "Solar panel installation at headquarters",
    "Penetration test and security audit",
    "Website redesign and hosting",
    "HVAC service agreement",
    "Payroll outsourcing",
    "Data warehouse migration",
    "Spare parts catalogue integration",
)
DESCRIPTIONS = (
    "Met at the {event}. Wants pricing before the end of the quarter.",
    "Came in through the website contact form; asked for a demo next week.",
    "Referred by an existing customer. Current supplier contract ends in {month}.",
    "Downloaded the product brochure twice. Budget approval pending with finance.",
    "Asked for references from companies of a similar size.",
    "Evaluating two other vendors; price is the main criterion.",
    "Expanding to new premises in {month} and needs everything installed by then.",
)
EVENTS = ("spring trade show", "regional partner day", "industry seminar", "user conference")
NOTE_TEXTS = (
    (
        "Call summary",
        "Spoke for 20 minutes. Interested, wants a written quote.\nCall back Tuesday.",
    ),
    ("Pricing request", "Asked for volume pricing and payment terms of 60 days."),
    ("Follow-up", "Sent the brochure and the case study. No reply yet."),
    ("Meeting booked", "On-site visit booked with the operations manager."),
    ("", "Prefers email over phone calls."),
    ("Competitor", "Currently using a competitor; unhappy with their support response times."),
)
AREA_CODES = ("206", "212", "312", "415", "503", "617", "702", "713", "305", "404")


class Command(BaseCommand):
    help = "Load the demo users, leads and customer records (once; a second run changes nothing)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--site-url",
            default=DEFAULT_SITE_URL,
            help=f"Where the demo is served, for the sign-in hint (default: {DEFAULT_SITE_URL}).",
        )

    def handle(self, *args: Any, site_url: str, **options: Any) -> None:
        if demo_data_loaded():
            self.stdout.write(ALREADY_LOADED)
        else:
            with transaction.atomic():
                counts, skipped = DemoData(seed=SEED).load()
            self.stdout.write(self.style.SUCCESS("Demo data loaded:"))
            for label, count in counts.items():
                self.stdout.write(f"  {label:<28} {count}")
            for message in skipped:
                self.stderr.write(message)
        self.stdout.write("")
        self.stdout.write(logins_table(site_url=site_url))


def _is_qualify_candidate(index: int) -> bool:
    """Leads 7, 17, 27, ...: never one of the near-duplicates (3, 13, 23, ...), which stay
    open for trying duplicate detection."""
    return index < QUALIFIED_COUNT * 10 and index % 10 == 7


def demo_data_loaded() -> bool:
    """The demo leads exist (users alone may have been made by hand)."""
    return Lead.objects.filter(owner__username__in=SALES_USERNAMES).exists()


def logins_table(*, site_url: str = DEFAULT_SITE_URL) -> str:
    lines = [
        LOGIN_HINT.format(url=site_url.rstrip("/")),
        f"  {'username':<10} {'password':<18} role",
    ]
    lines += [f"  {user.username:<10} {user.password:<18} {user.role}" for user in DEMO_USERS]
    lines.append(
        "(A password is set when its demo user is created; a user made before keeps theirs.)"
    )
    return "\n".join(lines)


class DemoData:
    """Builds the demo records; `load()` returns the counts and any lead it could not qualify."""

    def __init__(self, *, seed: int) -> None:
        self.fake = Faker("en_US")
        self.fake.seed_instance(seed)
        self.random = random.Random(seed)
        self.now = timezone.now()
        self.users: dict[str, User] = {}
        self.skipped: list[str] = []

    # Users ----------------------------------------------------------------------------------

    def users_create(self) -> None:
        for spec in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=spec.username,
                defaults={
                    "first_name": spec.first_name,
                    "last_name": spec.last_name,
                    "email": f"{spec.username}@crm-demo.example",
                    "is_staff": spec.is_admin,
                    "is_superuser": spec.is_admin,
                },
            )
            if created:
                user.set_password(spec.password)
                user.save(update_fields=["password"])
            if spec.group:
                user.groups.add(Group.objects.get(name=spec.group))
            self.users[spec.username] = user

    # Value helpers --------------------------------------------------------------------------

    def _owner(self) -> User:
        name = self.random.choices(SALES_USERNAMES, weights=OWNER_WEIGHTS)[0]
        return self.users[name]

    def _phone(self) -> str:
        return self.fake.numerify(f"+1 ({self.random.choice(AREA_CODES)}) 555-####")

    def _domain(self, company: str) -> str:
        slug = "".join(ch for ch in normalize_company_name(company) if ch.isalnum())
        return f"{slug[:40] or 'company'}.com"

    def _address(self) -> dict[str, str]:
        return {
            "street1": self.fake.street_address(),
            "city": self.fake.city(),
            "state_province": self.fake.state_abbr(),
            "postal_code": self.fake.postcode(),
            "country": "United States",
        }

    def _topic(self) -> str:
        return self.random.choice(TOPICS).format(n=self.random.choice((5, 10, 12, 25, 40, 150)))

    def _budget(self) -> Decimal:
        return Decimal(self.random.randrange(5_000, 750_000, 500))

    def _when(self, *, days: int) -> datetime:
        """A moment in the last `days` days, during working hours."""
        moment = self.now - timedelta(days=self.random.uniform(0, days))
        moment = moment.replace(hour=self.random.randint(8, 17), minute=self.random.randint(0, 59))
        return min(moment, self.now)

    def _email(self, first: str, last: str, company: str) -> str:
        local = f"{first}.{last}".lower().replace(" ", "").replace("'", "")
        return f"{local}@{self._domain(company)}"

    # Leads ----------------------------------------------------------------------------------

    def _lead(self, *, company: str, owner: User) -> Lead:
        first, last = self.fake.first_name(), self.fake.last_name()
        description = self.random.choice(DESCRIPTIONS).format(
            event=self.random.choice(EVENTS), month=self.fake.month_name()
        )
        return Lead(
            topic=self._topic(),
            first_name=first,
            last_name=last,
            job_title=self.fake.job()[:100],
            company_name=company,
            business_phone=self._phone(),
            mobile_phone=self._phone() if self.random.random() < 0.6 else "",
            email=self._email(first, last, company),
            website=f"https://www.{self._domain(company)}",
            description=description,
            lead_source=self.random.choice(LeadSource.values),
            rating=self.random.choices(Rating.values, weights=(2, 5, 3))[0],
            industry=self.random.choice(INDUSTRIES),
            owner=owner,
            purchase_timeframe=self.random.choice(["", *PurchaseTimeframe.values]),
            budget_amount=self._budget() if self.random.random() < 0.6 else None,
            purchase_process=self.random.choice(["", *PurchaseProcess.values]),
            decision_maker=self.random.random() < 0.4,
            need=self.random.choice(["", *Need.values]),
            **self._address(),
        )

    def leads_create(self) -> list[Lead]:
        companies = [self.fake.unique.company() for _ in range(LEAD_COUNT)]
        # Every tenth lead is a near-duplicate company, and two leads copy known contacts.
        for index, company in enumerate(NEAR_DUPLICATE_COMPANIES):
            companies[index * 10 + 3] = company
        leads = [self._lead(company=company[:100], owner=self._owner()) for company in companies]
        self._near_duplicate_people(leads)
        for index, lead in enumerate(leads):
            roll = self.random.random()
            if _is_qualify_candidate(index):
                lead.status_reason = LeadStatus.CONTACTED  # qualified later through the engine
            elif roll < 0.12:
                lead.state = LeadState.DISQUALIFIED
                lead.status_reason = self.random.choice(
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
            lead.created_at = self._when(days=21)
            if lead.state == LeadState.DISQUALIFIED:
                lead.closed_at = self._after(lead.created_at)
        Lead.objects.bulk_update(leads, ["created_at", "closed_at"], batch_size=500)
        return leads

    def _after(self, moment: datetime) -> datetime:
        """A few hours to ten days after `moment`, and not in the future."""
        return min(moment + timedelta(hours=self.random.randint(3, 240)), self.now)

    def _near_duplicate_people(self, leads: list[Lead]) -> None:
        nancy = leads[0 * 10 + 3]  # "Contoso, Inc.": same email as a contact, other case
        nancy.first_name, nancy.last_name = "Nancy", "Davolio"
        nancy.email = "Nancy.Davolio@CONTOSO.com"
        janet = leads[3 * 10 + 3]  # "Fabrikam Inc": same full name as a Fabrikam contact
        janet.first_name, janet.last_name = "Janet", "Leverling"
        janet.email = "j.leverling@fabrikam-mail.com"

    def lead_events_add(self, leads: list[Lead]) -> None:
        """Disqualified leads get their system event; some open leads get notes."""
        entries: list[tuple[Any, User | None, str, str, str]] = []
        for lead in leads:
            if lead.state == LeadState.DISQUALIFIED:
                title = f"Lead disqualified: {LeadStatus(lead.status_reason).label}"
                entries.append((lead, lead.owner, TimelineEntryKind.SYSTEM, title, ""))
            elif self.random.random() < 0.09:
                title, body = self.random.choice(NOTE_TEXTS)
                entries.append((lead, lead.owner, TimelineEntryKind.NOTE, title, body))
        timeline_entries_bulk_add(entries=entries)
        self._entries_after_records(Lead, leads)

    def _entries_after_records(self, model: type[Any], records: list[Any]) -> None:
        """Timeline entries are stamped "now": move each a little after its record's birth."""
        created = {record.pk: record.created_at for record in records}
        entries = list(
            TimelineEntry.objects.filter(
                content_type__app_label=model._meta.app_label,
                content_type__model=model._meta.model_name,
                object_id__in=created,
            )
        )
        for entry in entries:
            later = created[entry.object_id] + timedelta(hours=self.random.randint(2, 70))
            entry.created_at = min(later, self.now)
        TimelineEntry.objects.bulk_update(entries, ["created_at"], batch_size=500)

    # Customer records -----------------------------------------------------------------------

    def accounts_create(self) -> list[Account]:
        accounts = []
        for name in ACCOUNT_NAMES[:ACCOUNT_COUNT]:
            account = Account(
                name=name,
                website=f"https://www.{self._domain(name)}",
                phone=self._phone(),
                email=f"info@{self._domain(name)}",
                industry=self.random.choice(INDUSTRIES),
                owner=self._owner(),
                **self._address(),
            )
            accounts.append(account_match_keys(account))
        accounts = Account.objects.bulk_create(accounts)
        for account in accounts:
            account.created_at = self._when(days=240)
        Account.objects.bulk_update(accounts, ["created_at"])
        return accounts

    def contacts_create(self, accounts: list[Account]) -> list[Contact]:
        contacts = []
        for account in accounts:
            for _ in range(self.random.choice((2, 2, 2, 3))):
                first, last = self.fake.first_name(), self.fake.last_name()
                contacts.append(
                    self._contact(first, last, account, self._email(first, last, account.name))
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
            self._contact("Nancy", "Davolio", contoso, "nancy.davolio@contoso.com"),
            self._contact("Janet", "Leverling", fabrikam, "janet.leverling@fabrikam.com"),
            self._contact("Andrew", "Fuller", northwind, "andrew.fuller@northwindtraders.com"),
            self._contact("Andrew", "Fuller", northwind, "Andrew.Fuller@NorthwindTraders.com"),
        ]
        for _ in range(6):  # private buyers without an account
            first, last = self.fake.first_name(), self.fake.last_name()
            contacts.append(self._contact(first, last, None, f"{first}.{last}@mail.example"))
        contacts = Contact.objects.bulk_create(contacts)
        for contact in contacts:
            contact.created_at = self._when(days=200)
        Contact.objects.bulk_update(contacts, ["created_at"])
        return contacts

    def _contact(self, first: str, last: str, account: Account | None, email: str) -> Contact:
        contact = Contact(
            first_name=first,
            last_name=last,
            job_title=self.fake.job()[:100],
            email=email.replace(" ", "").replace("'", ""),
            business_phone=self._phone(),
            mobile_phone=self._phone() if self.random.random() < 0.5 else "",
            account=account,
            owner=account.owner if account else self._owner(),
            **self._address(),
        )
        return contact_match_keys(contact)

    def opportunities_create(
        self, accounts: list[Account], contacts: list[Contact]
    ) -> list[Opportunity]:
        people = {account.pk: [] for account in accounts}
        for contact in contacts:
            if contact.account_id is not None:
                people[contact.account_id].append(contact)
        private = [contact for contact in contacts if contact.account_id is None]
        opportunities = []
        for index, account in enumerate(accounts):
            contact = self.random.choice(people[account.pk]) if people[account.pk] else None
            opportunities.append(self._opportunity(account=account, contact=contact, index=index))
        for index, contact in enumerate(private[:4], start=len(accounts)):
            opportunities.append(self._opportunity(account=None, contact=contact, index=index))
        opportunities = Opportunity.objects.bulk_create(opportunities)
        for opportunity in opportunities:
            opportunity.created_at = self._when(days=120)
        Opportunity.objects.bulk_update(opportunities, ["created_at"])
        self._stage_events_add(opportunities)
        return opportunities

    def _opportunity(
        self, *, account: Account | None, contact: Contact | None, index: int
    ) -> Opportunity:
        stage = STAGE_ORDER[index % 3]
        state, status = OpportunityState.OPEN, OpportunityStatus.IN_PROGRESS
        if index % 9 == 8:
            state, status = OpportunityState.WON, OpportunityStatus.WON
            stage = SalesStage.CLOSE
        elif index % 11 == 10:
            state = OpportunityState.LOST
            status = self.random.choice((OpportunityStatus.CANCELED, OpportunityStatus.OUT_SOLD))
        elif index % 13 == 12:
            status = OpportunityStatus.ON_HOLD
        opportunity = Opportunity(
            topic=self._topic(),
            customer_account=account,
            customer_contact=None if account else contact,
            account=account,
            contact=contact,
            budget_amount=self._budget(),
            purchase_timeframe=self.random.choice(PurchaseTimeframe.values),
            purchase_process=self.random.choice(PurchaseProcess.values),
            decision_maker=self.random.random() < 0.6,
            need=self.random.choice(Need.values),
            estimated_revenue=self._budget(),
            estimated_close_date=date.today() + timedelta(days=self.random.randint(-30, 150)),
            state=state,
            status_reason=status,
            stage=stage,
            owner=account.owner if account else contact.owner,
        )
        self._steps_tick(opportunity)
        return opportunity

    def _steps_tick(self, opportunity: Opportunity) -> None:
        """Steps of the stages behind the opportunity are done; the current one partly."""
        reached = STAGE_ORDER.index(opportunity.stage)
        if reached >= 1 or self.random.random() < 0.6:
            opportunity.customer_need = "Replace ageing equipment before the busy season."
            opportunity.proposed_solution = "Phased roll-out with a pilot site first."
        opportunity.identify_stakeholders = reached >= 1 or self.random.random() < 0.5
        opportunity.identify_competitors = reached >= 1
        opportunity.identify_sales_team = reached >= 2 or (
            reached == 1 and self.random.random() < 0.5
        )
        opportunity.develop_proposal = reached >= 2
        opportunity.complete_internal_review = reached >= 2
        opportunity.present_proposal = reached >= 2
        if opportunity.state == OpportunityState.WON:
            opportunity.complete_final_proposal = opportunity.present_final_proposal = True
            opportunity.decision_date = opportunity.estimated_close_date
            opportunity.send_thank_you = True

    def _stage_events_add(self, opportunities: list[Opportunity]) -> None:
        entries: list[tuple[Any, User | None, str, str, str]] = []
        for opportunity in opportunities:
            for stage in STAGE_ORDER[1 : STAGE_ORDER.index(opportunity.stage) + 1]:
                label = SalesStage(stage).label
                title = f"Stage changed to {label}"
                entries.append(
                    (opportunity, opportunity.owner, TimelineEntryKind.SYSTEM, title, "")
                )
            if opportunity.state != OpportunityState.OPEN:
                title = f"Opportunity closed as {opportunity.get_status_reason_display()}"
                entries.append(
                    (opportunity, opportunity.owner, TimelineEntryKind.SYSTEM, title, "")
                )
        timeline_entries_bulk_add(entries=entries)
        self._entries_after_records(Opportunity, opportunities)

    # Qualified leads, through the engine --------------------------------------------------

    def leads_qualify(self, leads: list[Lead]) -> int:
        qualified = 0
        candidates = [
            lead
            for index, lead in enumerate(leads)
            if _is_qualify_candidate(index) and lead.state == LeadState.OPEN
        ]
        for position, lead in enumerate(candidates):
            if self._qualify(lead):
                qualified += 1
                if position % 3 == 1:  # some have moved on since
                    self._advance(lead)
        self._qualified_after_created(candidates)
        return qualified

    def _qualified_after_created(self, leads: list[Lead]) -> None:
        """The engine stamps "now": each qualification happened a few days after its lead
        came in (the lead's closed_at and its qualification record say when)."""
        qualifications = list(Qualification.objects.filter(lead__in=leads).select_related("lead"))
        for qualification in qualifications:
            qualification.created_at = self._after(qualification.lead.created_at)
            qualification.lead.closed_at = qualification.created_at
        Qualification.objects.bulk_update(qualifications, ["created_at"])
        Lead.objects.bulk_update([q.lead for q in qualifications], ["closed_at"])

    def _qualify(self, lead: Lead) -> bool:
        row = {
            "estimated_revenue": lead.budget_amount or self._budget(),
            "estimated_close_date": date.today() + timedelta(days=self.random.randint(20, 120)),
        }
        decisions = QualifyDecisions(
            account=RecordDecision(choice=Choice.CREATE),
            contact=RecordDecision(choice=Choice.CREATE),
            opportunities=[row],
        )
        try:
            lead_qualify(
                lead_id=lead.pk, acting_user=lead.owner, decisions=decisions, summarize=False
            )
        except DuplicatesFoundError as duplicates:
            # Link the existing records, as a salesperson would in the duplicate dialog.
            if duplicates.accounts:
                decisions.account = RecordDecision(
                    choice=Choice.EXISTING, existing_id=duplicates.accounts[0].pk, matched=True
                )
            if duplicates.contacts:
                decisions.contact = RecordDecision(
                    choice=Choice.EXISTING, existing_id=duplicates.contacts[0].pk, matched=True
                )
            try:
                lead_qualify(
                    lead_id=lead.pk, acting_user=lead.owner, decisions=decisions, summarize=False
                )
            except QualifyError as error:
                self.skipped.append(f"Lead {lead.pk} left open: {error.message}")
                return False
        except QualifyError as error:
            self.skipped.append(f"Lead {lead.pk} left open: {error.message}")
            return False
        return True

    def _advance(self, lead: Lead) -> None:
        lead.refresh_from_db(fields=["qualifying_opportunity"])
        if lead.qualifying_opportunity is not None:
            opportunity_stage_next(opportunity=lead.qualifying_opportunity, acting_user=lead.owner)

    # All of it ------------------------------------------------------------------------------

    def load(self) -> tuple[dict[str, int], list[str]]:
        self.users_create()
        accounts = self.accounts_create()
        contacts = self.contacts_create(accounts)
        self.opportunities_create(accounts, contacts)
        leads = self.leads_create()
        self.lead_events_add(leads)
        qualified = self.leads_qualify(leads)
        counts = {
            "users": len(self.users),
            "leads": Lead.objects.count(),
            "  open": Lead.objects.filter(state=LeadState.OPEN).count(),
            "  qualified (engine)": qualified,
            "  disqualified": Lead.objects.filter(state=LeadState.DISQUALIFIED).count(),
            "accounts": Account.objects.count(),
            "contacts": Contact.objects.count(),
            "opportunities": Opportunity.objects.count(),
            "timeline entries": TimelineEntry.objects.count(),
        }
        return counts, self.skipped
