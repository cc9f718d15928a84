"""The Qualify lead side pane: read-only automatic records, Create new / Use existing / Skip,
the engine's problems next to their fields."""

from __future__ import annotations

import pytest

from crm.models import Account, Contact, Opportunity
from qualification.engine import (
    CORRECT_THE_ERRORS,
    PICK_EXISTING,
    REQUIRED,
)
from qualification.forms import (
    CHOOSE_ONE,
    SETTINGS_CHANGED,
)
from qualification.models import CreationMode, Qualification
from tests.factories import AccountFactory, ContactFactory, LeadFactory
from tests.views.qualify.screens import (
    HX,
    SALESPERSON,
    assert_nothing_written,
    client_redirect,
    configure,
    counts,
    opportunity_fields,
    qualify_url,
    screen_post,
)

pytestmark = pytest.mark.django_db


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
