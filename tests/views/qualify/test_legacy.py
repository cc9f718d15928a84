"""The legacy experience: the Processing dialog (automatic) and the three-checkbox dialog."""

from __future__ import annotations

import json

import pytest

from crm.models import Account, Contact, Opportunity
from leads.models import LeadState
from qualification.engine import (
    OPPORTUNITY_NEEDS_CUSTOMER,
)
from qualification.models import Experience, Qualification
from tests.factories import LeadFactory
from tests.views.qualify.screens import (
    HX,
    assert_nothing_written,
    client_redirect,
    configure,
    counts,
    qualify_url,
    screen_post,
)

pytestmark = pytest.mark.django_db


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
    # The message says on its own what it is about (the dialog lists no opportunity form).
    assert OPPORTUNITY_NEEDS_CUSTOMER in body
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
