"""Stored (and reflected) XSS: script payloads typed into every text field of a lead, its notes,
the records qualification makes from it, the lead summary, people's names and the query
strings render escaped on every page that shows them.

Each field holds its own numbered payload, so a failure names the field. For every page the test
checks, with the HTML parsed, that no element carries an event handler attribute, that there is
no inline <script>, no <img src=x> and no javascript: link; that no payload appears unescaped;
and that the fields the page shows do appear, escaped (so the page really rendered them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.validators import validate_email
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from crm.models import Account, Contact, Opportunity
from crm.services.timeline import timeline_note_add
from leads import services as lead_services
from leads.models import Lead
from qualification.engine import LEAD_CLOSED, lead_qualify
from qualification.models import BulkJobStatus, BulkQualifyJob, Qualification
from tests.factories import AccountFactory, ContactFactory, OpportunityFactory
from tests.security.world import SIDE_PANE_SETTINGS, configure, screen_post

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


# Payloads ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """A family of payloads: the full one and a short one for narrow columns."""

    full: str
    short: str
    email: str  # the payload as a valid email address (in its local part)
    url: str  # the payload as a valid http URL (in its path)
    executable: bool = True  # False: harmless text whose escaping changes nothing


KINDS: dict[str, Kind] = {
    "script": Kind(
        full="<script>alert({n})</script>",
        short="<script>{n}</script>",
        email='"<script>alert({n})</script>"@example.com',
        url="https://example.com/<script>alert({n})</script>",
    ),
    "img-onerror": Kind(
        full='"><img src=x onerror=alert({n})>',
        short='"><svg onload={n}>',
        email='"\\"><img/src=x/onerror=alert({n})>"@example.com',
        url='https://example.com/"><img/src=x/onerror=alert({n})>',
    ),
    "quote-attribute": Kind(
        full="' onmouseover='alert({n})",
        short="'onclick='{n}",
        email="\"'onmouseover='alert({n})\"@example.com",
        url="https://example.com/'onmouseover='alert({n})",
    ),
    "template": Kind(
        full="{{{{7*7}}}}{{% debug %}}{n}",
        short="{{{{7*7}}}}{n}",
        email="{{{{7*7}}}}{n}@example.com",
        url="https://example.com/{{{{7*7}}}}{n}",
        executable=False,
    ),
}


# Every field that holds a payload: tag -> (what, max length; 0 = no limit; -1 = email; -2 = url).
LEAD_FIELDS: dict[str, tuple[int, int]] = {
    "topic": (1, 300),
    "first_name": (2, 50),
    "last_name": (3, 50),
    "job_title": (4, 100),
    "company_name": (5, 100),
    "business_phone": (6, 50),
    "mobile_phone": (7, 50),
    "email": (8, -1),
    "website": (9, -2),
    "street1": (10, 250),
    "street2": (11, 250),
    "street3": (12, 250),
    "city": (13, 80),
    "state_province": (14, 50),
    "postal_code": (15, 20),
    "country": (16, 80),
    "industry": (17, 100),
    "description": (18, 0),
    "qualification_comments": (19, 0),
}
NOTE_TITLE, NOTE_BODY = 20, 21
ACCOUNT_NAME, ACCOUNT_PHONE, ACCOUNT_CITY, ACCOUNT_STREET = 22, 23, 24, 25
ACCOUNT_INDUSTRY, ACCOUNT_DESCRIPTION, ACCOUNT_EMAIL, ACCOUNT_WEBSITE = 26, 27, 44, 45
CONTACT_FIRST, CONTACT_LAST, CONTACT_JOB, CONTACT_DESCRIPTION = 28, 29, 30, 31
CONTACT_PHONE, CONTACT_EMAIL = 32, 46
OPPORTUNITY_TOPIC, OPPORTUNITY_DESCRIPTION, CUSTOMER_NEED, PROPOSED_SOLUTION = 33, 34, 35, 36
OWNER_FIRST, OWNER_LAST = 37, 38
OPPORTUNITY_NOTE_TITLE, OPPORTUNITY_NOTE_BODY = 39, 40
QUERY = 41
LEAD = {name: tag for name, (tag, _) in LEAD_FIELDS.items()}
MAX_LENGTH = {tag: length for tag, length in LEAD_FIELDS.values()}
MAX_LENGTH |= {
    NOTE_TITLE: 200,
    ACCOUNT_NAME: 160,
    ACCOUNT_PHONE: 50,
    ACCOUNT_CITY: 80,
    ACCOUNT_INDUSTRY: 100,
    ACCOUNT_EMAIL: -1,
    ACCOUNT_WEBSITE: -2,
    CONTACT_FIRST: 50,
    CONTACT_LAST: 50,
    CONTACT_JOB: 100,
    CONTACT_PHONE: 50,
    CONTACT_EMAIL: -1,
    OPPORTUNITY_TOPIC: 300,
    OWNER_FIRST: 150,
    OWNER_LAST: 150,
    OPPORTUNITY_NOTE_TITLE: 200,
    QUERY: 100,
}


def payload(kind: Kind, tag: int) -> str:
    length = MAX_LENGTH.get(tag, 0)
    if length == -1:
        value = kind.email.format(n=tag)
        validate_email(value)  # the payload must be a valid address, or the test proves nothing
        return value
    if length == -2:
        return kind.url.format(n=tag)
    value = kind.full.format(n=tag)
    if length and len(value) > length:
        value = kind.short.format(n=tag)
    assert not length or len(value) <= length
    return value


# The data ---------------------------------------------------------------------------------------


@dataclass
class XssWorld:
    kind: Kind
    sam: User
    olga: User
    open_lead: Lead
    qualified_lead: Lead
    qualification: Qualification
    account: Account
    contact: Contact
    opportunity: Opportunity
    created_account: Account
    created_contact: Contact
    created_opportunity: Opportunity
    job: BulkQualifyJob

    def p(self, tag: int) -> str:
        return payload(self.kind, tag)


def _lead_with_note(kind: Kind, owner: User) -> Lead:
    data = {name: payload(kind, tag) for name, tag in LEAD.items()}
    lead = lead_services.lead_create(acting_user=owner, data=data)
    timeline_note_add(
        record=lead,
        author=owner,
        title=payload(kind, NOTE_TITLE),
        body=payload(kind, NOTE_BODY),
        attachment=SimpleUploadedFile(f"{kind.short.format(n=99)}.txt", b"notes"),
    )
    return lead


def xss_world_build(kind: Kind, sam: User, olga: User) -> XssWorld:
    configure(summarize_after_qualify=True)
    sam.first_name, sam.last_name = payload(kind, OWNER_FIRST), payload(kind, OWNER_LAST)
    sam.save(update_fields=["first_name", "last_name"])
    open_lead = _lead_with_note(kind, sam)
    qualified_lead = _lead_with_note(kind, sam)
    result = lead_qualify(lead_id=qualified_lead.pk, acting_user=sam)
    # Opened last week: the lead shows in Leads Opened Last Week and in Closed Leads.
    Lead.objects.filter(pk=qualified_lead.pk).update(created_at=timezone.now() - timedelta(days=7))
    qualified_lead.refresh_from_db()
    account = AccountFactory(
        owner=sam,
        name=payload(kind, ACCOUNT_NAME),
        phone=payload(kind, ACCOUNT_PHONE),
        city=payload(kind, ACCOUNT_CITY),
        street1=payload(kind, ACCOUNT_STREET),
        industry=payload(kind, ACCOUNT_INDUSTRY),
        description=payload(kind, ACCOUNT_DESCRIPTION),
        email=payload(kind, ACCOUNT_EMAIL),
        website=payload(kind, ACCOUNT_WEBSITE),
        website_domain="example.com",
    )
    contact = ContactFactory(
        owner=sam,
        account=account,
        first_name=payload(kind, CONTACT_FIRST),
        last_name=payload(kind, CONTACT_LAST),
        job_title=payload(kind, CONTACT_JOB),
        description=payload(kind, CONTACT_DESCRIPTION),
        business_phone=payload(kind, CONTACT_PHONE),
        email=payload(kind, CONTACT_EMAIL),
    )
    opportunity = OpportunityFactory(
        owner=sam,
        customer_account=account,
        contact=contact,
        topic=payload(kind, OPPORTUNITY_TOPIC),
        description=payload(kind, OPPORTUNITY_DESCRIPTION),
        customer_need=payload(kind, CUSTOMER_NEED),
        proposed_solution=payload(kind, PROPOSED_SOLUTION),
    )
    timeline_note_add(
        record=opportunity,
        author=sam,
        title=payload(kind, OPPORTUNITY_NOTE_TITLE),
        body=payload(kind, OPPORTUNITY_NOTE_BODY),
    )
    issue = {"lead_id": qualified_lead.pk, "label": str(qualified_lead), "reason": LEAD_CLOSED}
    job = BulkQualifyJob.objects.create(
        created_by=sam,
        lead_ids=[qualified_lead.pk],
        total=1,
        processed=1,
        status=BulkJobStatus.DONE,
        failures=[issue],
        needs_review=[issue],
    )
    return XssWorld(
        kind=kind,
        sam=sam,
        olga=olga,
        open_lead=open_lead,
        qualified_lead=qualified_lead,
        qualification=result.qualification,
        account=account,
        contact=contact,
        opportunity=opportunity,
        created_account=result.account,
        created_contact=result.contact,
        created_opportunity=result.primary_opportunity,
        job=job,
    )


# The pages --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    url: Callable[[XssWorld], str]
    shows: tuple[int, ...]  # the payload tags the page must show (escaped)
    method: str = "get"
    data: Callable[[XssWorld], dict[str, Any]] = lambda w: {}
    htmx: bool = False
    user: str = "sam"
    setup: Callable[[XssWorld], None] | None = None
    marker: str = ""  # text that proves the answer is the screen meant (a dialog's label)


def grid(view: str) -> Callable[[XssWorld], str]:
    return lambda w: f"{reverse('leads:lead-list')}?view={view}"


def lead_page(attr: str, name: str = "lead-detail") -> Callable[[XssWorld], str]:
    return lambda w: reverse(f"leads:{name}", args=[getattr(w, attr).pk])


def record_page(attr: str) -> Callable[[XssWorld], str]:
    return lambda w: getattr(w, attr).get_absolute_url()


def qualify_page(w: XssWorld) -> str:
    return reverse("qualification:lead-qualify", args=[w.open_lead.pk])


def side_pane(w: XssWorld) -> None:
    configure(**SIDE_PANE_SETTINGS)


def side_pane_opportunity_only(w: XssWorld) -> None:
    configure(opportunity_mode="salesperson")


def legacy_dialog(w: XssWorld) -> None:
    configure(experience="legacy", legacy_create_automatically=False, summarize_after_qualify=False)


def selection_of(attr: str, **extra: str) -> Callable[[XssWorld], dict[str, Any]]:
    return lambda w: {"lead_ids": [getattr(w, attr).pk], "view": "all", **extra}


GRID_ROW = (
    LEAD["topic"],
    LEAD["first_name"],
    LEAD["last_name"],
    LEAD["company_name"],
    LEAD["email"],
    LEAD["business_phone"],
    OWNER_FIRST,
    OWNER_LAST,
)
LEAD_FORM = tuple(tag for name, tag in LEAD.items() if name != "qualification_comments")
TIMELINE = (NOTE_TITLE, NOTE_BODY)
SUMMARY = (
    LEAD["first_name"],
    LEAD["last_name"],
    LEAD["job_title"],
    LEAD["company_name"],
    LEAD["topic"],
    LEAD["email"],
    LEAD["business_phone"],
    LEAD["mobile_phone"],
    LEAD["website"],
    LEAD["qualification_comments"],
    LEAD["description"],
)
ACCOUNT = (ACCOUNT_NAME, ACCOUNT_PHONE, ACCOUNT_CITY)
CONTACT = (CONTACT_FIRST, CONTACT_LAST, CONTACT_JOB, CONTACT_PHONE)
LEAD_LABEL = (LEAD["first_name"], LEAD["last_name"], LEAD["topic"])

PAGES: dict[str, Page] = {
    # The lead grid, each view
    "grid-my-open": Page(grid("my_open"), GRID_ROW),
    "grid-open": Page(grid("open"), GRID_ROW),
    "grid-closed": Page(grid("closed"), GRID_ROW),
    "grid-all": Page(grid("all"), GRID_ROW),
    "grid-opened-this-week": Page(grid("opened_this_week"), GRID_ROW),
    "grid-opened-last-week": Page(grid("opened_last_week"), GRID_ROW),
    "grid-partial": Page(grid("all"), GRID_ROW, htmx=True),
    "grid-quick-find-reflected": Page(
        lambda w: f"{reverse('leads:lead-list')}?{urlencode({'view': 'all', 'q': w.p(QUERY)})}",
        (QUERY,),
    ),
    # The lead form, its flyout and dialogs
    "lead-form-open": Page(lead_page("open_lead"), (*LEAD_FORM, *TIMELINE)),
    "lead-form-qualified": Page(
        lead_page("qualified_lead"), (*LEAD_FORM, *TIMELINE, LEAD["qualification_comments"])
    ),
    "lead-form-not-yours": Page(
        lead_page("open_lead"), (*LEAD_FORM, *TIMELINE, OWNER_FIRST, OWNER_LAST), user="olga"
    ),
    "lead-form-invalid-post": Page(
        lambda w: reverse("leads:lead-create"),
        (LEAD["topic"], LEAD["job_title"], LEAD["company_name"], LEAD["description"]),
        method="post",
        data=lambda w: {
            "topic": w.p(LEAD["topic"]),
            "job_title": w.p(LEAD["job_title"]),
            "company_name": w.p(LEAD["company_name"]),
            "description": w.p(LEAD["description"]),
            "email": "not an email",
        },
    ),
    "qualify-stage-flyout": Page(
        lead_page("open_lead", "lead-stage-edit"),
        (LEAD["qualification_comments"], ACCOUNT_NAME, LEAD["company_name"], CONTACT_FIRST),
        htmx=True,
        marker='aria-labelledby="stage-flyout-title"',
    ),
    "lead-lookup-reflected": Page(
        lambda w: (
            reverse("leads:lead-lookup", args=["account"])
            + "?"
            + urlencode({"account_q": w.p(QUERY), "existing_account": w.account.pk})
        ),
        (ACCOUNT_NAME,),
        htmx=True,
    ),
    "disqualify-dialog": Page(
        lead_page("open_lead", "lead-disqualify"),
        LEAD_LABEL,
        htmx=True,
        marker='aria-labelledby="disqualify-title"',
    ),
    "delete-dialog": Page(
        lead_page("open_lead", "lead-delete"),
        LEAD_LABEL,
        htmx=True,
        marker='aria-labelledby="delete-title"',
    ),
    # Qualify: side pane, legacy dialog, search, duplicates, Lead qualified
    "side-pane": Page(
        qualify_page,
        (
            LEAD["topic"],
            LEAD["company_name"],
            LEAD["first_name"],
            LEAD["last_name"],
            LEAD["job_title"],
            LEAD["email"],
            LEAD["business_phone"],
        ),
        htmx=True,
        setup=side_pane,
        marker='aria-labelledby="qualify-pane-title"',
    ),
    "side-pane-automatic-records-listed": Page(
        qualify_page,
        (LEAD["topic"], LEAD["company_name"], LEAD["first_name"], LEAD["last_name"]),
        htmx=True,
        setup=side_pane_opportunity_only,
        marker='aria-labelledby="qualify-pane-title"',
    ),
    "side-pane-as-page": Page(qualify_page, (LEAD["topic"], LEAD["company_name"]), setup=side_pane),
    "legacy-dialog": Page(
        qualify_page,
        (),
        htmx=True,
        setup=legacy_dialog,
        marker='aria-labelledby="qualify-dialog-title"',
    ),
    "record-search-reflected": Page(
        lambda w: (
            reverse("qualification:qualify-record-search", args=[w.open_lead.pk, "account"])
            + "?"
            + urlencode({"account-q": w.p(QUERY)})
        ),
        (QUERY,),
        htmx=True,
    ),
    "record-search-results": Page(
        lambda w: (
            reverse("qualification:qualify-record-search", args=[w.open_lead.pk, "contact"])
            + f"?contact-existing={w.contact.pk}"
        ),
        (CONTACT_FIRST, CONTACT_LAST, ACCOUNT_NAME),
        htmx=True,
    ),
    # The merge preview of Use existing: the account's values, the lead's, and a posted field
    # name reflected in its error.
    "merge-preview": Page(
        lambda w: (
            reverse("qualification:qualify-merge-preview", args=[w.open_lead.pk, "account"])
            + "?"
            + urlencode(
                {
                    "account-existing": w.account.pk,
                    "account-merge-record": w.account.pk,
                    f"account-merge-{w.p(QUERY)}": "take",
                }
            )
        ),
        (ACCOUNT_NAME, ACCOUNT_PHONE, ACCOUNT_CITY, LEAD["company_name"], QUERY),
        htmx=True,
    ),
    "duplicate-dialog": Page(
        qualify_page,
        (LEAD["company_name"], LEAD["first_name"], LEAD["last_name"], LEAD["email"]),
        method="post",
        data=lambda w: screen_post(w.open_lead),
        htmx=True,
        setup=side_pane,
        marker='aria-labelledby="duplicates-title"',
    ),
    "side-pane-errors": Page(
        qualify_page,
        (LEAD["topic"], ACCOUNT_NAME),
        method="post",
        data=lambda w: screen_post(
            w.open_lead, **{"account-name": w.p(ACCOUNT_NAME), "contact-email": "nope"}
        ),
        htmx=True,
        setup=side_pane,
        marker="Enter a valid email address.",
    ),
    "lead-qualified-page": Page(
        lambda w: reverse(
            "qualification:lead-qualified", args=[w.qualified_lead.pk, w.qualification.pk]
        ),
        (*SUMMARY, NOTE_TITLE, NOTE_BODY),
        marker='aria-labelledby="summary-title"',
    ),
    # Bulk qualify: the result and the background job's page
    "bulk-result": Page(
        lambda w: reverse("qualification:bulk-qualify"),
        LEAD_LABEL,
        method="post",
        data=selection_of("qualified_lead", confirm="1", create_contact="on"),
        htmx=True,
        marker='aria-labelledby="bulk-result-title"',
    ),
    "bulk-job-page": Page(
        lambda w: reverse("qualification:bulk-job-detail", args=[w.job.pk]), LEAD_LABEL
    ),
    "bulk-job-progress": Page(
        lambda w: reverse("qualification:bulk-job-progress", args=[w.job.pk]),
        LEAD_LABEL,
        htmx=True,
    ),
    "bulk-disqualify-messages": Page(
        lambda w: reverse("leads:lead-bulk-disqualify"),
        LEAD_LABEL,
        method="post",
        data=selection_of("qualified_lead", reason="lost"),
        htmx=True,
        marker="1 lead was not disqualified:",
    ),
    # Accounts, contacts, opportunities
    "account-list": Page(lambda w: reverse("crm:account-list"), (*ACCOUNT, LEAD["company_name"])),
    "account-detail": Page(
        record_page("account"),
        (
            *ACCOUNT,
            ACCOUNT_STREET,
            ACCOUNT_INDUSTRY,
            ACCOUNT_DESCRIPTION,
            ACCOUNT_EMAIL,
            ACCOUNT_WEBSITE,
            CONTACT_FIRST,
            OPPORTUNITY_TOPIC,
        ),
    ),
    "account-detail-from-lead": Page(
        record_page("created_account"),
        (LEAD["company_name"], LEAD["website"], LEAD["business_phone"], LEAD["city"]),
    ),
    "contact-list": Page(
        lambda w: reverse("crm:contact-list"),
        (*CONTACT, CONTACT_EMAIL, LEAD["first_name"], LEAD["last_name"], LEAD["email"]),
    ),
    "contact-detail": Page(
        record_page("contact"),
        (*CONTACT, CONTACT_DESCRIPTION, CONTACT_EMAIL, ACCOUNT_NAME, OPPORTUNITY_TOPIC),
    ),
    "contact-detail-from-lead": Page(
        record_page("created_contact"),
        (LEAD["first_name"], LEAD["last_name"], LEAD["job_title"], LEAD["email"]),
    ),
    "opportunity-list": Page(
        lambda w: f"{reverse('crm:opportunity-list')}?view=all",
        (OPPORTUNITY_TOPIC, ACCOUNT_NAME, LEAD["topic"], LEAD["company_name"]),
    ),
    "opportunity-detail": Page(
        record_page("opportunity"),
        (
            OPPORTUNITY_TOPIC,
            OPPORTUNITY_DESCRIPTION,
            ACCOUNT_NAME,
            OPPORTUNITY_NOTE_TITLE,
            OPPORTUNITY_NOTE_BODY,
        ),
    ),
    "opportunity-detail-from-lead": Page(
        record_page("created_opportunity"),
        (LEAD["topic"], LEAD["company_name"], *SUMMARY),
    ),
    "opportunity-stage-flyout": Page(
        lambda w: reverse("crm:opportunity-stage-edit", args=[w.opportunity.pk, "develop"]),
        (CUSTOMER_NEED, PROPOSED_SOLUTION),
        htmx=True,
        marker='aria-labelledby="stage-flyout-heading"',
    ),
    "account-edit-form": Page(
        lambda w: reverse("crm:account-edit", args=[w.account.pk]),
        (*ACCOUNT, ACCOUNT_STREET, ACCOUNT_INDUSTRY, ACCOUNT_DESCRIPTION),
        htmx=True,
        marker='id="record-details"',
    ),
    "account-delete-dialog": Page(
        lambda w: reverse("crm:account-delete", args=[w.account.pk]),
        (ACCOUNT_NAME,),
        htmx=True,
        marker='aria-labelledby="delete-title"',
    ),
    "account-merge-page": Page(
        lambda w: f"{reverse('crm:account-merge')}?ids={w.account.pk}&ids={w.created_account.pk}",
        (*ACCOUNT, ACCOUNT_STREET, ACCOUNT_INDUSTRY, LEAD["company_name"], LEAD["city"]),
        marker="<legend>Master record</legend>",
    ),
    "contact-edit-form": Page(
        lambda w: reverse("crm:contact-edit", args=[w.contact.pk]),
        (*CONTACT, CONTACT_DESCRIPTION, ACCOUNT_NAME),
        htmx=True,
        marker='id="record-details"',
    ),
    "contact-merge-page": Page(
        lambda w: f"{reverse('crm:contact-merge')}?ids={w.contact.pk}&ids={w.created_contact.pk}",
        (*CONTACT, ACCOUNT_NAME, LEAD["first_name"], LEAD["last_name"], LEAD["job_title"]),
        marker="<legend>Master record</legend>",
    ),
    "account-options-reflected": Page(
        lambda w: (
            reverse("crm:account-options")
            + "?"
            + urlencode({"account_q": w.p(QUERY), "account": w.account.pk})
        ),
        (ACCOUNT_NAME,),
        htmx=True,
    ),
    "opportunity-edit-form": Page(
        lambda w: reverse("crm:opportunity-edit", args=[w.opportunity.pk]),
        (OPPORTUNITY_TOPIC, OPPORTUNITY_DESCRIPTION),
        htmx=True,
        marker='id="record-details"',
    ),
    "opportunity-close-dialog": Page(
        lambda w: reverse("crm:opportunity-close", args=[w.opportunity.pk, "lost"]),
        (OPPORTUNITY_TOPIC,),
        htmx=True,
        marker='aria-labelledby="close-title"',
    ),
    # Sign in, and Django admin
    "login-next-reflected": Page(
        lambda w: f"{reverse('login')}?{urlencode({'next': '/leads/' + w.p(QUERY)})}",
        (QUERY,),
        user="",
    ),
    "admin-lead-list": Page(
        lambda w: reverse("admin:leads_lead_changelist"), (LEAD["topic"],), user="admin"
    ),
    "admin-lead-change": Page(
        lambda w: reverse("admin:leads_lead_change", args=[w.open_lead.pk]),
        LEAD_FORM,
        user="admin",
    ),
}


# The checks -------------------------------------------------------------------------------------


class Injection(HTMLParser):
    """What an attacker's markup would leave in the parsed page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}={value!r}>")
            link = (value or "").strip().lower()
            if name in ("href", "src", "action", "formaction") and link.startswith("javascript:"):
                self.found.append(f"<{tag} {name}={value!r}>")
        if tag == "script" and not values.get("src"):
            if values.get("type") != "application/json":
                self.found.append(f"<script {values}> without src")
        if tag == "img" and values.get("src") == "x":
            self.found.append(f"<img {values}>")

    handle_startendtag = handle_starttag


