"""The new experience, all automatic: the records and where the salesperson lands."""

from __future__ import annotations

import pytest
from django.urls import reverse

from crm.models import Contact, Opportunity
from qualification.models import Experience, Qualification
from tests.factories import AccountFactory
from tests.views.qualify.screens import (
    HX,
    client_redirect,
    configure,
    qualify_url,
    screen_post,
)

pytestmark = pytest.mark.django_db


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


def test_it_says_what_the_qualify_did_with_links(sales_client, lead):
    configure(experience=Experience.NEW)
    existing = AccountFactory(name="Fabrikam", website="")
    data = screen_post(lead, **{"account-choice": "existing", "account-existing": str(existing.pk)})

    response = sales_client.post(qualify_url(lead), data, follow=True)

    contact, opportunity = Contact.objects.get(), Opportunity.objects.get()
    body = response.content.decode()
    assert (
        # The account's empty Website takes the lead's (the mappings' default policy).
        f'Lead qualified: account <a href="{existing.get_absolute_url()}">Fabrikam</a> linked '
        "(1 field updated from the lead), "
        f'contact <a href="{contact.get_absolute_url()}">Nina Novak</a> created, '
        f'opportunity <a href="{opportunity.get_absolute_url()}">Office chairs</a> created.'
    ) in body
