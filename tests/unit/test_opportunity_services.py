from __future__ import annotations

import pytest

from crm.services.errors import (
    OPPORTUNITY_CUSTOMER_REQUIRED,
    OpportunityCustomerRequiredError,
    OpportunityTopicRequiredError,
)
from crm.services.opportunities import opportunity_update
from tests.factories import ContactFactory, OpportunityFactory

pytestmark = pytest.mark.django_db


def test_it_updates_an_opportunity() -> None:
    opportunity = OpportunityFactory()
    contact = ContactFactory()

    opportunity_update(
        opportunity=opportunity,
        acting_user=opportunity.owner,
        topic="Renewal",
        customer_account=None,
        customer_contact=contact,
    )

    opportunity.refresh_from_db()
    assert (opportunity.topic, opportunity.potential_customer) == ("Renewal", contact)


def test_it_refuses_an_opportunity_without_a_topic() -> None:
    opportunity = OpportunityFactory(topic="Chairs")

    with pytest.raises(OpportunityTopicRequiredError):
        opportunity_update(opportunity=opportunity, acting_user=opportunity.owner, topic=" ")

    opportunity.refresh_from_db()
    assert opportunity.topic == "Chairs"


def test_it_refuses_an_opportunity_without_a_customer() -> None:
    opportunity = OpportunityFactory()

    with pytest.raises(OpportunityCustomerRequiredError) as error:
        opportunity_update(
            opportunity=opportunity, acting_user=opportunity.owner, customer_account=None
        )

    assert error.value.message == OPPORTUNITY_CUSTOMER_REQUIRED
    opportunity.refresh_from_db()
    assert opportunity.customer_account is not None
