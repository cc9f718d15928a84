"""The duplicate dialog: use a match, create new anyway, keep the pane's values."""

from __future__ import annotations

import pytest
from django.urls import reverse

from crm.models import Account, Contact
from qualification.engine import (
    qualification_plan,
)
from qualification.forms import (
    PICK_DUPLICATE,
    QualifyForm,
)
from tests.factories import AccountFactory, ContactFactory
from tests.views.qualify.screens import (
    HX,
    SALESPERSON,
    assert_nothing_written,
    client_redirect,
    configure,
    counts,
    qualify_url,
    screen_post,
)

pytestmark = pytest.mark.django_db


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


def test_the_dialog_says_why_each_record_matched(sales_client, lead, fabrikam, other_salesperson):
    typo = AccountFactory(name="Fabrikamm", website="", phone="", owner=other_salesperson)
    phone_twin = ContactFactory(
        first_name="Ann", last_name="Lee", email="", business_phone="(555) 100-2000"
    )

    body = sales_client.post(qualify_url(lead), screen_post(lead), **HX).content.decode()

    assert "<th>Matched by</th>" in body
    assert f'name="duplicate_account" value="{fabrikam.pk}"' in body
    assert '<td class="match-why">same name + same domain</td>' in body
    assert f'name="duplicate_account" value="{typo.pk}"' in body
    assert '<td class="match-why">similar name 0.94</td>' in body
    assert f'name="duplicate_contact" value="{phone_twin.pk}"' in body
    assert '<td class="match-why">same phone</td>' in body


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


def test_it_offers_to_merge_several_matching_accounts_first(sales_client, lead, fabrikam):
    other = AccountFactory(name="Fabrikam, Inc.", website="")

    body = sales_client.post(qualify_url(lead), screen_post(lead), **HX).content.decode()

    merge = reverse("crm:account-merge")
    assert f'<a href="{merge}?ids={fabrikam.pk}&amp;ids={other.pk}">merge them</a>' in body or (
        f'<a href="{merge}?ids={other.pk}&amp;ids={fabrikam.pk}">merge them</a>' in body
    )
