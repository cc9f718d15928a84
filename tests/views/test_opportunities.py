from __future__ import annotations

import datetime
import json

import pytest
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from crm.models import Opportunity, OpportunityState, OpportunityStatus, SalesStage
from crm.selectors import timeline_for
from crm.services.errors import FUTURE_STAGE_READ_ONLY, OPPORTUNITY_CHANGE_FORBIDDEN
from crm.services.records import OPPORTUNITY_CLOSED, OPPORTUNITY_LAST_STAGE
from crm.services.timeline import TIMELINE_NOTE_EMPTY, timeline_note_add
from leads.models import LeadOrigin
from tests.factories import (
    AccountFactory,
    ContactFactory,
    LeadFactory,
    OpportunityFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings) -> None:
    """Factories hash a password for every user they make; a fast hasher keeps this quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


LIST_URL = reverse("crm:opportunity-list")
HTMX = {"HX-Request": "true"}
# Session, user, row count, one page of rows with owners and potential customers.
LIST_QUERIES = 4
# Session, user, the opportunity with its customer, account, contact, owner and lead, and the
# timeline with its authors (content types are cached per process).
DETAIL_QUERIES = 4


def topics_on_page(response) -> list[str]:
    return [opportunity.topic for opportunity in response.context["page_obj"].object_list]


def stage_url(opportunity: Opportunity, stage: str) -> str:
    return reverse("crm:opportunity-stage-edit", args=[opportunity.pk, stage])


def next_url(opportunity: Opportunity) -> str:
    return reverse("crm:opportunity-stage-next", args=[opportunity.pk])


def previous_url(opportunity: Opportunity) -> str:
    return reverse("crm:opportunity-stage-previous", args=[opportunity.pk])


def note_url(opportunity: Opportunity) -> str:
    return reverse("crm:opportunity-note-add", args=[opportunity.pk])


DEVELOP_STEPS = {
    "customer_need": "Chairs for the new office",
    "proposed_solution": "Model X in two colours",
    "identify_stakeholders": "on",
}


# Lists ----------------------------------------------------------------------------------


def test_it_asks_for_a_login(client: Client) -> None:
    response = client.get(LIST_URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_my_open_opportunities_is_the_default_view(
    sales_client: Client, salesperson: User, other_salesperson: User
) -> None:
    OpportunityFactory(owner=salesperson, topic="Mine")
    OpportunityFactory(owner=salesperson, topic="Mine, won", state="won", status_reason="won")
    OpportunityFactory(owner=other_salesperson, topic="Theirs")

    response = sales_client.get(LIST_URL)

    assert topics_on_page(response) == ["Mine"]
    page = response.content.decode()
    for name in ("My Open Opportunities", "Open Opportunities", "All Opportunities"):
        assert name in page
    for heading in ("Topic", "Potential Customer", "Est. Revenue", "Status", "Sales Stage"):
        assert heading in page


def test_open_and_all_opportunities(
    sales_client: Client, salesperson: User, other_salesperson: User
) -> None:
    OpportunityFactory(owner=salesperson, topic="Mine")
    OpportunityFactory(owner=other_salesperson, topic="Theirs")
    OpportunityFactory(
        owner=other_salesperson, topic="Lost", state="lost", status_reason="canceled"
    )

    open_view = sales_client.get(LIST_URL, {"view": "open", "sort": "topic"})
    all_view = sales_client.get(LIST_URL, {"view": "all", "sort": "topic"})

    assert topics_on_page(open_view) == ["Mine", "Theirs"]
    assert topics_on_page(all_view) == ["Lost", "Mine", "Theirs"]


def test_it_sorts_and_finds_by_potential_customer(sales_client: Client, salesperson) -> None:
    OpportunityFactory(owner=salesperson, topic="A", customer_account=AccountFactory(name="Zeta"))
    OpportunityFactory(
        owner=salesperson,
        topic="B",
        customer_account=None,
        account=None,
        customer_contact=ContactFactory(last_name="Adams"),
    )

    by_customer = sales_client.get(LIST_URL, {"sort": "customer"})
    found = sales_client.get(LIST_URL, {"q": "zet"})

    assert topics_on_page(by_customer) == ["B", "A"]
    assert topics_on_page(found) == ["A"]


def test_it_paginates_with_htmx_and_pushes_the_url(sales_client: Client, salesperson) -> None:
    for number in range(11):
        OpportunityFactory(owner=salesperson, topic=f"Topic {number:02}")

    response = sales_client.get(
        LIST_URL, {"per_page": 10, "page": 2, "sort": "topic"}, headers=HTMX
    )

    assert topics_on_page(response) == ["Topic 10"]
    page = response.content.decode()
    assert page.lstrip().startswith('<section id="opportunity-grid"')
    assert 'hx-push-url="true"' in page


@pytest.mark.parametrize("per_page", [10, 50])
def test_it_costs_the_same_queries_for_any_page_size(
    sales_client: Client, salesperson: User, django_assert_num_queries, per_page: int
) -> None:
    for index in range(60):
        if index % 2:
            contact = ContactFactory()
            OpportunityFactory(
                owner=salesperson, customer_account=None, account=None, customer_contact=contact
            )
        else:
            OpportunityFactory(owner=salesperson)

    with django_assert_num_queries(LIST_QUERIES):
        response = sales_client.get(LIST_URL, {"per_page": per_page})

    assert len(response.context["page_obj"].object_list) == per_page


# The opportunity page ---------------------------------------------------------------------


def test_it_shows_the_header_process_bar_and_originating_lead(
    sales_client: Client, salesperson: User
) -> None:
    account = AccountFactory(name="Contoso")
    opportunity = OpportunityFactory(
        owner=salesperson, customer_account=account, estimated_revenue="125000.00"
    )
    lead = LeadFactory(qualified=True, owner=salesperson)
    LeadOrigin.objects.create(lead=lead, opportunity=opportunity)

    response = sales_client.get(opportunity.get_absolute_url())

    page = response.content.decode()
    for label in ("Potential Customer", "Est. Revenue", "Status", "Owner", "Originating Lead"):
        assert label in page
    assert "$125,000.00" in page
    assert account.get_absolute_url() in page
    assert lead.get_absolute_url() in page
    assert [(stage.label, stage.state) for stage in response.context["stages"]] == [
        ("Develop", "active"),
        ("Propose", ""),
        ("Close", ""),
    ]
    assert 'aria-current="step"' in page
    assert "Next Stage" in page and "Previous Stage" in page


def test_its_query_count_does_not_depend_on_the_timeline(
    sales_client: Client, salesperson: User, django_assert_num_queries
) -> None:
    opportunity = OpportunityFactory(owner=salesperson)
    for number in range(5):
        timeline_note_add(record=opportunity, author=UserFactory(), title=f"N{number}", body="")
    ContentType.objects.get_for_model(Opportunity)

    with django_assert_num_queries(DETAIL_QUERIES):
        response = sales_client.get(opportunity.get_absolute_url())

    assert response.content.decode().count('class="kind-note"') == 5


def test_it_marks_earlier_stages_done(sales_client: Client, salesperson) -> None:
    opportunity = OpportunityFactory(owner=salesperson, stage=SalesStage.CLOSE)

    response = sales_client.get(opportunity.get_absolute_url())

    assert [stage.state for stage in response.context["stages"]] == ["done", "done", "active"]


def test_it_404s_for_a_missing_opportunity(sales_client: Client) -> None:
    assert sales_client.get(reverse("crm:opportunity-detail", args=[1234])).status_code == 404


# The stage flyout ---------------------------------------------------------------------------


def test_it_opens_the_flyout_of_a_stage(sales_client: Client, salesperson: User) -> None:
    opportunity = OpportunityFactory(owner=salesperson)

    response = sales_client.get(stage_url(opportunity, "develop"), headers=HTMX)

    page = response.content.decode()
    assert page.lstrip().startswith('<div id="stage-flyout"')
    for label in (
        "Customer Need",
        "Proposed Solution",
        "Identify Stakeholders",
        "Identify Competitors",
    ):
        assert f">{label}</label>" in page
    assert ">Save</button>" in page


@pytest.mark.parametrize(
    ("stage", "labels"),
    [
        (
            "propose",
            [
                "Identify Sales Team",
                "Develop Proposal",
                "Complete Internal Review",
                "Present Proposal",
            ],
        ),
        (
            "close",
            [
                "Complete Final Proposal",
                "Present Final Proposal",
                "Confirm Decision Date",
                "Send Thank You",
                "File De-brief",
            ],
        ),
    ],
)
def test_each_stage_has_its_steps(
    sales_client: Client, salesperson: User, stage: str, labels: list[str]
) -> None:
    opportunity = OpportunityFactory(owner=salesperson, stage=SalesStage.CLOSE)

    page = sales_client.get(stage_url(opportunity, stage), headers=HTMX).content.decode()

    for label in labels:
        assert f">{label}</label>" in page


def test_the_flyout_works_without_javascript(sales_client: Client, salesperson: User) -> None:
    opportunity = OpportunityFactory(owner=salesperson)

    response = sales_client.get(stage_url(opportunity, "develop"))

    page = response.content.decode()
    assert "<html" in page
    assert 'id="stage-flyout" class="flyout' in page


def test_it_404s_for_an_unknown_stage(sales_client: Client, salesperson: User) -> None:
    opportunity = OpportunityFactory(owner=salesperson)

    assert sales_client.get(stage_url(opportunity, "qualify")).status_code == 404


def test_it_saves_the_steps_and_rerenders_the_bar(sales_client: Client, salesperson) -> None:
    opportunity = OpportunityFactory(owner=salesperson)

    response = sales_client.post(stage_url(opportunity, "develop"), DEVELOP_STEPS, headers=HTMX)

    assert response.status_code == 200
    assert response.content.decode().lstrip().startswith('<section id="processbar"')
    opportunity.refresh_from_db()
    assert opportunity.customer_need == "Chairs for the new office"
    assert opportunity.identify_stakeholders is True
    assert opportunity.identify_competitors is False


def test_it_saves_the_steps_without_javascript(sales_client: Client, salesperson) -> None:
    opportunity = OpportunityFactory(owner=salesperson, stage=SalesStage.CLOSE)

    response = sales_client.post(
        stage_url(opportunity, "close"), {"decision_date": "2026-12-24", "file_debrief": "on"}
    )

    assert response.status_code == 302
    assert response["Location"] == opportunity.get_absolute_url()
    opportunity.refresh_from_db()
    assert opportunity.decision_date == datetime.date(2026, 12, 24)
    assert opportunity.file_debrief is True


def test_it_shows_step_errors_in_the_flyout(sales_client: Client, salesperson: User) -> None:
    opportunity = OpportunityFactory(owner=salesperson, stage=SalesStage.CLOSE)

    response = sales_client.post(
        stage_url(opportunity, "close"),
        {"decision_date": "next tuesday", "send_thank_you": "on"},
        headers=HTMX,
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "Enter a valid date." in page
    assert 'id="stage-flyout" class="flyout' in page
    opportunity.refresh_from_db()
    assert opportunity.send_thank_you is False


def test_it_keeps_later_stages_read_only(sales_client: Client, salesperson: User) -> None:
    opportunity = OpportunityFactory(owner=salesperson)

    shown = sales_client.get(stage_url(opportunity, "close"), headers=HTMX)
    posted = sales_client.post(stage_url(opportunity, "close"), {"send_thank_you": "on"})

    assert FUTURE_STAGE_READ_ONLY in shown.content.decode()
    assert ">Save</button>" not in shown.content.decode()
    assert posted.status_code == 200
    assert FUTURE_STAGE_READ_ONLY in posted.content.decode()
    opportunity.refresh_from_db()
    assert opportunity.send_thank_you is False


# Next Stage / Previous Stage ----------------------------------------------------------------


def test_next_stage_moves_on_and_records_it(sales_client: Client, salesperson: User) -> None:
    opportunity = OpportunityFactory(owner=salesperson)

    response = sales_client.post(next_url(opportunity), headers=HTMX)

    assert response.status_code == 200
    assert response.content.decode().lstrip().startswith('<section id="processbar"')
    trigger = json.loads(response["HX-Trigger"])
    assert trigger["opportunityStageChanged"]["stage"] == "propose"
    opportunity.refresh_from_db()
    assert opportunity.stage == SalesStage.PROPOSE
    event = timeline_for(record=opportunity).get()
    assert (event.kind, event.title, event.author) == (
        "system",
        "Stage changed to Propose",
        salesperson,
    )


def test_previous_stage_moves_back_without_javascript(sales_client: Client, salesperson) -> None:
    opportunity = OpportunityFactory(owner=salesperson, stage=SalesStage.PROPOSE)

    response = sales_client.post(previous_url(opportunity))

    assert response.status_code == 302
    opportunity.refresh_from_db()
    assert opportunity.stage == SalesStage.DEVELOP


def test_next_stage_on_close_is_refused_with_a_message(sales_client: Client, salesperson) -> None:
    opportunity = OpportunityFactory(owner=salesperson, stage=SalesStage.CLOSE)

    response = sales_client.post(next_url(opportunity), headers=HTMX)

    assert response.status_code == 200
    assert OPPORTUNITY_LAST_STAGE in response.content.decode()
    assert "HX-Trigger" not in response
    assert not timeline_for(record=opportunity).exists()


def test_the_timeline_reloads_itself_after_a_stage_change(
    sales_client: Client, salesperson: User
) -> None:
    opportunity = OpportunityFactory(owner=salesperson)
    detail = sales_client.get(opportunity.get_absolute_url()).content.decode()
    sales_client.post(next_url(opportunity), headers=HTMX)

    response = sales_client.get(
        opportunity.get_absolute_url(), headers={**HTMX, "HX-Target": "timeline"}
    )

    assert 'hx-trigger="opportunityStageChanged from:body"' in detail
    page = response.content.decode()
    assert page.lstrip().startswith('<section id="timeline"')
    assert "Stage changed to Propose" in page


def test_a_closed_opportunity_is_read_only(sales_client: Client, salesperson: User) -> None:
    opportunity = OpportunityFactory(
        owner=salesperson, state=OpportunityState.WON, status_reason=OpportunityStatus.WON
    )

    page = sales_client.get(opportunity.get_absolute_url()).content.decode()
    flyout = sales_client.get(stage_url(opportunity, "develop"), headers=HTMX).content.decode()
    moved = sales_client.post(next_url(opportunity), headers=HTMX)

    assert "Next Stage" not in page
    assert "Add note" not in page
    assert OPPORTUNITY_CLOSED in flyout
    assert OPPORTUNITY_CLOSED in moved.content.decode()
    opportunity.refresh_from_db()
    assert opportunity.stage == SalesStage.DEVELOP


# Permissions -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "data"),
    [
        (lambda o: stage_url(o, "develop"), DEVELOP_STEPS),
        (next_url, {}),
        (previous_url, {}),
        (note_url, {"note-title": "Sneaky"}),
    ],
)
def test_another_salesperson_cannot_change_it(
    sales_client: Client, other_salesperson: User, url, data: dict
) -> None:
    opportunity = OpportunityFactory(owner=other_salesperson, stage=SalesStage.PROPOSE)

    response = sales_client.post(url(opportunity), data, headers=HTMX)

    assert response.status_code == 403
    assert OPPORTUNITY_CHANGE_FORBIDDEN in response.content.decode()
    opportunity.refresh_from_db()
    assert opportunity.stage == SalesStage.PROPOSE
    assert opportunity.identify_stakeholders is False
    assert not timeline_for(record=opportunity).exists()


def test_another_salesperson_sees_it_read_only(sales_client: Client, other_salesperson) -> None:
    opportunity = OpportunityFactory(owner=other_salesperson)

    page = sales_client.get(opportunity.get_absolute_url()).content.decode()
    flyout = sales_client.get(stage_url(opportunity, "develop"), headers=HTMX).content.decode()

    assert "Next Stage" not in page
    assert "Add note" not in page
    assert OPPORTUNITY_CHANGE_FORBIDDEN in flyout


def test_a_sales_manager_can_change_anyones(
    client: Client, manager: User, other_salesperson: User
) -> None:
    opportunity = OpportunityFactory(owner=other_salesperson)
    client.force_login(manager)

    response = client.post(next_url(opportunity), headers=HTMX)

    assert response.status_code == 200
    opportunity.refresh_from_db()
    assert opportunity.stage == SalesStage.PROPOSE


def test_changes_need_a_login(client: Client) -> None:
    opportunity = OpportunityFactory()

    response = client.post(next_url(opportunity))

    assert response.status_code == 302
    opportunity.refresh_from_db()
    assert opportunity.stage == SalesStage.DEVELOP


def test_stage_moves_refuse_get(sales_client: Client, salesperson: User) -> None:
    opportunity = OpportunityFactory(owner=salesperson)

    assert sales_client.get(next_url(opportunity)).status_code == 405


# Notes and attachments ----------------------------------------------------------------------


def test_it_adds_a_note_with_an_attachment(sales_client: Client, salesperson: User) -> None:
    opportunity = OpportunityFactory(owner=salesperson)

    response = sales_client.post(
        note_url(opportunity),
        {
            "note-title": "Quote <sent>",
            "note-body": "Line one\nLine two",
            "note-attachment": SimpleUploadedFile("quote.pdf", b"%PDF quote"),
        },
        headers=HTMX,
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert page.lstrip().startswith('<section id="timeline"')
    assert "Quote &lt;sent&gt;" in page
    assert "Line one<br>Line two" in page
    entry = timeline_for(record=opportunity).get()
    assert entry.author == salesperson
    assert reverse("crm:timeline-attachment", args=[entry.pk]) in page
    assert ">quote.pdf</a>" in page


def test_it_refuses_an_empty_note(sales_client: Client, salesperson: User) -> None:
    opportunity = OpportunityFactory(owner=salesperson)

    response = sales_client.post(note_url(opportunity), {"note-title": " "}, headers=HTMX)

    assert response.status_code == 200
    assert TIMELINE_NOTE_EMPTY in response.content.decode()
    assert not timeline_for(record=opportunity).exists()


def test_it_refuses_a_large_attachment(sales_client: Client, salesperson: User, settings) -> None:
    settings.ATTACHMENT_MAX_BYTES = 5
    opportunity = OpportunityFactory(owner=salesperson)

    response = sales_client.post(
        note_url(opportunity),
        {"note-attachment": SimpleUploadedFile("big.pdf", b"0123456789")},
        headers=HTMX,
    )

    assert "The attachment is too large" in response.content.decode()
    assert not timeline_for(record=opportunity).exists()


def test_it_adds_a_note_without_javascript(sales_client: Client, salesperson: User) -> None:
    opportunity = OpportunityFactory(owner=salesperson)

    response = sales_client.post(note_url(opportunity), {"note-body": "Called back"})

    assert response.status_code == 302
    assert timeline_for(record=opportunity).get().body == "Called back"


def test_it_downloads_an_attachment_under_its_name(sales_client: Client) -> None:
    opportunity = OpportunityFactory()
    entry = timeline_note_add(
        record=opportunity,
        author=opportunity.owner,
        title="",
        body="",
        attachment=SimpleUploadedFile("price list.csv", b"a,b\n1,2\n"),
    )

    response = sales_client.get(reverse("crm:timeline-attachment", args=[entry.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"a,b\n1,2\n"
    assert response["Content-Disposition"] == 'attachment; filename="price_list.csv"'


def test_attachments_need_a_login(client: Client) -> None:
    opportunity = OpportunityFactory()
    entry = timeline_note_add(
        record=opportunity,
        author=opportunity.owner,
        title="",
        body="",
        attachment=SimpleUploadedFile("a.txt", b"secret"),
    )

    response = client.get(reverse("crm:timeline-attachment", args=[entry.pk]))

    assert response.status_code == 302


def test_a_missing_attachment_is_a_404(sales_client: Client) -> None:
    opportunity = OpportunityFactory()
    note = timeline_note_add(record=opportunity, author=None, title="No file", body="")
    gone = timeline_note_add(
        record=opportunity,
        author=None,
        title="",
        body="",
        attachment=SimpleUploadedFile("gone.txt", b"x"),
    )
    gone.attachment.storage.delete(gone.attachment.name)

    assert sales_client.get(reverse("crm:timeline-attachment", args=[note.pk])).status_code == 404
    assert sales_client.get(reverse("crm:timeline-attachment", args=[gone.pk])).status_code == 404
    assert sales_client.get(reverse("crm:timeline-attachment", args=[999])).status_code == 404
