"""Notes and attachments on the opportunity's timeline."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from crm.selectors import timeline_for
from crm.services.timeline import TIMELINE_NOTE_EMPTY, timeline_note_add
from tests.factories import (
    OpportunityFactory,
)
from tests.views.opportunity_urls import (
    HTMX,
    note_url,
)

pytestmark = pytest.mark.django_db


# Notes and attachments ----------------------------------------------------------------------


def test_it_adds_a_note_with_an_attachment(sales_client: Client, salesperson: User) -> None:
    opportunity = OpportunityFactory(owner=salesperson)

    response = sales_client.post(
        note_url(opportunity),
        {
            "note-title": "Quote <sent>",
            "note-body": "Line one\nLine two",
            "note-attachment": SimpleUploadedFile("quote.pdf", b"%PDF quote"),
        },
        headers=HTMX,
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert page.lstrip().startswith('<section id="timeline"')
    assert "Quote &lt;sent&gt;" in page
    assert "Line one<br>Line two" in page
    entry = timeline_for(record=opportunity).get()
    assert entry.author == salesperson
    assert reverse("crm:timeline-attachment", args=[entry.pk]) in page
    assert ">quote.pdf</a>" in page


def test_it_refuses_an_empty_note(sales_client: Client, salesperson: User) -> None:
    opportunity = OpportunityFactory(owner=salesperson)

    response = sales_client.post(note_url(opportunity), {"note-title": " "}, headers=HTMX)

    assert response.status_code == 200
    assert TIMELINE_NOTE_EMPTY in response.content.decode()
    assert not timeline_for(record=opportunity).exists()


def test_it_refuses_a_large_attachment(sales_client: Client, salesperson: User, settings) -> None:
    settings.ATTACHMENT_MAX_BYTES = 5
    opportunity = OpportunityFactory(owner=salesperson)

    response = sales_client.post(
        note_url(opportunity),
        {"note-attachment": SimpleUploadedFile("big.pdf", b"0123456789")},
        headers=HTMX,
    )

    assert "The attachment is too large" in response.content.decode()
    assert not timeline_for(record=opportunity).exists()


def test_it_adds_a_note_without_javascript(sales_client: Client, salesperson: User) -> None:
    opportunity = OpportunityFactory(owner=salesperson)

    response = sales_client.post(note_url(opportunity), {"note-body": "Called back"})

    assert response.status_code == 302
    assert timeline_for(record=opportunity).get().body == "Called back"


def test_it_downloads_an_attachment_under_its_name(sales_client: Client) -> None:
    opportunity = OpportunityFactory()
    entry = timeline_note_add(
        record=opportunity,
        author=opportunity.owner,
        title="",
        body="",
        attachment=SimpleUploadedFile("price list.csv", b"a,b\n1,2\n"),
    )

    response = sales_client.get(reverse("crm:timeline-attachment", args=[entry.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"a,b\n1,2\n"
    assert response["Content-Disposition"] == 'attachment; filename="price_list.csv"'


def test_attachments_need_a_login(client: Client) -> None:
    opportunity = OpportunityFactory()
    entry = timeline_note_add(
        record=opportunity,
        author=opportunity.owner,
        title="",
        body="",
        attachment=SimpleUploadedFile("a.txt", b"secret"),
    )

    response = client.get(reverse("crm:timeline-attachment", args=[entry.pk]))

    assert response.status_code == 302


def test_a_missing_attachment_is_a_404(sales_client: Client) -> None:
    opportunity = OpportunityFactory()
    note = timeline_note_add(record=opportunity, author=None, title="No file", body="")
    gone = timeline_note_add(
        record=opportunity,
        author=None,
        title="",
        body="",
        attachment=SimpleUploadedFile("gone.txt", b"x"),
    )
    gone.attachment.storage.delete(gone.attachment.name)

    assert sales_client.get(reverse("crm:timeline-attachment", args=[note.pk])).status_code == 404
    assert sales_client.get(reverse("crm:timeline-attachment", args=[gone.pk])).status_code == 404
    assert sales_client.get(reverse("crm:timeline-attachment", args=[999])).status_code == 404