def injections(body: str) -> list[str]:
    parser = Injection()
    parser.feed(body)
    parser.close()
    return parser.found


def missing_escaped(kind: Kind, body: str, tags: tuple[int, ...]) -> list[int]:
    """The tags whose payload the page does not show escaped."""
    return [tag for tag in tags if escape(payload(kind, tag)) not in body]


def unescaped(kind: Kind, body: str) -> list[int]:
    """The tags whose payload the page shows as it was typed (markup left live)."""
    if not kind.executable:
        return []
    return [tag for tag in sorted(MAX_LENGTH) if payload(kind, tag) in body]


@pytest.fixture(params=KINDS.values(), ids=KINDS.keys())
def xss_world(request, salesperson: User, other_salesperson: User) -> XssWorld:
    return xss_world_build(request.param, salesperson, other_salesperson)


def client_for(world: XssWorld, user: str, admin_user: User) -> Client:
    client = Client()
    users = {"sam": world.sam, "olga": world.olga, "admin": admin_user}
    if user:
        client.force_login(users[user])
    return client


@pytest.mark.parametrize("page_case", PAGES.values(), ids=PAGES.keys())
def test_it_renders_payloads_escaped(page_case: Page, xss_world: XssWorld, admin_user) -> None:
    if page_case.setup is not None:
        page_case.setup(xss_world)
    client = client_for(xss_world, page_case.user, admin_user)
    send = getattr(client, page_case.method)

    response = send(
        page_case.url(xss_world), page_case.data(xss_world), **(HX if page_case.htmx else {})
    )

    assert response.status_code == 200, response.content.decode()[:2000]
    body = response.content.decode()
    assert injections(body) == []
    assert unescaped(xss_world.kind, body) == []
    assert page_case.marker in body
    assert missing_escaped(xss_world.kind, body, page_case.shows) == []
    if not xss_world.kind.executable:
        # Template syntax in data is text: it is shown as typed, never evaluated.
        assert "{{7*7}}" in body


