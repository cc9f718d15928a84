"""Close as Won, Close as Lost and Reopen on the opportunity page."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from crm.models import OpportunityState, SalesStage
from crm.selectors import timeline_for
from crm.services.errors import (
    ACTUAL_CLOSE_DATE_REQUIRED,
    ACTUAL_REVENUE_REQUIRED,
    OPPORTUNITY_CHANGE_FORBIDDEN,
    OPPORTUNITY_CLOSED,
    OPPORTUNITY_NOT_CLOSED,
)
from tests.factories import OpportunityFactory
from tests.views.opportunity_urls import HTMX, close_url, reopen_url

pytestmark = pytest.mark.django_db

WON = {"status_reason": "won", "actual_revenue": "12500.00", "actual_close_date": "2026-03-03"}
LOST = {"status_reason": "out_sold", "actual_revenue": "", "actual_close_date": "2026-03-03"}


def test_the_won_dialog_asks_for_actual_revenue_and_close_date(
    sales_client: Client, salesperson: User
) -> None:
    opportunity = OpportunityFactory(owner=salesperson, estimated_revenue="9000.00")

    response = sales_client.get(close_url(opportunity, "won"), headers=HTMX)

    page = response.content.decode()
    assert page.lstrip().startswith('<div class="dialog-host">')
    assert '<dialog data-modal class="record-dialog" aria-labelledby="close-title">' in page
    assert '<h2 id="close-title">Close as Won</h2>' in page
    for label in ("Status Reason", "Actual Revenue", "Actual Close Date", "Description"):
        assert f">{label}</label>" in page
    assert 'value="9000.00"' in page, "the estimated revenue by default"
    assert f'value="{timezone.localdate():%Y-%m-%d}"' in page, "today by default"
    assert '<option value="won" selected>Won</option>' in page


def test_the_lost_dialog_offers_canceled_and_out_sold(sales_client: Client, salesperson) -> None:
    opportunity = OpportunityFactory(owner=salesperson)

    page = sales_client.get(close_url(opportunity, "lost"), headers=HTMX).content.decode()

    assert '<option value="canceled" selected>Canceled</option>' in page
    assert '<option value="out_sold">Out-Sold</option>' in page
    assert '<option value="won"' not in page


def test_it_closes_as_won_and_the_page_turns_read_only(sales_client: Client, salesperson) -> None:
    opportunity = OpportunityFactory(owner=salesperson, stage=SalesStage.DEVELOP)

    response = sales_client.post(close_url(opportunity, "won"), WON, headers=HTMX)

    assert response["HX-Redirect"] == opportunity.get_absolute_url()
    opportunity.refresh_from_db()
    assert (opportunity.state, opportunity.stage) == (OpportunityState.WON, SalesStage.CLOSE)
    assert opportunity.actual_close_date == datetime.date(2026, 3, 3)
    page = sales_client.get(opportunity.get_absolute_url())
    html = page.content.decode()
    assert "Opportunity closed as Won." in html
    assert [cell.state for cell in page.context["stages"]] == ["done", "done", "done"]
    assert "Read-only: this opportunity is won." in html
    for command in ("Close as Won</a>", "Close as Lost</a>", ">Edit</a>", "Next Stage", "Add note"):
        assert command not in html
    assert ">Reopen</button>" in html


def test_it_closes_as_lost_without_javascript(sales_client: Client, salesperson) -> None:
    opportunity = OpportunityFactory(owner=salesperson)

    response = sales_client.post(close_url(opportunity, "lost"), LOST)

    assert response.status_code == 302
    opportunity.refresh_from_db()
    assert (opportunity.state, opportunity.status_reason) == ("lost", "out_sold")
    assert timeline_for(record=opportunity).get().title == "Opportunity closed as Out-Sold"


def test_the_dialog_works_without_javascript(sales_client: Client, salesperson) -> None:
    opportunity = OpportunityFactory(owner=salesperson)

    page = sales_client.get(close_url(opportunity, "lost")).content.decode()

    assert "<html" in page
    assert "<dialog data-modal open" in page


@pytest.mark.parametrize(
    ("state", "changes", "message"),
    [
        ("won", {"actual_revenue": ""}, ACTUAL_REVENUE_REQUIRED),
        ("won", {"actual_close_date": ""}, ACTUAL_CLOSE_DATE_REQUIRED),
        ("won", {"actual_revenue": "-1"}, "Ensure this value is greater than or equal to 0."),
        ("won", {"actual_revenue": "lots"}, "Enter a number."),
        ("won", {"actual_close_date": "31/02/2026"}, "Enter a valid date."),
        ("lost", {"status_reason": "won"}, "Select a valid choice."),
    ],
)
def test_bad_input_is_shown_in_the_dialog_and_closes_nothing(
    sales_client: Client, salesperson: User, state: str, changes: dict, message: str
) -> None:
    opportunity = OpportunityFactory(owner=salesperson)
    data = (WON if state == "won" else LOST) | changes

    response = sales_client.post(close_url(opportunity, state), data, headers=HTMX)

    assert response.status_code == 200
    assert message in response.content.decode()
    opportunity.refresh_from_db()
    assert opportunity.state == OpportunityState.OPEN
    assert not timeline_for(record=opportunity).exists()


def test_a_closed_opportunity_says_so_in_the_dialog(sales_client: Client, salesperson) -> None:
    opportunity = OpportunityFactory(owner=salesperson, state="won", status_reason="won")

    shown = sales_client.get(close_url(opportunity, "lost"), headers=HTMX).content.decode()
    posted = sales_client.post(close_url(opportunity, "lost"), LOST, headers=HTMX)

    assert OPPORTUNITY_CLOSED in shown
    assert "disabled>Close as Lost</button>" in shown
    assert OPPORTUNITY_CLOSED in posted.content.decode()
    opportunity.refresh_from_db()
    assert opportunity.state == OpportunityState.WON


def test_another_salesperson_cannot_close_or_reopen(
    sales_client: Client, other_salesperson
) -> None:
    opportunity = OpportunityFactory(owner=other_salesperson)
    closed = OpportunityFactory(owner=other_salesperson, state="won", status_reason="won")

    for response in (
        sales_client.get(close_url(opportunity, "won"), headers=HTMX),
        sales_client.post(close_url(opportunity, "won"), WON, headers=HTMX),
        sales_client.post(reopen_url(closed), headers=HTMX),
    ):
        assert response.status_code == 403
        assert OPPORTUNITY_CHANGE_FORBIDDEN in response.content.decode()
    opportunity.refresh_from_db()
    closed.refresh_from_db()
    assert (opportunity.state, closed.state) == ("open", "won")


def test_an_unknown_outcome_is_a_404(sales_client: Client, salesperson: User) -> None:
    opportunity = OpportunityFactory(owner=salesperson)

    assert sales_client.get(close_url(opportunity, "open")).status_code == 404


def test_reopen_makes_it_open_again(sales_client: Client, salesperson: User) -> None:
    opportunity = OpportunityFactory(owner=salesperson, state="lost", status_reason="canceled")

    response = sales_client.post(reopen_url(opportunity), headers=HTMX)

    assert response["HX-Redirect"] == opportunity.get_absolute_url()
    opportunity.refresh_from_db()
    assert (opportunity.state, opportunity.status_reason) == ("open", "in_progress")
    page = sales_client.get(opportunity.get_absolute_url()).content.decode()
    assert "Opportunity reopened." in page
    assert "Close as Won</a>" in page


def test_reopen_refuses_an_open_opportunity(sales_client: Client, salesperson: User) -> None:
    opportunity = OpportunityFactory(owner=salesperson)

    response = sales_client.post(reopen_url(opportunity), follow=True)

    assert OPPORTUNITY_NOT_CLOSED in response.content.decode()
    assert not timeline_for(record=opportunity).exists()
