"""New, Edit, Delete and notes on the account and contact pages (crm.views.record_pages), each
test run for both record types."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.test import Client
from django.urls import reverse

from crm.models import Account, Contact
from crm.selectors import timeline_for
from crm.services.errors import (
    ACCOUNT_NAME_REQUIRED,
    CONTACT_LAST_NAME_REQUIRED,
    RECORD_CHANGE_FORBIDDEN,
)
from crm.services.timeline import TIMELINE_NOTE_EMPTY
from tests.factories import AccountFactory, ContactFactory, LeadFactory, UserFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@dataclass(frozen=True)
class Kind:
    name: str  # "account"
    model: type[models.Model]
    factory: Any
    valid: dict[str, str]  # a form post that saves
    blank_name: dict[str, str]  # the same with the required name blank
    name_required: str
    labels: tuple[str, ...]
    shown: str  # how the valid post shows on the page

    def url(self, action: str, record: models.Model | None = None) -> str:
        return reverse(f"crm:{self.name}-{action}", args=[record.pk] if record else [])


ACCOUNT = Kind(
    name="account",
    model=Account,
    factory=AccountFactory,
    valid={"name": "Contoso, Ltd.", "website": "https://www.contoso.example", "city": "Oslo"},
    blank_name={"name": "   ", "city": "Oslo"},
    name_required=ACCOUNT_NAME_REQUIRED,
    labels=("Account Name", "Website", "Main Phone", "Email", "Industry", "City", "Description"),
    shown="Contoso, Ltd.",
)
CONTACT = Kind(
    name="contact",
    model=Contact,
    factory=ContactFactory,
    valid={"first_name": "Nancy", "last_name": "Davolio", "email": "Nancy@Contoso.example"},
    blank_name={"first_name": "Nancy", "last_name": ""},
    name_required=CONTACT_LAST_NAME_REQUIRED,
    labels=("First Name", "Last Name", "Job Title", "Account Name", "Email", "Business Phone"),
    shown="Nancy Davolio",
)
KINDS = pytest.mark.parametrize("kind", [ACCOUNT, CONTACT], ids=["account", "contact"])


# New ------------------------------------------------------------------------------------------


@KINDS
def test_new_shows_the_form_with_the_specs_labels(sales_client: Client, kind: Kind) -> None:
    page = sales_client.get(kind.url("create")).content.decode()

    for label in kind.labels:
        assert f">{label}</label>" in page
    assert f"<title>New {kind.name.capitalize()} · CRM</title>" in page


@KINDS
def test_new_creates_the_record_owned_by_the_user(
    sales_client: Client, salesperson: User, kind: Kind
) -> None:
    response = sales_client.post(kind.url("create"), kind.valid)

    record = kind.model.objects.get()
    assert response.status_code == 302
    assert response["Location"] == record.get_absolute_url()
    assert record.owner == salesperson
    page = sales_client.get(record.get_absolute_url()).content.decode()
    assert f"{kind.name.capitalize()} created." in page
    assert kind.shown in page


def test_new_fills_the_match_keys(sales_client: Client) -> None:
    sales_client.post(ACCOUNT.url("create"), ACCOUNT.valid)
    sales_client.post(CONTACT.url("create"), CONTACT.valid)

    account, contact = Account.objects.get(), Contact.objects.get()
    assert (account.normalized_name, account.website_domain) == ("contoso", "contoso.example")
    assert contact.email_normalized == "nancy@contoso.example"


@KINDS
def test_new_shows_errors_and_creates_nothing(sales_client: Client, kind: Kind) -> None:
    for data in (kind.blank_name, {}):
        response = sales_client.post(kind.url("create"), data)

        assert response.status_code == 200
        assert kind.name_required in response.content.decode()
    assert not kind.model.objects.exists()


@KINDS
def test_new_needs_the_add_permission(client: Client, kind: Kind) -> None:
    client.force_login(UserFactory())  # in no group

    assert client.get(kind.url("create")).status_code == 403
    assert client.post(kind.url("create"), kind.valid).status_code == 403
    assert not kind.model.objects.exists()


# Edit -----------------------------------------------------------------------------------------


@KINDS
def test_edit_puts_the_form_in_place_of_the_details(
    sales_client: Client, salesperson: User, kind: Kind
) -> None:
    record = kind.factory(owner=salesperson)

    page = sales_client.get(kind.url("edit", record), headers=HTMX).content.decode()

    assert page.lstrip().startswith('<section id="record-details"')
    assert f'hx-post="{kind.url("edit", record)}"' in page
    for label in kind.labels:
        assert f">{label}</label>" in page


@KINDS
def test_edit_saves_and_goes_back_to_the_page(
    sales_client: Client, salesperson: User, kind: Kind
) -> None:
    record = kind.factory(owner=salesperson)

    response = sales_client.post(kind.url("edit", record), kind.valid, headers=HTMX)

    assert response["HX-Redirect"] == record.get_absolute_url()
    page = sales_client.get(record.get_absolute_url()).content.decode()
    assert f"{kind.name.capitalize()} saved." in page
    assert kind.shown in page


@KINDS
def test_edit_without_javascript_opens_the_whole_page_with_the_form(
    sales_client: Client, salesperson: User, kind: Kind
) -> None:
    record = kind.factory(owner=salesperson)

    page = sales_client.get(kind.url("edit", record)).content.decode()
    saved = sales_client.post(kind.url("edit", record), kind.valid)

    assert "<html" in page and 'id="record-details"' in page and ">Save</button>" in page
    assert saved.status_code == 302


@KINDS
def test_edit_shows_errors_in_the_form_and_keeps_the_stored_record(
    sales_client: Client, salesperson: User, kind: Kind
) -> None:
    record = kind.factory(owner=salesperson)
    before = str(record)

    response = sales_client.post(kind.url("edit", record), kind.blank_name, headers=HTMX)

    page = response.content.decode()
    assert response.status_code == 200
    assert kind.name_required in page
    record.refresh_from_db()
    assert str(record) == before


@KINDS
def test_cancel_brings_back_the_details(sales_client: Client, salesperson, kind: Kind) -> None:
    record = kind.factory(owner=salesperson)

    response = sales_client.get(
        record.get_absolute_url(), headers={**HTMX, "HX-Target": "record-details"}
    )

    page = response.content.decode()
    assert page.lstrip().startswith('<section id="record-details"')
    assert "<dl" in page and "<form" not in page


@KINDS
def test_another_salesperson_sees_it_read_only_and_cannot_change_it(
    sales_client: Client, other_salesperson: User, kind: Kind
) -> None:
    record = kind.factory(owner=other_salesperson)
    before = str(record)
    forbidden = RECORD_CHANGE_FORBIDDEN.format(record=kind.name)

    page = sales_client.get(record.get_absolute_url()).content.decode()
    edit = sales_client.post(kind.url("edit", record), kind.valid, headers=HTMX)
    delete = sales_client.post(kind.url("delete", record), headers=HTMX)
    note = sales_client.post(kind.url("note-add", record), {"note-title": "Mine"}, headers=HTMX)

    assert forbidden in page
    assert "Add note" not in page
    assert 'aria-disabled="true" title="' + forbidden + '">Edit</a>' in page
    assert (edit.status_code, delete.status_code, note.status_code) == (403, 403, 403)
    assert forbidden in delete.content.decode()
    record.refresh_from_db()
    assert str(record) == before
    assert not timeline_for(record=record).exists()


@KINDS
def test_a_sales_manager_changes_anyones(client: Client, manager: User, kind: Kind) -> None:
    record = kind.factory(owner=UserFactory())
    client.force_login(manager)

    response = client.post(kind.url("edit", record), kind.valid, headers=HTMX)

    assert response["HX-Redirect"] == record.get_absolute_url()
    record.refresh_from_db()
    assert str(record) == kind.shown


# Delete ---------------------------------------------------------------------------------------


@KINDS
def test_delete_asks_first(sales_client: Client, salesperson: User, kind: Kind) -> None:
    record = kind.factory(owner=salesperson)

    page = sales_client.get(kind.url("delete", record), headers=HTMX).content.decode()

    assert f'<h2 id="delete-title">Delete {kind.name}</h2>' in page
    assert f"This permanently deletes {record} with its notes and attachments." in page
    assert '<button type="submit" class="danger">Delete permanently</button>' in page


@KINDS
def test_delete_removes_it_and_goes_to_the_list(
    sales_client: Client, salesperson: User, kind: Kind
) -> None:
    record = kind.factory(owner=salesperson)

    response = sales_client.post(kind.url("delete", record), headers=HTMX)

    assert response["HX-Redirect"] == kind.url("list")
    assert not kind.model.objects.filter(pk=record.pk).exists()
    page = sales_client.get(kind.url("list")).content.decode()
    assert f"{kind.name.capitalize()} deleted." in page


@KINDS
def test_delete_is_refused_with_the_reason_while_an_open_lead_points_at_it(
    sales_client: Client, salesperson: User, kind: Kind
) -> None:
    record = kind.factory(owner=salesperson)
    LeadFactory(**{f"existing_{kind.name}": record})
    reason = f"1 open lead (Existing {kind.name.capitalize()})"

    shown = sales_client.get(kind.url("delete", record), headers=HTMX).content.decode()
    posted = sales_client.post(kind.url("delete", record), headers=HTMX).content.decode()

    assert reason in shown
    assert 'class="danger" disabled>Delete permanently' in shown
    assert reason in posted
    assert kind.model.objects.filter(pk=record.pk).exists()


@KINDS
def test_delete_works_without_javascript(sales_client: Client, salesperson, kind: Kind) -> None:
    record = kind.factory(owner=salesperson)

    page = sales_client.get(kind.url("delete", record)).content.decode()
    response = sales_client.post(kind.url("delete", record))

    assert "<dialog data-modal open" in page
    assert (response.status_code, response["Location"]) == (302, kind.url("list"))


# Notes ----------------------------------------------------------------------------------------


@KINDS
def test_it_adds_a_note_with_an_attachment(sales_client: Client, salesperson, kind: Kind) -> None:
    record = kind.factory(owner=salesperson)

    response = sales_client.post(
        kind.url("note-add", record),
        {
            "note-title": "Met <them>",
            "note-body": "At the fair",
            "note-attachment": SimpleUploadedFile("card.txt", b"x"),
        },
        headers=HTMX,
    )

    page = response.content.decode()
    assert page.lstrip().startswith('<section id="timeline"')
    assert "Met &lt;them&gt;" in page
    assert ">card.txt</a>" in page
    assert timeline_for(record=record).get().author == salesperson


@KINDS
def test_it_refuses_an_empty_note(sales_client: Client, salesperson, kind: Kind) -> None:
    record = kind.factory(owner=salesperson)

    response = sales_client.post(kind.url("note-add", record), {"note-title": " "}, headers=HTMX)

    assert TIMELINE_NOTE_EMPTY in response.content.decode()
    assert not timeline_for(record=record).exists()


@KINDS
def test_it_adds_a_note_without_javascript(sales_client: Client, salesperson, kind: Kind) -> None:
    record = kind.factory(owner=salesperson)

    response = sales_client.post(kind.url("note-add", record), {"note-body": "Called"})

    assert (response.status_code, response["Location"]) == (302, record.get_absolute_url())
    assert timeline_for(record=record).get().body == "Called"
