"""lead_create, lead_update, lead_qualify_stage_update: open leads only, the owner's or a
manager's."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from leads.models import Lead, LeadState, LeadStatus
from leads.services import (
    LEAD_CLOSED_READ_ONLY,
    LEAD_NOT_YOURS,
    LeadPermissionError,
    LeadReadOnlyError,
    lead_create,
    lead_qualify_stage_update,
    lead_update,
)
from tests.factories import (
    AccountFactory,
    ContactFactory,
    LeadFactory,
)

pytestmark = pytest.mark.django_db


def test_it_creates_an_open_new_lead_owned_by_the_acting_user(salesperson: User) -> None:
    lead = lead_create(
        acting_user=salesperson,
        data={"topic": "Coffee machines", "last_name": "Lee", "company_name": "Contoso"},
    )

    lead.refresh_from_db()
    assert (lead.state, lead.status_reason) == (LeadState.OPEN, LeadStatus.NEW)
    assert lead.owner == salesperson
    assert lead.company_name == "Contoso"


def test_it_refuses_to_create_a_lead_without_last_name(salesperson: User) -> None:
    with pytest.raises(ValidationError) as error:
        lead_create(acting_user=salesperson, data={"topic": "Coffee machines"})

    assert "last_name" in error.value.message_dict
    assert not Lead.objects.exists()


def test_it_updates_an_open_lead(salesperson: User) -> None:
    lead = LeadFactory(owner=salesperson, topic="Old")

    lead_update(lead=lead, acting_user=salesperson, data={"topic": "New", "city": "Oslo"})

    lead.refresh_from_db()
    assert (lead.topic, lead.city) == ("New", "Oslo")


def test_it_ignores_fields_outside_the_form_on_update(salesperson: User) -> None:
    lead = LeadFactory(owner=salesperson)

    lead_update(
        lead=lead,
        acting_user=salesperson,
        data={"state": LeadState.QUALIFIED, "status_reason": LeadStatus.QUALIFIED},
    )

    lead.refresh_from_db()
    assert lead.state == LeadState.OPEN


@pytest.mark.parametrize("trait", ["qualified", "disqualified"])
def test_it_refuses_to_update_a_closed_lead(salesperson: User, trait: str) -> None:
    lead = LeadFactory(owner=salesperson, topic="Kept", **{trait: True})

    with pytest.raises(LeadReadOnlyError) as error:
        lead_update(lead=lead, acting_user=salesperson, data={"topic": "Changed"})

    assert error.value.message == LEAD_CLOSED_READ_ONLY
    lead.refresh_from_db()
    assert lead.topic == "Kept"


def test_it_refuses_to_update_another_salespersons_lead(
    salesperson: User, other_salesperson: User
) -> None:
    lead = LeadFactory(owner=other_salesperson, topic="Kept")

    with pytest.raises(LeadPermissionError) as error:
        lead_update(lead=lead, acting_user=salesperson, data={"topic": "Changed"})

    assert error.value.message == LEAD_NOT_YOURS
    lead.refresh_from_db()
    assert lead.topic == "Kept"


def test_it_lets_a_manager_update_any_lead(manager: User, other_salesperson: User) -> None:
    lead = LeadFactory(owner=other_salesperson)

    lead_update(lead=lead, acting_user=manager, data={"topic": "By the manager"})

    lead.refresh_from_db()
    assert lead.topic == "By the manager"
    assert lead.owner == other_salesperson


def test_it_saves_the_qualify_stage_steps(salesperson: User) -> None:
    lead = LeadFactory(owner=salesperson)
    account = AccountFactory()
    contact = ContactFactory(account=account)

    lead_qualify_stage_update(
        lead=lead,
        acting_user=salesperson,
        data={
            "existing_account": account,
            "existing_contact": contact,
            "purchase_timeframe": "this_quarter",
            "budget_amount": Decimal("25000.50"),
            "purchase_process": "committee",
            "decision_maker": True,
            "qualification_comments": "Ready to buy",
        },
    )

    lead.refresh_from_db()
    assert lead.existing_account == account
    assert lead.existing_contact == contact
    assert lead.purchase_timeframe == "this_quarter"
    assert lead.budget_amount == Decimal("25000.50")
    assert lead.decision_maker is True
    assert lead.qualification_comments == "Ready to buy"


def test_it_refuses_a_budget_above_the_limit(salesperson: User) -> None:
    lead = LeadFactory(owner=salesperson)

    with pytest.raises(ValidationError) as error:
        lead_qualify_stage_update(
            lead=lead, acting_user=salesperson, data={"budget_amount": Decimal("1e12") + 1}
        )

    assert "budget_amount" in error.value.message_dict
    lead.refresh_from_db()
    assert lead.budget_amount is None


def test_it_refuses_qualify_steps_on_a_closed_lead(salesperson: User) -> None:
    lead = LeadFactory(owner=salesperson, disqualified=True)

    with pytest.raises(LeadReadOnlyError):
        lead_qualify_stage_update(
            lead=lead, acting_user=salesperson, data={"purchase_timeframe": "immediate"}
        )

    lead.refresh_from_db()
    assert lead.purchase_timeframe == ""
