from __future__ import annotations

import json
import re

import pytest
from django.contrib.auth.models import User
from django.contrib.messages import get_messages
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from crm.models import TimelineEntry
from crm.services.timeline import timeline_note_add
from leads import services as lead_services
from leads.models import Lead, LeadState, LeadStatus
from leads.services import (
    LEAD_ALREADY_DELETED,
    LEAD_DELETE_NOT_ALLOWED,
    LEAD_NOT_CLOSED,
    LEAD_NOT_YOURS,
)
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
LIST = reverse("leads:lead-list")


@pytest.fixture(autouse=True)
def _fast_passwords(settings) -> None:
    # Every test creates users; the default hasher makes each one cost half a second.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _reactivate(lead: Lead) -> str:
    return reverse("leads:lead-reactivate", args=[lead.pk])


def _delete(lead: Lead) -> str:
    return reverse("leads:lead-delete", args=[lead.pk])


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _attach(lead: Lead, author: User) -> TimelineEntry:
    return timeline_note_add(
        record=lead,
        author=author,
        title="Brochure",
        body="",
        attachment=SimpleUploadedFile("brochure.pdf", b"%PDF-1.4", content_type="application/pdf"),
    )


# Reactivate -----------------------------------------------------------------------------------


def test_it_reactivates_a_closed_lead(sales_client: Client, salesperson: User) -> None:
    lead = LeadFactory(owner=salesperson, disqualified=True)
    note = _attach(lead, salesperson)

    response = sales_client.post(_reactivate(lead))

    assert response.status_code == 302
    assert response.url == lead.get_absolute_url()
    assert _messages(response) == ["Lead reactivated."]
    lead.refresh_from_db()
    assert (lead.state, lead.status_reason) == (LeadState.OPEN, LeadStatus.NEW)
    assert default_storage.exists(note.attachment.name)


def test_it_shows_the_reactivated_lead_editable_again(
    sales_client: Client, salesperson: User
) -> None:
    lead = LeadFactory(owner=salesperson, qualified=True)

    response = sales_client.post(_reactivate(lead), follow=True)

    html = response.content.decode()
    assert '<form id="lead-form"' in html
    assert "Lead reactivated" in html  # message and the timeline event
    assert re.search(
        r'<li class="active">\s*<form method="get"[^>]*>\s*<button[^>]*class="stage"', html
    )


def test_it_refuses_to_reactivate_an_open_lead(sales_client: Client, salesperson: User) -> None:
    lead = LeadFactory(owner=salesperson, contacted=True)

    response = sales_client.post(_reactivate(lead))

    assert _messages(response) == [LEAD_NOT_CLOSED]
    lead.refresh_from_db()
    assert lead.status_reason == LeadStatus.CONTACTED


def test_it_403s_reactivating_another_salespersons_lead(
    sales_client: Client, other_salesperson: User
) -> None:
    lead = LeadFactory(owner=other_salesperson, disqualified=True)

    assert sales_client.post(_reactivate(lead)).status_code == 403
    lead.refresh_from_db()
    assert lead.state == LeadState.DISQUALIFIED


def test_it_rejects_get_for_reactivate(sales_client: Client, salesperson: User) -> None:
    lead = LeadFactory(owner=salesperson, disqualified=True)

    assert sales_client.get(_reactivate(lead)).status_code == 405


