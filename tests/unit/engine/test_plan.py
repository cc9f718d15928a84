"""qualification_plan: what Qualify will create, what the salesperson decides, which screen."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crm.models import Need, PurchaseTimeframe
from qualification.engine import PlanMode, ScreenKind, qualification_plan
from qualification.models import CreationMode, Experience, QualificationSettings
from qualification.services import field_mapping_create
from tests.factories import AccountFactory, ContactFactory, LeadFactory
from tests.unit.engine.conftest import configure

pytestmark = pytest.mark.django_db


def modes(plan) -> tuple[str, str, str]:
    return (plan.account.mode, plan.contact.mode, plan.opportunity.mode)


@pytest.fixture
def lead():
    return LeadFactory(
        topic="Office chairs",
        first_name="Nina",
        last_name="Novak",
        job_title="Buyer",
        company_name="Fabrikam, Inc.",
        email="Nina.Novak@Fabrikam.example",
        website="https://www.fabrikam.example/shop",
        business_phone="+1 555 100 2000",
        budget_amount=Decimal("12500.00"),
        purchase_timeframe=PurchaseTimeframe.THIS_QUARTER,
        need=Need.MUST_HAVE,
        decision_maker=True,
        qualification_comments="Wants a demo first.",
    )


def test_it_plans_everything_automatic_for_legacy_automatic(lead):
    configure(experience=Experience.LEGACY, legacy_create_automatically=True)

    plan = qualification_plan(lead=lead)

    assert modes(plan) == (PlanMode.AUTOMATIC, PlanMode.AUTOMATIC, PlanMode.AUTOMATIC)
    assert plan.screen == ScreenKind.AUTOMATIC
    assert plan.max_opportunities == 1
    assert not plan.will_summarize


def test_it_plans_the_legacy_dialog_for_legacy_manual(lead):
    configure(experience=Experience.LEGACY, legacy_create_automatically=False)

    plan = qualification_plan(lead=lead)

    assert modes(plan) == (PlanMode.SALESPERSON, PlanMode.SALESPERSON, PlanMode.SALESPERSON)
    assert plan.screen == ScreenKind.LEGACY
    assert plan.max_opportunities == 1


def test_it_ignores_the_per_type_modes_in_the_legacy_experience(lead):
    configure(
        experience=Experience.LEGACY,
        legacy_create_automatically=True,
        account_mode=CreationMode.SALESPERSON,
        contact_mode=CreationMode.SALESPERSON,
        opportunity_mode=CreationMode.SALESPERSON,
    )

    plan = qualification_plan(lead=lead)

    assert modes(plan) == (PlanMode.AUTOMATIC, PlanMode.AUTOMATIC, PlanMode.AUTOMATIC)
    assert plan.screen == ScreenKind.AUTOMATIC


def test_it_plans_everything_automatic_for_new_all_automatic(lead):
    configure(experience=Experience.NEW)

    plan = qualification_plan(lead=lead)

    assert modes(plan) == (PlanMode.AUTOMATIC, PlanMode.AUTOMATIC, PlanMode.AUTOMATIC)
    assert plan.screen == ScreenKind.AUTOMATIC


@pytest.mark.parametrize(
    ("record_type", "expected"),
    [
        ("account", (PlanMode.SALESPERSON, PlanMode.AUTOMATIC, PlanMode.AUTOMATIC)),
        ("contact", (PlanMode.AUTOMATIC, PlanMode.SALESPERSON, PlanMode.AUTOMATIC)),
        ("opportunity", (PlanMode.AUTOMATIC, PlanMode.AUTOMATIC, PlanMode.SALESPERSON)),
    ],
)
def test_it_opens_the_side_pane_for_each_salesperson_type(lead, record_type, expected):
    configure(experience=Experience.NEW, **{f"{record_type}_mode": CreationMode.SALESPERSON})

    plan = qualification_plan(lead=lead)

    assert modes(plan) == expected
    assert plan.screen == ScreenKind.PANE


def test_it_allows_five_opportunities_only_with_new_salesperson_and_the_switch(lead):
    configure(experience=Experience.NEW, opportunity_mode=CreationMode.SALESPERSON)
    assert qualification_plan(lead=lead).max_opportunities == 1

    configure(allow_multiple_opportunities=True)
    assert qualification_plan(lead=lead).max_opportunities == 5


def test_it_allows_one_opportunity_when_a_stored_switch_no_longer_applies(lead):
    # A row written around the admin's checks (say, by a script) must not unlock five.
    configure(experience=Experience.NEW)
    QualificationSettings.objects.update(allow_multiple_opportunities=True)

    assert qualification_plan(lead=lead).max_opportunities == 1


def test_it_uses_the_existing_account_and_contact_of_the_lead():
    account = AccountFactory(name="Contoso")
    contact = ContactFactory(account=account)
    lead = LeadFactory(existing_account=account, existing_contact=contact)
    configure(experience=Experience.NEW, account_mode=CreationMode.SALESPERSON)

    plan = qualification_plan(lead=lead)

    assert plan.account.mode == PlanMode.EXISTING
    assert plan.account.existing == account
    assert plan.contact.mode == PlanMode.EXISTING
    assert plan.contact.existing == contact
    assert plan.opportunity.initial["account"] == account.pk
    assert plan.opportunity.initial["contact"] == contact.pk


def test_it_does_not_create_an_automatic_account_without_a_company_name():
    lead = LeadFactory(company_name="")
    configure(experience=Experience.NEW)

    plan = qualification_plan(lead=lead)

    assert plan.account.mode == PlanMode.NONE
    assert not plan.account.can_create


def test_it_offers_no_create_new_account_without_a_company_name():
    lead = LeadFactory(company_name="  ")
    configure(experience=Experience.NEW, account_mode=CreationMode.SALESPERSON)

    plan = qualification_plan(lead=lead)

    assert plan.account.mode == PlanMode.SALESPERSON
    assert not plan.account.can_create


def test_it_fills_the_initial_values_from_the_default_mappings(lead):
    plan = qualification_plan(lead=lead)

    assert plan.account.initial["name"] == "Fabrikam, Inc."
    assert plan.account.initial["website"] == "https://www.fabrikam.example/shop"
    assert plan.account.initial["phone"] == "+1 555 100 2000"
    assert plan.contact.initial["first_name"] == "Nina"
    assert plan.contact.initial["last_name"] == "Novak"
    assert plan.contact.initial["email"] == "Nina.Novak@Fabrikam.example"
    assert plan.contact.initial["job_title"] == "Buyer"
    assert plan.opportunity.initial["topic"] == "Office chairs"
    assert plan.opportunity.initial["budget_amount"] == Decimal("12500.00")
    assert plan.opportunity.initial["purchase_timeframe"] == PurchaseTimeframe.THIS_QUARTER
    assert plan.opportunity.initial["need"] == Need.MUST_HAVE
    assert plan.opportunity.initial["decision_maker"] is True
    assert plan.opportunity.initial["description"] == "Wants a demo first."


def test_it_applies_a_mapping_an_admin_added(lead):
    lead.description = "Met at the trade show."
    lead.save()
    field_mapping_create(target="account", source_field="description", target_field="description")

    plan = qualification_plan(lead=lead)

    assert plan.account.initial["description"] == "Met at the trade show."


def test_it_orders_the_quick_create_fields_with_topic_first(lead):
    configure(
        experience=Experience.NEW,
        opportunity_mode=CreationMode.SALESPERSON,
        opportunity_quick_create_fields=["need", "topic", "budget_amount"],
    )

    plan = qualification_plan(lead=lead)

    assert plan.quick_create_fields == ["topic", "need", "budget_amount"]


def test_it_reads_the_settings_fresh_for_every_plan(lead):
    assert qualification_plan(lead=lead).screen == ScreenKind.AUTOMATIC

    configure(contact_mode=CreationMode.SALESPERSON, summarize_after_qualify=True)

    plan = qualification_plan(lead=lead)
    assert plan.screen == ScreenKind.PANE
    assert plan.will_summarize


def test_its_signature_names_the_screen_it_draws(lead):
    configure(experience=Experience.NEW, account_mode=CreationMode.SALESPERSON)
    pane = qualification_plan(lead=lead).signature

    configure(account_mode=CreationMode.AUTOMATIC)

    assert qualification_plan(lead=lead).signature != pane
    assert pane.startswith("pane:")


def test_it_plans_in_a_fixed_number_of_queries(lead, django_assert_num_queries):
    QualificationSettings.load()
    # settings, mappings: the plan looks nothing up (the qualify finds the duplicates).
    with django_assert_num_queries(2):
        qualification_plan(lead=lead)
