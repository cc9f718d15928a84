from __future__ import annotations

import datetime

import pytest

from crm.models import Account, Contact, OpportunityState, OpportunityStatus, SalesStage
from crm.selectors import timeline_for
from crm.services.records import (
    ACCOUNT_NAME_REQUIRED,
    CONTACT_LAST_NAME_REQUIRED,
    OPPORTUNITY_CLOSED,
    OPPORTUNITY_CUSTOMER_REQUIRED,
    OPPORTUNITY_FIRST_STAGE,
    OPPORTUNITY_LAST_STAGE,
    AccountNameRequiredError,
    ContactLastNameRequiredError,
    OpportunityClosedError,
    OpportunityCustomerRequiredError,
    OpportunityFirstStageError,
    OpportunityLastStageError,
    OpportunityStageUnknownError,
    OpportunityTopicRequiredError,
    account_create,
    account_match_keys,
    account_update,
    contact_create,
    contact_match_keys,
    contact_update,
    opportunity_stage_next,
    opportunity_stage_previous,
    opportunity_stage_set,
    opportunity_steps_update,
    opportunity_update,
)
from tests.factories import AccountFactory, ContactFactory, OpportunityFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings) -> None:
    """Factories hash a password for every user they make; a fast hasher keeps this quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_it_creates_an_account_with_its_match_keys() -> None:
    owner = UserFactory()

    account = account_create(
        owner=owner, name=" Contoso, Ltd. ", website="https://www.Contoso.com/about", city="Oslo"
    )

    account.refresh_from_db()
    assert (account.name, account.city, account.owner) == ("Contoso, Ltd.", "Oslo", owner)
    assert account.normalized_name == "contoso"
    assert account.website_domain == "contoso.com"


def test_it_refreshes_the_account_match_keys_on_update() -> None:
    account = account_create(owner=UserFactory(), name="Contoso Ltd", website="contoso.com")

    account_update(account=account, name="Fabrikam GmbH", website="https://fabrikam.de")

    account.refresh_from_db()
    assert (account.normalized_name, account.website_domain) == ("fabrikam", "fabrikam.de")


def test_it_refuses_an_account_without_a_name() -> None:
    owner = UserFactory()

    with pytest.raises(AccountNameRequiredError) as error:
        account_create(owner=owner, name="   ")

    assert error.value.message == ACCOUNT_NAME_REQUIRED
    assert not Account.objects.exists()


def test_it_refuses_to_blank_an_account_name() -> None:
    account = AccountFactory(name="Contoso")

    with pytest.raises(AccountNameRequiredError):
        account_update(account=account, name="")

    account.refresh_from_db()
    assert account.name == "Contoso"


def test_it_refuses_a_field_it_does_not_own() -> None:
    with pytest.raises(TypeError, match="normalized_name"):
        account_create(owner=UserFactory(), name="Contoso", normalized_name="other")


def test_it_creates_a_contact_with_its_match_keys() -> None:
    account = AccountFactory()

    contact = contact_create(
        owner=account.owner,
        last_name="Davolio",
        first_name="  Nancy ",
        email=" Nancy.Davolio@CONTOSO.com ",
        account=account,
    )

    contact.refresh_from_db()
    assert contact.email_normalized == "nancy.davolio@contoso.com"
    assert contact.full_name_normalized == "nancy davolio"
    assert contact.account == account


def test_it_refreshes_the_contact_match_keys_on_update() -> None:
    contact = contact_create(owner=UserFactory(), last_name="Davolio", first_name="Nancy")

    contact_update(contact=contact, last_name="Leverling", email="Janet@Fabrikam.com")

    contact.refresh_from_db()
    assert contact.full_name_normalized == "nancy leverling"
    assert contact.email_normalized == "janet@fabrikam.com"


def test_it_refuses_a_contact_without_a_last_name() -> None:
    with pytest.raises(ContactLastNameRequiredError) as error:
        contact_create(owner=UserFactory(), last_name="", first_name="Nancy")

    assert error.value.message == CONTACT_LAST_NAME_REQUIRED
    assert not Contact.objects.exists()


def test_the_key_functions_fill_unsaved_records_for_bulk_create() -> None:
    owner = UserFactory()
    accounts = [account_match_keys(Account(name=f"Contoso {n} Inc", owner=owner)) for n in (1, 2)]
    contacts = [
        contact_match_keys(Contact(first_name="Ann", last_name="Lee", email="A@X.com", owner=owner))
    ]

    Account.objects.bulk_create(accounts)
    Contact.objects.bulk_create(contacts)

    assert sorted(Account.objects.values_list("normalized_name", flat=True)) == [
        "contoso 1",
        "contoso 2",
    ]
    assert Contact.objects.get().email_normalized == "a@x.com"


def test_it_moves_through_the_stages_and_records_each_move() -> None:
    opportunity = OpportunityFactory()
    user = opportunity.owner

    opportunity_stage_next(opportunity=opportunity, acting_user=user)
    assert opportunity.stage == SalesStage.PROPOSE
    opportunity_stage_next(opportunity=opportunity, acting_user=user)
    assert opportunity.stage == SalesStage.CLOSE
    opportunity_stage_previous(opportunity=opportunity, acting_user=user)

    opportunity.refresh_from_db()
    assert opportunity.stage == SalesStage.PROPOSE
    events = list(timeline_for(record=opportunity))
    assert [event.title for event in events] == [
        "Stage changed to Propose",
        "Stage changed to Close",
        "Stage changed to Propose",
    ]
    assert {(event.kind, event.author) for event in events} == {("system", user)}


def test_it_refuses_next_stage_on_close() -> None:
    opportunity = OpportunityFactory(stage=SalesStage.CLOSE)

    with pytest.raises(OpportunityLastStageError) as error:
        opportunity_stage_next(opportunity=opportunity, acting_user=opportunity.owner)

    assert error.value.message == OPPORTUNITY_LAST_STAGE
    opportunity.refresh_from_db()
    assert opportunity.stage == SalesStage.CLOSE
    assert not timeline_for(record=opportunity).exists()


def test_it_refuses_previous_stage_on_develop() -> None:
    opportunity = OpportunityFactory()

    with pytest.raises(OpportunityFirstStageError) as error:
        opportunity_stage_previous(opportunity=opportunity, acting_user=opportunity.owner)

    assert error.value.message == OPPORTUNITY_FIRST_STAGE
    assert not timeline_for(record=opportunity).exists()


@pytest.mark.parametrize(
    ("state", "status"),
    [
        (OpportunityState.WON, OpportunityStatus.WON),
        (OpportunityState.LOST, OpportunityStatus.OUT_SOLD),
    ],
)
def test_it_refuses_stage_moves_on_a_closed_opportunity(state: str, status: str) -> None:
    opportunity = OpportunityFactory(state=state, status_reason=status)

    with pytest.raises(OpportunityClosedError) as error:
        opportunity_stage_next(opportunity=opportunity, acting_user=opportunity.owner)

    assert error.value.message == OPPORTUNITY_CLOSED
    opportunity.refresh_from_db()
    assert opportunity.stage == SalesStage.DEVELOP


def test_it_sees_a_close_made_in_another_tab() -> None:
    opportunity = OpportunityFactory()
    stale = type(opportunity).objects.get(pk=opportunity.pk)
    type(opportunity).objects.filter(pk=opportunity.pk).update(
        state=OpportunityState.WON, status_reason=OpportunityStatus.WON
    )

    with pytest.raises(OpportunityClosedError):
        opportunity_stage_next(opportunity=stale, acting_user=opportunity.owner)


def test_it_sets_a_stage_directly() -> None:
    opportunity = OpportunityFactory()

    opportunity_stage_set(
        opportunity=opportunity, stage=SalesStage.CLOSE, acting_user=opportunity.owner
    )

    opportunity.refresh_from_db()
    assert opportunity.stage == SalesStage.CLOSE
    assert timeline_for(record=opportunity).get().body == "Moved from Develop to Close."


def test_it_records_nothing_when_the_stage_does_not_change() -> None:
    opportunity = OpportunityFactory()

    opportunity_stage_set(
        opportunity=opportunity, stage=SalesStage.DEVELOP, acting_user=opportunity.owner
    )

    assert not timeline_for(record=opportunity).exists()


def test_it_refuses_an_unknown_stage() -> None:
    opportunity = OpportunityFactory()

    with pytest.raises(OpportunityStageUnknownError, match="qualify"):
        opportunity_stage_set(opportunity=opportunity, stage="qualify", acting_user=None)


def test_it_saves_the_steps_of_one_stage() -> None:
    opportunity = OpportunityFactory(stage=SalesStage.CLOSE)

    opportunity_steps_update(
        opportunity=opportunity,
        stage=SalesStage.CLOSE,
        values={"decision_date": datetime.date(2026, 12, 1), "send_thank_you": True},
        acting_user=opportunity.owner,
    )

    opportunity.refresh_from_db()
    assert opportunity.decision_date == datetime.date(2026, 12, 1)
    assert opportunity.send_thank_you is True


def test_it_refuses_a_step_of_another_stage() -> None:
    opportunity = OpportunityFactory()

    with pytest.raises(TypeError, match="identify_stakeholders"):
        opportunity_steps_update(
            opportunity=opportunity,
            stage=SalesStage.CLOSE,
            values={"identify_stakeholders": True},
            acting_user=opportunity.owner,
        )

    opportunity.refresh_from_db()
    assert opportunity.identify_stakeholders is False


def test_it_refuses_steps_on_a_closed_opportunity() -> None:
    opportunity = OpportunityFactory(state=OpportunityState.WON, status_reason="won")

    with pytest.raises(OpportunityClosedError):
        opportunity_steps_update(
            opportunity=opportunity,
            stage=SalesStage.DEVELOP,
            values={"identify_stakeholders": True},
            acting_user=opportunity.owner,
        )

    opportunity.refresh_from_db()
    assert opportunity.identify_stakeholders is False


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