def test_it_refuses_reactivate_without_a_csrf_token(salesperson: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(salesperson)
    lead = LeadFactory(owner=salesperson, disqualified=True)

    assert client.post(_reactivate(lead)).status_code == 403
    lead.refresh_from_db()
    assert lead.state == LeadState.DISQUALIFIED


def test_it_reactivates_a_selection_from_the_grid(
    sales_client: Client, salesperson: User, other_salesperson: User
) -> None:
    closed = LeadFactory(owner=salesperson, disqualified=True)
    open_lead = LeadFactory(owner=salesperson, first_name="Ann", last_name="Open")
    theirs = LeadFactory(owner=other_salesperson, qualified=True)

    response = sales_client.post(
        reverse("leads:lead-bulk-reactivate"),
        {"lead_ids": [closed.pk, open_lead.pk, theirs.pk], "view": "closed"},
        **HTMX,
    )

    html = response.content.decode()
    assert json.loads(response["HX-Trigger"]) == {"leadsChanged": {}}
    assert "1 lead reactivated." in html
    assert "2 leads were not reactivated:" in html
    assert f"{open_lead}: {LEAD_NOT_CLOSED}" in html
    assert f"{theirs}: {LEAD_NOT_YOURS}" in html
    states = dict(Lead.objects.values_list("pk", "state"))
    assert states == {
        closed.pk: LeadState.OPEN,
        open_lead.pk: LeadState.OPEN,
        theirs.pk: LeadState.QUALIFIED,
    }


def test_it_reactivates_all_closed_leads_without_javascript(
    sales_client: Client, salesperson: User
) -> None:
    leads = LeadFactory.create_batch(3, owner=salesperson, disqualified=True)

    response = sales_client.post(
        reverse("leads:lead-bulk-reactivate"), {"select_all_matching": "1", "view": "closed"}
    )

    assert response.status_code == 302
    assert response.url == f"{LIST}?view=closed"
    assert _messages(response) == ["3 leads reactivated."]
    assert all(Lead.objects.get(pk=lead.pk).state == LeadState.OPEN for lead in leads)


# Delete ---------------------------------------------------------------------------------------


def test_it_asks_for_confirmation_before_deleting(sales_client: Client, salesperson) -> None:
    lead = LeadFactory(owner=salesperson)

    response = sales_client.get(_delete(lead), **HTMX)

    html = response.content.decode()
    assert '<dialog data-modal class="lead-dialog"' in html
    assert '<h2 id="delete-title">Delete lead</h2>' in html
    assert '<button type="submit" class="danger">Delete permanently</button>' in html
    assert Lead.objects.filter(pk=lead.pk).exists()


def test_it_deletes_the_lead_with_its_notes_and_files(
    sales_client: Client, salesperson: User, django_capture_on_commit_callbacks
) -> None:
    lead = LeadFactory(owner=salesperson)
    note = _attach(lead, salesperson)

    with django_capture_on_commit_callbacks(execute=True):
        response = sales_client.post(_delete(lead), **HTMX)

    assert response["HX-Redirect"] == LIST
    assert _messages(response) == ["Lead deleted."]
    assert not Lead.objects.filter(pk=lead.pk).exists()
    assert not TimelineEntry.objects.filter(pk=note.pk).exists()
    assert not default_storage.exists(note.attachment.name)


def test_it_deletes_without_javascript(sales_client: Client, salesperson: User) -> None:
    lead = LeadFactory(owner=salesperson)

    response = sales_client.post(_delete(lead))

    assert response.status_code == 302
    assert response.url == LIST
    assert not Lead.objects.filter(pk=lead.pk).exists()


def test_it_403s_deleting_another_salespersons_lead(
    sales_client: Client, other_salesperson: User
) -> None:
    lead = LeadFactory(owner=other_salesperson)

    assert sales_client.get(_delete(lead), **HTMX).status_code == 403
    assert sales_client.post(_delete(lead)).status_code == 403
    assert Lead.objects.filter(pk=lead.pk).exists()


def test_it_lets_a_user_with_the_delete_permission_delete_any_lead(
    client: Client, manager: User, other_salesperson: User
) -> None:
    client.force_login(manager)
    lead = LeadFactory(owner=other_salesperson)

    client.post(_delete(lead))

    assert not Lead.objects.filter(pk=lead.pk).exists()


def test_it_disables_delete_for_others_leads(sales_client: Client, other_salesperson) -> None:
    lead = LeadFactory(owner=other_salesperson)

    html = sales_client.get(lead.get_absolute_url()).content.decode()

    assert f'href="{_delete(lead)}"' not in html
    assert 'aria-disabled="true" title="Only the owner or a user with the delete' in html


def test_a_delete_of_a_lead_deleted_meanwhile_lands_on_the_grid(
    sales_client: Client, salesperson: User, manager: User
) -> None:
    """The dialog was open when a manager deleted the lead: Delete permanently goes to the grid
    with a message, not to the lead's page (which would answer 404)."""
    lead = LeadFactory(owner=salesperson)
    assert sales_client.get(_delete(lead), **HTMX).status_code == 200
    lead_services.lead_delete(lead=lead, acting_user=manager)

    response = sales_client.post(_delete(lead), follow=True)

    assert response.redirect_chain == [(LIST, 302)]
    assert LEAD_ALREADY_DELETED == "This lead was already deleted."
    assert LEAD_ALREADY_DELETED in response.content.decode()
    assert "Lead deleted." not in response.content.decode()


def test_an_htmx_delete_of_a_lead_deleted_meanwhile_lands_on_the_grid(
    sales_client: Client, salesperson: User, manager: User
) -> None:
    lead = LeadFactory(owner=salesperson)
    lead_services.lead_delete(lead=lead, acting_user=manager)

    response = sales_client.post(_delete(lead), **HTMX)

    assert response["HX-Redirect"] == LIST
    assert _messages(response) == [LEAD_ALREADY_DELETED]


def test_the_delete_dialog_of_a_deleted_lead_is_404(sales_client: Client, salesperson) -> None:
    lead = LeadFactory(owner=salesperson)
    lead_id = lead.pk
    lead.delete()

    assert sales_client.get(reverse("leads:lead-delete", args=[lead_id]), **HTMX).status_code == 404


def test_it_refuses_delete_without_a_csrf_token(salesperson: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(salesperson)
    lead = LeadFactory(owner=salesperson)

    assert client.post(_delete(lead)).status_code == 403
    assert Lead.objects.filter(pk=lead.pk).exists()


def test_it_confirms_a_bulk_delete(sales_client: Client, salesperson: User) -> None:
    leads = LeadFactory.create_batch(2, owner=salesperson)

    response = sales_client.post(
        reverse("leads:lead-bulk-delete"), {"lead_ids": [lead.pk for lead in leads]}, **HTMX
    )

    html = response.content.decode()
    assert "Delete 2 leads" in html
    assert "Delete permanently" in html
    assert '<input type="hidden" name="confirm" value="1">' in html
    assert Lead.objects.count() == 2


def test_it_deletes_a_mixed_selection(
    sales_client: Client, salesperson: User, other_salesperson: User
) -> None:
    mine = LeadFactory.create_batch(2, owner=salesperson)
    theirs = LeadFactory(owner=other_salesperson)

    response = sales_client.post(
        reverse("leads:lead-bulk-delete"),
        {"lead_ids": [mine[0].pk, theirs.pk, mine[1].pk], "confirm": "1", "view": "open"},
        **HTMX,
    )

    html = response.content.decode()
    assert "2 leads deleted." in html
    assert f"{theirs}: {LEAD_DELETE_NOT_ALLOWED}" in html
    assert list(Lead.objects.values_list("pk", flat=True)) == [theirs.pk]
