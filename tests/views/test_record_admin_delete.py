"""Deleting an account or a contact in Django admin: the confirmation page warns which records
lose their link to it (a lead's Existing Account, ...), and each of them gets a timeline event
saying so, instead of finding the field silently empty."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from crm.models import Account, Contact, Opportunity, TimelineEntry, TimelineEntryKind
from crm.selectors import timeline_for
from crm.services.deletion import LINK_CLEARED_BODY, LINK_CLEARED_TITLE
from crm.services.timeline import timeline_note_add
from leads.models import Lead
from tests.factories import AccountFactory, ContactFactory, LeadFactory, OpportunityFactory

pytestmark = pytest.mark.django_db
CONFIRM = "Yes, I\N{RIGHT SINGLE QUOTATION MARK}m sure"
WARNING = "Deleting clears {count} link{s} to it; each record's timeline will say so:"


@pytest.fixture
def admin_client(client: Client, admin_user: User) -> Client:
    client.force_login(admin_user)
    return client


def _delete_url(record: Account | Contact | Opportunity) -> str:
    return reverse(f"admin:crm_{record._meta.model_name}_delete", args=[record.pk])


def _events(lead: Lead) -> list[tuple[str, str]]:
    return list(lead.timeline.filter(kind=TimelineEntryKind.SYSTEM).values_list("title", "body"))


def test_the_delete_page_warns_that_open_leads_use_the_account(admin_client: Client) -> None:
    account = AccountFactory(name="Contoso Ltd")
    lead = LeadFactory(first_name="Jane", last_name="Doe", existing_account=account)
    LeadFactory(existing_account=None)

    response = admin_client.get(_delete_url(account))

    html = response.content.decode()
    assert response.status_code == 200
    assert WARNING.format(count=1, s="") in html
    assert f"Existing Account of the lead “{lead}” (Contoso Ltd)" in html
    assert CONFIRM in html


def test_deleting_the_account_tells_each_lead_that_used_it(
    admin_client: Client, admin_user: User
) -> None:
    account = AccountFactory(name="Contoso Ltd")
    leads = LeadFactory.create_batch(2, existing_account=account)
    other = LeadFactory(existing_account=AccountFactory())

    response = admin_client.post(_delete_url(account), {"post": "yes"})

    assert response.status_code == 302
    assert not Account.objects.filter(pk=account.pk).exists()
    title = LINK_CLEARED_TITLE.format(field="Existing Account")
    body = LINK_CLEARED_BODY.format(model="account", record="Contoso Ltd")
    assert (title, body) == ("Existing Account cleared", "The account Contoso Ltd was deleted.")
    for lead in leads:
        lead.refresh_from_db()
        assert lead.existing_account is None
        assert _events(lead) == [(title, body)]
        assert lead.timeline.get().author == admin_user
    assert _events(other) == []


def test_deleting_a_contact_tells_the_leads_that_used_it(admin_client: Client) -> None:
    contact = ContactFactory(first_name="Ann", last_name="Lee")
    lead = LeadFactory(existing_contact=contact)

    page = admin_client.get(_delete_url(contact)).content.decode()
    admin_client.post(_delete_url(contact), {"post": "yes"})

    assert f"Existing Contact of the lead “{lead}” (Ann Lee)" in page
    lead.refresh_from_db()
    assert lead.existing_contact is None
    assert _events(lead) == [("Existing Contact cleared", "The contact Ann Lee was deleted.")]


def test_the_delete_page_of_an_unused_account_has_no_warning(admin_client: Client) -> None:
    account = AccountFactory()

    html = admin_client.get(_delete_url(account)).content.decode()

    assert "Deleting clears" not in html
    assert CONFIRM in html


def test_delete_selected_warns_and_tells_every_record(admin_client: Client) -> None:
    first, second = AccountFactory(name="Contoso Ltd"), AccountFactory(name="Fabrikam GmbH")
    lead = LeadFactory(existing_account=first)
    contact = ContactFactory(account=second)
    changelist = reverse("admin:crm_account_changelist")
    selection = {"action": "delete_selected", "_selected_action": [first.pk, second.pk]}

    page = admin_client.post(changelist, selection)
    done = admin_client.post(changelist, {**selection, "post": "yes"})

    html = page.content.decode()
    assert WARNING.format(count=2, s="s") in html
    assert f"Existing Account of the lead “{lead}” (Contoso Ltd)" in html
    assert f"Account Name of the contact “{contact}” (Fabrikam GmbH)" in html
    assert done.status_code == 302
    assert not Account.objects.filter(pk__in=[first.pk, second.pk]).exists()
    assert _events(lead) == [("Existing Account cleared", "The account Contoso Ltd was deleted.")]
    assert [event.title for event in timeline_for(record=contact)] == ["Account Name cleared"]


def test_deleting_an_account_deletes_its_timeline_and_files(
    admin_client: Client, admin_user: User, django_capture_on_commit_callbacks
) -> None:
    account = AccountFactory()
    note = timeline_note_add(
        record=account,
        author=admin_user,
        title="Contract",
        body="",
        attachment=SimpleUploadedFile("contract.pdf", b"%PDF-1.4"),
    )

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(_delete_url(account), {"post": "yes"})

    assert not TimelineEntry.objects.filter(pk=note.pk).exists()
    assert not default_storage.exists(note.attachment.name)


def test_deleting_an_opportunity_tells_the_lead_it_qualified(admin_client: Client) -> None:
    opportunity = OpportunityFactory(topic="50 espresso machines")
    lead = LeadFactory(qualified=True, qualifying_opportunity=opportunity)

    admin_client.post(_delete_url(opportunity), {"post": "yes"})

    lead.refresh_from_db()
    assert lead.qualifying_opportunity is None
    assert _events(lead) == [
        ("Qualifying Opportunity cleared", "The opportunity 50 espresso machines was deleted.")
    ]


def test_a_protected_account_shows_no_warning_and_stays(admin_client: Client) -> None:
    """An account that is an opportunity's Potential Customer cannot be deleted at all."""
    opportunity = OpportunityFactory()
    LeadFactory(existing_account=opportunity.customer_account)

    url = _delete_url(opportunity.customer_account)
    html = admin_client.get(url).content.decode()
    admin_client.post(url, {"post": "yes"})

    assert "would require deleting the following protected related objects" in html
    assert "Deleting clears" not in html
    assert Account.objects.filter(pk=opportunity.customer_account.pk).exists()
