"""The process bar: a stage's flyout and its steps, Next Stage and Previous Stage, and who may
use them."""

from __future__ import annotations

import datetime
import json

import pytest
from django.contrib.auth.models import User
from django.test import Client

from crm.models import OpportunityState, OpportunityStatus, SalesStage
from crm.selectors import timeline_for
from crm.services.errors import FUTURE_STAGE_READ_ONLY, OPPORTUNITY_CHANGE_FORBIDDEN
from crm.services.records import OPPORTUNITY_CLOSED, OPPORTUNITY_LAST_STAGE
from tests.factories import (
    OpportunityFactory,
)
from tests.views.opportunity_urls import (
    HTMX,
    next_url,
    note_url,
    previous_url,
    stage_url,
)

pytestmark = pytest.mark.django_db


DEVELOP_STEPS = {
    "customer_need": "Chairs for the new office",
    "proposed_solution": "Model X in two colours",
    "identify_stakeholders": "on",
}


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