def test_it_refuses_a_javascript_website(salesperson: User) -> None:
    for data in (
        {"topic": "T", "last_name": "L", "website": "javascript:alert(1)"},
        {"topic": "T", "last_name": "L", "website": "JaVaScRiPt:alert(1)//http://x.example"},
        {"topic": "T", "last_name": "L", "website": "data:text/html,<script>alert(1)</script>"},
    ):
        client = Client()
        client.force_login(salesperson)

        response = client.post(reverse("leads:lead-create"), data)

        assert response.status_code == 200
        assert "Enter a valid URL." in response.content.decode()
    assert not Lead.objects.exists()


@pytest.mark.parametrize(
    ("kind", "template"),
    [
        (KINDS["script"], "<p>{value}</p>"),
        (KINDS["img-onerror"], '<input value="{value}">'),
        (KINDS["quote-attribute"], "<input value='{value}'>"),
    ],
    ids=["script-in-text", "img-in-double-quotes", "handler-in-single-quotes"],
)
def test_the_checks_catch_a_payload_rendered_unescaped(kind: Kind, template: str) -> None:
    """The checks themselves: markup a careless `|safe` would let through is caught."""
    tag = LEAD["topic"]
    body = template.format(value=payload(kind, tag))

    assert injections(body)
    assert unescaped(kind, body) == [tag]
    assert missing_escaped(kind, body, (tag,)) == [tag]
    assert injections(template.format(value=escape(payload(kind, tag)))) == []


def test_the_checks_catch_a_javascript_link() -> None:
    assert injections('<a href=" JavaScript:alert(1)">x</a>')
