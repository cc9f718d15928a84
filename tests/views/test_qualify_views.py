"""The command bar's Qualify: the processing dialog, the legacy dialog, the side pane, the
opportunity forms, search, the duplicate dialog and the refusals."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import Client
from django.urls import reverse

from crm.models import Account, Contact, Opportunity, PurchaseTimeframe
from leads.models import Lead, LeadState
from qualification.engine import (
    LEAD_ALREADY_QUALIFIED,
    LEAD_CLOSED,
    OPPORTUNITY_NEEDS_CUSTOMER,
    REQUIRED,
    TOO_MANY_OPPORTUNITIES,
    lead_qualify,
    qualification_plan,
)
from qualification.forms import (
    CHOOSE_ONE,
    CORRECT_THE_ERRORS,
    ONE_OPPORTUNITY,
    OPPORTUNITY_LIMIT,
    PICK_DUPLICATE,
    PICK_EXISTING,
    SETTINGS_CHANGED,
    QualifyForm,
)
from qualification.models import CreationMode, Experience, Qualification, QualificationSettings
from qualification.services import qualification_settings_update
from tests.factories import AccountFactory, ContactFactory, LeadFactory

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
SALESPERSON = CreationMode.SALESPERSON


def configure(**fields: object) -> QualificationSettings:
    return qualification_settings_update(
        qualification_settings=QualificationSettings.load(), **fields
    )


def qualify_url(lead: Lead) -> str:
    return reverse("qualification:lead-qualify", args=[lead.pk])


def opportunity_form_url(lead: Lead) -> str:
    return reverse("qualification:qualify-opportunity-form", args=[lead.pk])


def search_url(lead: Lead, record_type: str) -> str:
    return reverse("qualification:qualify-record-search", args=[lead.pk, record_type])


def counts() -> tuple[int, int, int, int]:
    return (
        Account.objects.count(),
        Contact.objects.count(),
        Opportunity.objects.count(),
        Qualification.objects.count(),
    )


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def screen_post(lead: Lead, **changes: Any) -> dict[str, Any]:
    """What the browser posts from the screen as first drawn (every prefilled value), changed."""
    form = QualifyForm(plan=qualification_plan(lead=lead))
    data: dict[str, Any] = {"screen": form.signature, "action": "qualify"}
    for section in form.sections:
        if section.form is not None:
            data[section.form.add_prefix("choice")] = section.form.fields["choice"].initial
            for bound in section.form.create_fields:
                data[bound.html_name] = _text(bound.value())
    if form.legacy is not None:
        data.update({bound.html_name: "on" for bound in form.legacy if bound.value()})
    if form.manual_opportunities:
        data["opportunities-shown"] = "1"
        data["opportunity-index"] = ["0"]
        data.update({bound.html_name: _text(bound.value()) for bound in form.opportunity_forms[0]})
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def opportunity_fields(index: int, topic: str, **fields: str) -> dict[str, str]:
    return {f"opportunity-{index}-topic": topic} | {
        f"opportunity-{index}-{name}": value for name, value in fields.items()
    }


def assert_nothing_written(lead: Lead, before: tuple[int, int, int, int]) -> None:
    assert counts() == before
    lead.refresh_from_db()
    assert lead.state == LeadState.OPEN


def client_redirect(response) -> str:
    assert response.status_code == 200, response.content.decode()
    return response["HX-Redirect"]


@pytest.fixture
def lead(salesperson: User) -> Lead:
    return LeadFactory(
        owner=salesperson,
        topic="Office chairs",
        first_name="Nina",
        last_name="Novak",
        job_title="Buyer",
        company_name="Fabrikam, Inc.",
        email="nina.novak@fabrikam.example",
        website="https://www.fabrikam.example",
        business_phone="+1 555 100 2000",
        city="Springfield",
        budget_amount=Decimal("12500.00"),
        purchase_timeframe=PurchaseTimeframe.THIS_QUARTER,
    )


# Legacy -----------------------------------------------------------------------------------


def test_it_qualifies_legacy_automatic_through_the_processing_dialog(sales_client, lead):
    configure(experience=Experience.LEGACY, legacy_create_automatically=True)

    response = sales_client.get(qualify_url(lead), **HX)

    body = response.content.decode()
    assert response.status_code == 200
    assert 'aria-labelledby="qualify-processing-title"' in body
    assert ">Qualify lead</h2>" in body
    assert 'class="htmx-indicator processing"' in body and "Processing</span>" in body
    assert f'hx-post="{qualify_url(lead)}" hx-trigger="load"' in body
    assert 'type="checkbox"' not in body
    assert Qualification.objects.count() == 0

    response = sales_client.post(qualify_url(lead), screen_post(lead), **HX)

    opportunity = Opportunity.objects.get()
    assert client_redirect(response) == opportunity.get_absolute_url()
    assert json.loads(response["HX-Trigger"])["leadQualified"]["lead"] == lead.pk
    assert opportunity.customer_account == Account.objects.get(name="Fabrikam, Inc.")
    assert Contact.objects.get().last_name == "Novak"
    lead.refresh_from_db()
    assert lead.state == LeadState.QUALIFIED


def test_it_shows_the_legacy_dialog_with_three_checkboxes(sales_client, lead):
    configure(experience=Experience.LEGACY, legacy_create_automatically=False)

    response = sales_client.get(qualify_url(lead), **HX)

    body = response.content.decode()
    assert (
        '<dialog class="qualify-dialog" data-modal aria-labelledby="qualify-dialog-title">' in body
    )
    for name, label in (
        ("create_account", "Account"),
        ("create_contact", "Contact"),
        ("create_opportunity", "Opportunity"),
    ):
        assert f'type="checkbox" name="{name}" id="id_{name}" checked' in body
        assert f'<label for="id_{name}">{label}</label>' in body
    assert (
        '<button type="submit" name="action" value="qualify" class="primary">Qualify</button>'
        in body
    )
    assert ">Cancel</a>" in body
    assert "Processing" in body


def test_it_creates_what_the_legacy_dialog_ticks(sales_client, lead):
    configure(experience=Experience.LEGACY, legacy_create_automatically=False)
    data = screen_post(lead, create_opportunity=None)

    response = sales_client.post(qualify_url(lead), data, **HX)

    # No opportunity: back to the lead.
    assert client_redirect(response) == lead.get_absolute_url()
    assert Account.objects.get().name == "Fabrikam, Inc."
    assert Contact.objects.get().account == Account.objects.get()
    assert Opportunity.objects.count() == 0


def test_it_shows_the_legacy_error_when_nothing_can_be_the_customer(sales_client, lead):
    configure(experience=Experience.LEGACY, legacy_create_automatically=False)
    before = counts()
    data = screen_post(lead, create_account=None, create_contact=None)

    response = sales_client.post(qualify_url(lead), data, **HX)

    body = response.content.decode()
    assert response.status_code == 200
    assert f"Opportunity 1: {OPPORTUNITY_NEEDS_CUSTOMER}" in body
    assert 'name="create_opportunity" id="id_create_opportunity" checked' in body
    assert_nothing_written(lead, before)


def test_it_disables_the_legacy_account_box_without_a_company_name(sales_client, salesperson):
    configure(experience=Experience.LEGACY, legacy_create_automatically=False)
    lead = LeadFactory(owner=salesperson, company_name="")

    body = sales_client.get(qualify_url(lead), **HX).content.decode()

    assert '<input type="checkbox" name="create_account" disabled' in body
    assert 'id="id_create_account_helptext">Needs a Company Name on the lead.</span>' in body
    response = sales_client.post(qualify_url(lead), screen_post(lead), **HX)
    assert client_redirect(response) == Opportunity.objects.get().get_absolute_url()
    assert Account.objects.count() == 0
    assert Opportunity.objects.get().customer_contact == Contact.objects.get()


# New, all automatic -----------------------------------------------------------------------


def test_it_qualifies_new_all_automatic_and_opens_the_opportunity(sales_client, lead):
    configure(experience=Experience.NEW)

    body = sales_client.get(qualify_url(lead), **HX).content.decode()
    assert 'hx-trigger="load"' in body and "Processing" in body

    response = sales_client.post(qualify_url(lead), screen_post(lead), **HX)

    assert client_redirect(response) == Opportunity.objects.get().get_absolute_url()
    assert Qualification.objects.get().account_created


def test_it_opens_the_lead_qualified_page_when_summaries_are_on(sales_client, lead):
    configure(experience=Experience.NEW, summarize_after_qualify=True)

    response = sales_client.post(qualify_url(lead), screen_post(lead), **HX)

    qualification = Qualification.objects.get()
    assert client_redirect(response) == reverse(
        "qualification:lead-qualified", args=[lead.pk, qualification.pk]
    )
    assert "Nina Novak" in qualification.summary


# The side pane ----------------------------------------------------------------------------


def test_it_shows_the_side_pane_with_the_automatic_records_read_only(sales_client, lead):
    configure(account_mode=SALESPERSON)

    body = sales_client.get(qualify_url(lead), **HX).content.decode()

    assert (
        '<dialog class="sidepane qualify-pane" data-modal aria-labelledby="qualify-pane-title">'
        in body
    )
    assert '<h2 id="qualify-pane-title">Qualify lead</h2>' in body
    # Account is the salesperson's: three choices, Create new prefilled from the mappings.
    assert (
        'name="account-choice" value="create" id="id_account-choice_0" checked> Create new' in body
    )
    assert 'name="account-choice" value="existing" id="id_account-choice_1"> Use existing' in body
    assert 'name="account-choice" value="skip" id="id_account-choice_2"> Skip' in body
    assert '<label for="id_account-name" class="required">Account Name</label>' in body
    assert 'name="account-name" value="Fabrikam, Inc."' in body
    # Contact and opportunity are automatic: listed, not editable.
    assert "A new contact will be created automatically." in body
    assert "<dt>Email</dt><dd>nina.novak@fabrikam.example</dd>" in body
    assert "An opportunity will be created automatically." in body
    assert "<dt>Budget Amount</dt><dd>$12,500.00</dd>" in body
    assert "<dt>Purchase Timeframe</dt><dd>This Quarter</dd>" in body
    assert 'name="contact-choice"' not in body
    assert "To change these values, cancel and edit the lead." in body
    assert (
        '<button type="submit" name="action" value="qualify" class="primary">Qualify</button>'
        in body
    )
    assert "data-close-dialog>Cancel</a>" in body
    assert 'aria-label="Close" data-close-dialog>' in body
    assert Qualification.objects.count() == 0


def test_it_offers_the_contact_choices_when_the_contact_is_manual(sales_client, lead):
    configure(contact_mode=SALESPERSON)

    body = sales_client.get(qualify_url(lead), **HX).content.decode()

    assert 'name="contact-choice" value="create"' in body
    for label in ("First Name", "Last Name", "Email", "Job Title", "Business Phone"):
        assert f">{label}</label>" in body
    assert 'name="contact-last_name" value="Novak"' in body
    assert "A new account will be created automatically." in body


def test_it_offers_no_account_create_new_without_a_company_name(sales_client, salesperson):
    configure(account_mode=SALESPERSON)
    lead = LeadFactory(owner=salesperson, company_name="")

    body = sales_client.get(qualify_url(lead), **HX).content.decode()

    assert 'name="account-choice" value="create"' not in body
    assert 'name="account-choice" value="skip" id="id_account-choice_1" checked' in body
    assert "Create new needs a Company Name on the lead." in body


def test_it_shows_the_existing_account_on_the_lead_read_only(sales_client, salesperson):
    configure(account_mode=SALESPERSON, contact_mode=SALESPERSON)
    existing = AccountFactory(name="Northwind Traders")
    lead = LeadFactory(owner=salesperson, existing_account=existing)

    body = sales_client.get(qualify_url(lead), **HX).content.decode()

    assert "Existing Account on the lead: <a" in body
    assert "Northwind Traders</a> will be used." in body
    assert 'name="account-choice"' not in body
    assert 'name="contact-choice"' in body


def test_it_links_the_existing_account_the_salesperson_picked(sales_client, lead):
    configure(account_mode=SALESPERSON)
    picked = AccountFactory(name="Northwind Traders")
    data = screen_post(lead, **{"account-choice": "existing", "account-existing": str(picked.pk)})

    response = sales_client.post(qualify_url(lead), data, **HX)

    assert client_redirect(response) == Opportunity.objects.get().get_absolute_url()
    assert Account.objects.count() == 1
    lead.refresh_from_db()
    assert lead.parent_account == picked
    assert lead.parent_contact.account == picked
    assert not Qualification.objects.get().account_created


def test_it_creates_the_account_with_the_salespersons_edits(sales_client, lead):
    configure(account_mode=SALESPERSON)
    data = screen_post(lead, **{"account-name": "Fabrikam Europe", "account-city": "Lyon"})

    sales_client.post(qualify_url(lead), data, **HX)

    account = Account.objects.get()
    assert (account.name, account.city, account.website) == (
        "Fabrikam Europe",
        "Lyon",
        "https://www.fabrikam.example",
    )


def test_it_skips_the_account_and_makes_the_contact_the_customer(sales_client, lead):
    configure(account_mode=SALESPERSON, contact_mode=SALESPERSON)
    data = screen_post(lead, **{"account-choice": "skip", "contact-job_title": "Head of buying"})

    sales_client.post(qualify_url(lead), data, **HX)

    assert Account.objects.count() == 0
    contact = Contact.objects.get()
    assert contact.job_title == "Head of buying"
    assert Opportunity.objects.get().customer_contact == contact


def test_it_uses_the_existing_contact_the_salesperson_picked(sales_client, lead):
    configure(contact_mode=SALESPERSON)
    picked = ContactFactory(first_name="Ada", last_name="Lovelace")
    data = screen_post(lead, **{"contact-choice": "existing", "contact-existing": str(picked.pk)})

    sales_client.post(qualify_url(lead), data, **HX)

    lead.refresh_from_db()
    assert lead.parent_contact == picked
    assert Contact.objects.count() == 1


def test_it_asks_for_a_pick_when_use_existing_has_none(sales_client, lead):
    configure(account_mode=SALESPERSON)
    before = counts()
    data = screen_post(lead, **{"account-choice": "existing", "account-q": "North"})

    response = sales_client.post(qualify_url(lead), data, **HX)

    body = response.content.decode()
    assert response.status_code == 200
    assert PICK_EXISTING.format(record="account") in body
    assert 'name="account-choice" value="existing" id="id_account-choice_1" checked' in body
    assert 'name="account-q" id="id_account-q" value="North"' in body
    assert_nothing_written(lead, before)


def test_it_asks_for_a_choice_when_none_is_posted(sales_client, lead):
    configure(account_mode=SALESPERSON)
    data = screen_post(lead, **{"account-choice": None})

    body = sales_client.post(qualify_url(lead), data, **HX).content.decode()

    assert CHOOSE_ONE in body
    assert Qualification.objects.count() == 0


def test_it_keeps_what_was_typed_when_validation_fails(sales_client, lead):
    configure(contact_mode=SALESPERSON, opportunity_mode=SALESPERSON)
    before = counts()
    data = screen_post(
        lead,
        **{
            "contact-last_name": "",
            "contact-job_title": "Chief chair officer",
            "contact-email": "not-an-email",
        },
        **opportunity_fields(0, "", estimated_revenue="-5", description="Bring samples"),
    )

    response = sales_client.post(qualify_url(lead), data, **HX)

    body = response.content.decode()
    assert response.status_code == 200
    assert 'aria-labelledby="qualify-pane-title"' in body
    assert REQUIRED in body
    assert "Enter a valid email address." in body
    assert 'name="contact-job_title" value="Chief chair officer"' in body
    assert 'name="contact-email" value="not-an-email"' in body
    assert "Bring samples</textarea>" in body
    # Also said at the top of the pane, where the salesperson is looking.
    assert body.index(CORRECT_THE_ERRORS) < body.index('name="contact-last_name"')
    assert_nothing_written(lead, before)


def test_it_shows_the_engines_errors_next_to_the_field(sales_client, lead):
    configure(opportunity_mode=SALESPERSON)
    before = counts()
    data = screen_post(lead, **opportunity_fields(0, "Chairs", estimated_revenue="-5"))

    response = sales_client.post(qualify_url(lead), data, **HX)

    body = response.content.decode()
    assert 'class="field has-error">\n  <label for="id_opportunity-0-estimated_revenue"' in body
    assert "Ensure this value is greater than or equal to 0." in body
    assert 'name="opportunity-0-estimated_revenue" value="-5"' in body
    assert CORRECT_THE_ERRORS in body
    assert_nothing_written(lead, before)


def test_it_refuses_a_post_drawn_from_other_settings(sales_client, lead):
    configure(account_mode=SALESPERSON)
    data = screen_post(lead, **{"account-choice": "skip"})
    configure(account_mode=CreationMode.AUTOMATIC, contact_mode=SALESPERSON)
    before = counts()

    response = sales_client.post(qualify_url(lead), data, **HX)

    body = response.content.decode()
    assert SETTINGS_CHANGED in body
    assert 'name="contact-choice" value="create"' in body
    assert_nothing_written(lead, before)


# Opportunities ----------------------------------------------------------------------------


def test_it_prefills_the_default_opportunity_from_the_lead(sales_client, lead):
    configure(opportunity_mode=SALESPERSON, allow_multiple_opportunities=True)

    body = sales_client.get(qualify_url(lead), **HX).content.decode()

    assert "<legend>Opportunity 1</legend>" in body
    assert '<label for="id_opportunity-0-topic" class="required">Topic</label>' in body
    assert 'name="opportunity-0-topic" value="Office chairs"' in body
    for label in ("Est. Revenue", "Est. Close Date", "Purchase Timeframe", "Description"):
        assert f">{label}</label>" in body
    assert '<option value="this_quarter" selected>This Quarter</option>' in body
    assert 'aria-label="Remove opportunity 1"' in body
    assert ">+ New Opportunity</button>" in body
    assert f'hx-get="{opportunity_form_url(lead)}?index=1"' in body
    assert "1 of 5" in body


def test_it_creates_three_opportunities_the_first_primary(sales_client, lead):
    configure(opportunity_mode=SALESPERSON, allow_multiple_opportunities=True)
    data = screen_post(
        lead,
        **{"opportunity-index": ["0", "2", "3"]},
        **opportunity_fields(
            2, "Desks", estimated_revenue="4000", estimated_close_date="2027-03-31"
        ),
        **opportunity_fields(3, "Lamps"),
    )

    response = sales_client.post(qualify_url(lead), data, **HX)

    lead.refresh_from_db()
    assert client_redirect(response) == lead.qualifying_opportunity.get_absolute_url()
    assert lead.qualifying_opportunity.topic == "Office chairs"
    links = Qualification.objects.get().opportunity_links.select_related("opportunity")
    assert [link.opportunity.topic for link in links] == ["Office chairs", "Desks", "Lamps"]
    desks = Opportunity.objects.get(topic="Desks")
    assert desks.estimated_revenue == Decimal("4000")
    assert str(desks.estimated_close_date) == "2027-03-31"
    # Mapped fields the form does not show still come from the lead.
    assert desks.budget_amount == Decimal("12500.00")


def test_it_creates_five_opportunities_and_refuses_a_sixth(sales_client, lead):
    configure(opportunity_mode=SALESPERSON, allow_multiple_opportunities=True)
    five = {"opportunity-index": [str(index) for index in range(5)]}
    for index in range(1, 5):
        five |= opportunity_fields(index, f"Deal {index}")
    six = five | {"opportunity-index": [str(index) for index in range(6)]}
    six |= opportunity_fields(5, "Deal 5")
    before = counts()

    response = sales_client.post(qualify_url(lead), screen_post(lead, **six), **HX)

    assert TOO_MANY_OPPORTUNITIES.format(max=5) in response.content.decode()
    assert_nothing_written(lead, before)

    response = sales_client.post(qualify_url(lead), screen_post(lead, **five), **HX)

    client_redirect(response)
    assert Opportunity.objects.count() == 5


def test_it_adds_an_opportunity_form_and_redraws_the_add_button(sales_client, lead):
    configure(opportunity_mode=SALESPERSON, allow_multiple_opportunities=True)

    response = sales_client.get(
        opportunity_form_url(lead), {"index": "1", "opportunity-index": ["0"]}, **HX
    )

    body = response.content.decode()
    assert '<fieldset class="opportunity-form" id="opportunity-1">' in body
    assert "<legend>Opportunity 2</legend>" in body
    # A further opportunity starts with the lead's values but its own (empty) topic.
    assert 'name="opportunity-1-topic" maxlength="300"' in body
    assert '<option value="this_quarter" selected>This Quarter</option>' in body
    assert '<div id="opportunity-add" class="opportunity-add" hx-swap-oob="true">' in body
    assert "?index=2" in body
    assert "2 of 5" in body


def test_it_refuses_a_sixth_opportunity_form(sales_client, lead):
    configure(opportunity_mode=SALESPERSON, allow_multiple_opportunities=True)

    response = sales_client.get(
        opportunity_form_url(lead),
        {"index": "5", "opportunity-index": ["0", "1", "2", "3", "4"]},
        **HX,
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert "opportunity-5" not in body
    assert " disabled\n          hx-get=" in body
    assert OPPORTUNITY_LIMIT.format(max=5) in body


def test_it_allows_one_opportunity_when_multiple_is_off(sales_client, lead):
    configure(opportunity_mode=SALESPERSON)

    body = sales_client.get(qualify_url(lead), **HX).content.decode()
    assert ONE_OPPORTUNITY in body

    response = sales_client.get(opportunity_form_url(lead), {"opportunity-index": ["0"]}, **HX)
    assert "opportunity-1" not in response.content.decode()


def test_it_removes_an_opportunity_form_and_reenables_the_add_button(sales_client, lead):
    configure(opportunity_mode=SALESPERSON, allow_multiple_opportunities=True)

    response = sales_client.get(
        opportunity_form_url(lead),
        {"remove": "4", "opportunity-index": ["0", "1", "2", "3", "4"]},
        **HX,
    )

    body = response.content.decode()
    assert "<fieldset" not in body
    assert "4 of 5" in body
    assert " disabled" not in body
    assert "?index=4" in body


def test_it_creates_no_opportunity_when_the_default_is_removed(sales_client, lead):
    configure(opportunity_mode=SALESPERSON)
    data = screen_post(lead, **{"opportunity-index": []})

    response = sales_client.post(qualify_url(lead), data, **HX)

    assert client_redirect(response) == lead.get_absolute_url()
    assert Opportunity.objects.count() == 0
    assert Account.objects.count() == 1


# Without JavaScript -----------------------------------------------------------------------


def test_it_renders_the_pane_as_a_page_and_redirects_without_javascript(sales_client, lead):
    configure(account_mode=SALESPERSON)

    body = sales_client.get(qualify_url(lead)).content.decode()

    assert "<html" in body and 'id="modal-root"' in body
    assert '<dialog class="sidepane qualify-pane in-page" open data-modal' in body
    assert "hx-post" not in body
    assert "data-close-dialog" not in body

    response = sales_client.post(qualify_url(lead), screen_post(lead))

    assert response.status_code == 302
    assert response["Location"] == Opportunity.objects.get().get_absolute_url()


def test_it_lists_search_results_and_adds_forms_without_javascript(sales_client, lead):
    configure(
        account_mode=SALESPERSON, opportunity_mode=SALESPERSON, allow_multiple_opportunities=True
    )
    AccountFactory(name="Northwind Traders", city="Oslo")
    data = screen_post(
        lead, **{"account-choice": "existing", "account-q": "North", "search": "account"}
    )

    body = sales_client.post(qualify_url(lead), data).content.decode()

    assert "<span>Northwind Traders</span>" in body
    assert Qualification.objects.count() == 0

    body = sales_client.post(
        qualify_url(lead), screen_post(lead, add_opportunity="1")
    ).content.decode()

    assert '<fieldset class="opportunity-form" id="opportunity-1">' in body
    assert 'name="opportunity-0-topic" value="Office chairs"' in body
    assert Qualification.objects.count() == 0

    body = sales_client.post(
        qualify_url(lead), screen_post(lead, remove_opportunity="0")
    ).content.decode()

    assert 'id="opportunity-0"' not in body
    assert Qualification.objects.count() == 0


def test_it_shows_the_automatic_dialog_with_a_button_without_javascript(sales_client, lead):
    body = sales_client.get(qualify_url(lead)).content.decode()

    assert 'hx-trigger="load"' not in body
    assert (
        '<button type="submit" name="action" value="qualify" class="primary">Qualify</button>'
        in body
    )


def test_it_shows_the_duplicate_dialog_and_messages_as_pages_without_javascript(
    sales_client, lead, other_salesperson
):
    fabrikam = AccountFactory(name="Fabrikam Inc", owner=other_salesperson)

    body = sales_client.post(qualify_url(lead), screen_post(lead)).content.decode()

    assert "<html" in body
    assert '<dialog class="qualify-duplicates in-page" open data-modal' in body
    response = sales_client.post(
        qualify_url(lead),
        screen_post(
            lead, duplicate_action="use", duplicate_types="account", duplicate_account=fabrikam.pk
        ),
    )
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.parent_account == fabrikam

    body = sales_client.get(qualify_url(lead)).content.decode()

    assert '<dialog class="qualify-message in-page" open data-modal' in body
    assert LEAD_CLOSED in body
    assert f'<a class="button primary" role="button" href="{lead.get_absolute_url()}"' in body


# Search -----------------------------------------------------------------------------------


def test_it_searches_accounts_as_you_type(sales_client, lead):
    AccountFactory(name="Northwind Traders", city="Oslo", website="https://northwind.example")
    AccountFactory(name="Contoso", city="Paris")

    response = sales_client.get(search_url(lead, "account"), {"account-q": "north"}, **HX)

    body = response.content.decode()
    assert '<div id="account-search-results"' in body
    assert 'type="radio" name="account-existing"' in body
    assert "<span>Northwind Traders</span>" in body
    assert "Oslo · https://northwind.example" in body
    assert "Contoso" not in body


def test_it_keeps_the_picked_record_in_new_results(sales_client, lead):
    picked = AccountFactory(name="Contoso")
    AccountFactory(name="Northwind Traders")

    body = sales_client.get(
        search_url(lead, "account"), {"account-q": "north", "account-existing": picked.pk}, **HX
    ).content.decode()

    assert f'value="{picked.pk}" checked' in body
    assert "Northwind Traders" in body


def test_it_searches_contacts_with_their_email_and_account(sales_client, lead):
    account = AccountFactory(name="Tailspin Toys")
    ContactFactory(
        first_name="Ada", last_name="Lovelace", email="ada@tailspin.example", account=account
    )

    body = sales_client.get(
        search_url(lead, "contact"), {"contact-q": "lovel"}, **HX
    ).content.decode()

    assert "<span>Ada Lovelace</span>" in body
    assert "ada@tailspin.example · Tailspin Toys" in body


def test_it_says_when_nothing_matches(sales_client, lead):
    body = sales_client.get(
        search_url(lead, "account"), {"account-q": "zzz"}, **HX
    ).content.decode()

    assert "No accounts match “zzz”." in body


def test_it_404s_for_an_unknown_record_type(sales_client, lead):
    assert sales_client.get(search_url(lead, "opportunity"), **HX).status_code == 404


# Duplicates -------------------------------------------------------------------------------


@pytest.fixture
def fabrikam(other_salesperson: User) -> Account:
    return AccountFactory(
        name="Fabrikam Inc",
        website="https://fabrikam.example",
        phone="+1 555 999 0000",
        city="Redmond",
        owner=other_salesperson,
    )


def test_it_shows_the_duplicate_dialog_for_an_automatic_account(sales_client, lead, fabrikam):
    before = counts()

    response = sales_client.post(qualify_url(lead), screen_post(lead), **HX)

    body = response.content.decode()
    assert response.status_code == 200
    assert 'aria-labelledby="duplicates-title"' in body
    assert '<h2 id="duplicates-title">Possible duplicates found</h2>' in body
    for column in ("Account Name", "Website", "Main Phone", "City", "Owner"):
        assert f"<th>{column}</th>" in body
    assert f'name="duplicate_account" value="{fabrikam.pk}"' in body
    assert "Redmond" in body and "+1 555 999 0000" in body and "Olga Other" in body
    assert 'value="use" class="primary">Use selected</button>' in body
    assert 'value="create" formnovalidate>Create new anyway</button>' in body
    assert 'name="duplicate_types" value="account"' in body
    assert (
        f'name="screen" value="{QualifyForm(plan=qualification_plan(lead=lead)).signature}"' in body
    )
    assert_nothing_written(lead, before)


def test_it_links_the_duplicate_the_salesperson_uses(sales_client, lead, fabrikam):
    data = screen_post(
        lead, duplicate_action="use", duplicate_types="account", duplicate_account=fabrikam.pk
    )

    response = sales_client.post(qualify_url(lead), data, **HX)

    client_redirect(response)
    assert Account.objects.get() == fabrikam
    lead.refresh_from_db()
    assert lead.parent_account == fabrikam
    assert lead.parent_contact.account == fabrikam


def test_it_creates_a_new_account_anyway(sales_client, lead, fabrikam):
    data = screen_post(lead, duplicate_action="create", duplicate_types="account")

    response = sales_client.post(qualify_url(lead), data, **HX)

    client_redirect(response)
    assert Account.objects.count() == 2
    lead.refresh_from_db()
    assert lead.parent_account.name == "Fabrikam, Inc."


def test_it_asks_again_when_use_selected_has_no_selection(sales_client, lead, fabrikam):
    before = counts()
    data = screen_post(lead, duplicate_action="use", duplicate_types="account")

    body = sales_client.post(qualify_url(lead), data, **HX).content.decode()

    assert PICK_DUPLICATE in body
    assert 'aria-labelledby="duplicates-title"' in body
    assert_nothing_written(lead, before)


def test_it_keeps_the_panes_values_through_the_duplicate_dialog(sales_client, lead, fabrikam):
    configure(account_mode=SALESPERSON, contact_mode=SALESPERSON)
    duplicate_contact = ContactFactory(
        first_name="Nina", last_name="Novak", email="nina.novak@fabrikam.example"
    )
    data = screen_post(lead, **{"contact-job_title": "Head of buying"})

    body = sales_client.post(qualify_url(lead), data, **HX).content.decode()

    for column in ("Full Name", "Email", "Business Phone", "Account Name", "Owner"):
        assert f"<th>{column}</th>" in body
    assert 'name="duplicate_types" value="account,contact"' in body
    assert '<input type="hidden" name="contact-job_title" value="Head of buying">' in body
    assert 'value="back" formnovalidate>Back</button>' in body

    back = sales_client.post(
        qualify_url(lead),
        data | {"duplicate_action": "back", "duplicate_types": "account,contact"},
        **HX,
    ).content.decode()
    assert 'aria-labelledby="qualify-pane-title"' in back
    assert 'name="contact-job_title" value="Head of buying"' in back

    response = sales_client.post(
        qualify_url(lead),
        data
        | {
            "duplicate_action": "use",
            "duplicate_types": "account,contact",
            "duplicate_account": fabrikam.pk,
            "duplicate_contact": duplicate_contact.pk,
        },
        **HX,
    )

    client_redirect(response)
    lead.refresh_from_db()
    assert (lead.parent_account, lead.parent_contact) == (fabrikam, duplicate_contact)
    assert (Account.objects.count(), Contact.objects.count()) == (1, 1)


# Refusals ---------------------------------------------------------------------------------


def test_it_says_the_lead_is_closed_and_writes_nothing(sales_client, salesperson):
    lead = LeadFactory(owner=salesperson, disqualified=True)

    body = sales_client.get(qualify_url(lead), **HX).content.decode()

    assert LEAD_CLOSED in body
    assert 'aria-labelledby="qualify-message-title"' in body
    assert sales_client.post(qualify_url(lead), screen_post(lead), **HX).status_code == 200
    assert Qualification.objects.count() == 0


def test_it_says_a_qualified_lead_is_already_qualified(sales_client, lead, salesperson):
    data = screen_post(lead)
    lead_qualify(lead_id=lead.pk, acting_user=salesperson)
    before = counts()

    response = sales_client.post(qualify_url(lead), data, **HX)

    assert LEAD_ALREADY_QUALIFIED in response.content.decode()
    assert counts() == before
    assert LEAD_CLOSED in sales_client.get(qualify_url(lead), **HX).content.decode()


def test_it_refuses_another_salespersons_lead(client: Client, other_salesperson, lead):
    client.force_login(other_salesperson)

    assert client.get(qualify_url(lead), **HX).status_code == 403
    assert client.post(qualify_url(lead), screen_post(lead), **HX).status_code == 403
    assert client.get(opportunity_form_url(lead), **HX).status_code == 403
    assert client.get(search_url(lead, "account"), **HX).status_code == 403
    assert Qualification.objects.count() == 0


def test_it_lets_a_sales_manager_qualify_any_lead(client: Client, manager, lead):
    client.force_login(manager)

    response = client.post(qualify_url(lead), screen_post(lead), **HX)

    client_redirect(response)
    assert Qualification.objects.get().qualified_by == manager


def test_it_requires_the_csrf_token(lead, salesperson):
    client = Client(enforce_csrf_checks=True)
    client.force_login(salesperson)

    response = client.post(qualify_url(lead), screen_post(lead), **HX)

    assert response.status_code == 403
    assert Qualification.objects.count() == 0


def test_it_requires_login(client: Client, lead):
    response = client.get(qualify_url(lead))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_it_rejects_other_methods(sales_client, lead):
    assert sales_client.put(qualify_url(lead)).status_code == 405
    assert sales_client.post(opportunity_form_url(lead)).status_code == 405


def test_it_404s_for_a_missing_lead(sales_client):
    assert sales_client.get(reverse("qualification:lead-qualify", args=[999999])).status_code == 404


def test_it_draws_the_pane_in_constant_queries(sales_client, lead, django_assert_num_queries):
    configure(account_mode=SALESPERSON, contact_mode=SALESPERSON, opportunity_mode=SALESPERSON)

    # Session, user, lead, settings, field mappings: the screens list no duplicates, so the
    # plan skips their lookups (the engine finds duplicates when it writes).
    with django_assert_num_queries(5):
        sales_client.get(qualify_url(lead), **HX)


def test_it_qualifies_three_opportunities_in_few_queries(
    sales_client, lead, django_assert_num_queries
):
    configure(
        account_mode=SALESPERSON,
        contact_mode=SALESPERSON,
        opportunity_mode=SALESPERSON,
        allow_multiple_opportunities=True,
    )
    data = screen_post(
        lead,
        **{"opportunity-index": ["0", "1", "2"]},
        **opportunity_fields(1, "Desks"),
        **opportunity_fields(2, "Lamps"),
    )
    ContentType.objects.get_for_models(Lead, Opportunity)

    # The screen's plan (5 with session and user) and the engine's locked transaction (13: it
    # qualifies with the plan's settings and field mappings; on PostgreSQL one more for the
    # advisory locks on the new records' match keys).
    with django_assert_num_queries(18 + (1 if connection.vendor == "postgresql" else 0)):
        response = sales_client.post(qualify_url(lead), data, **HX)

    client_redirect(response)
    assert Opportunity.objects.count() == 3
