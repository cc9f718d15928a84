"""The opportunity page: header, details, process bar state, Edit."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse

from crm.models import Opportunity, SalesStage
from crm.services.errors import OPPORTUNITY_CHANGE_FORBIDDEN, OPPORTUNITY_CLOSED
from crm.services.timeline import timeline_note_add
from leads.models import LeadOrigin
from tests.factories import (
    AccountFactory,
    LeadFactory,
    OpportunityFactory,
    UserFactory,
)
from tests.views.opportunity_urls import HTMX, edit_url, next_url

pytestmark = pytest.mark.django_db


# Session, user, the opportunity with its customer, account, contact, owner and lead, and the
# timeline with its authors (content types are cached per process).
DETAIL_QUERIES = 4


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


# Edit -----------------------------------------------------------------------------------------

EDIT = {
    "topic": "Ergonomic chairs",
    "estimated_revenue": "48000.00",
    "estimated_close_date": "2026-09-30",
    "budget_amount": "50000",
    "purchase_timeframe": "this_quarter",
    "purchase_process": "committee",
    "decision_maker": "on",
    "need": "must_have",
    "description": "Two floors.",
}


def test_edit_turns_the_details_into_the_form(sales_client: Client, salesperson: User) -> None:
    opportunity = OpportunityFactory(owner=salesperson)

    response = sales_client.get(edit_url(opportunity), headers=HTMX)

    page = response.content.decode()
    assert page.lstrip().startswith('<section id="record-details"')
    for label in (
        "Topic",
        "Est. Revenue",
        "Est. Close Date",
        "Budget Amount",
        "Purchase Timeframe",
        "Purchase Process",
        "Decision Maker",
        "Need",
        "Description",
    ):
        assert f">{label}</label>" in page
    assert ">Save</button>" in page


def test_it_saves_the_fields_and_goes_back_to_the_page(sales_client: Client, salesperson) -> None:
    opportunity = OpportunityFactory(owner=salesperson)

    response = sales_client.post(edit_url(opportunity), EDIT, headers=HTMX)

    assert response.status_code == 200
    assert response["HX-Redirect"] == opportunity.get_absolute_url()
    opportunity.refresh_from_db()
    assert opportunity.topic == "Ergonomic chairs"
    assert str(opportunity.estimated_revenue) == "48000.00"
    assert opportunity.estimated_close_date == datetime.date(2026, 9, 30)
    assert (opportunity.purchase_process, opportunity.decision_maker) == ("committee", True)
    page = sales_client.get(opportunity.get_absolute_url()).content.decode()
    assert "Opportunity saved." in page
    assert "$48,000.00" in page


def test_it_saves_without_javascript(sales_client: Client, salesperson: User) -> None:
    opportunity = OpportunityFactory(owner=salesperson)

    response = sales_client.post(edit_url(opportunity), EDIT)

    assert response.status_code == 302
    assert response["Location"] == opportunity.get_absolute_url()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"topic": "   "}, "Topic is required."),
        ({"estimated_revenue": "-5"}, "Ensure this value is greater than or equal to 0."),
        ({"estimated_close_date": "soon"}, "Enter a valid date."),
    ],
)
def test_it_shows_bad_input_in_the_form_and_saves_nothing(
    sales_client: Client, salesperson: User, changes: dict, message: str
) -> None:
    opportunity = OpportunityFactory(owner=salesperson, topic="Chairs")

    response = sales_client.post(edit_url(opportunity), EDIT | changes, headers=HTMX)

    page = response.content.decode()
    assert response.status_code == 200
    assert message in page
    assert 'id="record-details"' in page
    opportunity.refresh_from_db()
    assert opportunity.topic == "Chairs"


def test_another_salesperson_cannot_edit_it(sales_client: Client, other_salesperson) -> None:
    opportunity = OpportunityFactory(owner=other_salesperson, topic="Chairs")

    shown = sales_client.get(edit_url(opportunity), headers=HTMX)
    posted = sales_client.post(edit_url(opportunity), EDIT, headers=HTMX)

    assert shown.status_code == posted.status_code == 403
    assert OPPORTUNITY_CHANGE_FORBIDDEN in posted.content.decode()
    opportunity.refresh_from_db()
    assert opportunity.topic == "Chairs"


def test_a_closed_opportunity_cannot_be_edited(sales_client: Client, salesperson: User) -> None:
    opportunity = OpportunityFactory(
        owner=salesperson, topic="Chairs", state="won", status_reason="won"
    )

    page = sales_client.get(opportunity.get_absolute_url()).content.decode()
    response = sales_client.post(edit_url(opportunity), EDIT, follow=True)

    assert ">Edit</a>" not in page
    assert "Reopen" in page
    assert OPPORTUNITY_CLOSED in response.content.decode()
    opportunity.refresh_from_db()
    assert opportunity.topic == "Chairs"


def test_the_details_reload_themselves_after_a_stage_change(
    sales_client: Client, salesperson: User
) -> None:
    # The bug: after Next Stage, "Sales Stage" in the Details card showed the old stage.
    opportunity = OpportunityFactory(owner=salesperson)
    page = sales_client.get(opportunity.get_absolute_url()).content.decode()
    sales_client.post(next_url(opportunity), headers=HTMX)

    details = sales_client.get(
        opportunity.get_absolute_url(), headers={**HTMX, "HX-Target": "record-details"}
    ).content.decode()

    assert 'hx-trigger="opportunityStageChanged from:body"' in page.split('id="record-details"')[1]
    assert details.lstrip().startswith('<section id="record-details"')
    assert "<dt>Sales Stage</dt><dd>Propose</dd>" in details


def test_a_closed_opportunity_shows_its_actual_figures(sales_client: Client, salesperson) -> None:
    opportunity = OpportunityFactory(
        owner=salesperson,
        state="won",
        status_reason="won",
        actual_revenue="12500",
        actual_close_date=datetime.date(2026, 3, 3),
    )

    page = sales_client.get(opportunity.get_absolute_url()).content.decode()

    assert "<span>Actual Revenue</span><strong>$12,500.00</strong>" in page
    assert "<span>Actual Close Date</span><strong>Mar 3, 2026</strong>" in page
    assert OPPORTUNITY_CLOSED in page
