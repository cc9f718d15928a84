"""The merge preview of "Use existing" in the side pane, the duplicate dialog and the Existing
Account path: per field the existing value, the lead's and what happens; the salesperson's
per-field choice carried into the qualify; bad choices refused with nothing written."""

from __future__ import annotations

import html

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from qualification.engine.linked import FILLS, KEEPS, NEVER, NOT_MAPPED, REPLACES
from qualification.forms.merge import PICK_A_RECORD
from qualification.models import (
    Experience,
    FieldMapping,
    LinkedFieldChange,
    LinkedPolicy,
    Qualification,
)
from tests.factories import AccountFactory, LeadFactory
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


def preview_url(lead, record_type: str = "account") -> str:
    return reverse("qualification:qualify-merge-preview", args=[lead.pk, record_type])


def _row(body: str, field: str) -> str:
    start = body.index(f'data-field="{field}"')
    return body[start : body.index("</tr>", start)]


@pytest.fixture
def fabrikam_blank_city(fabrikam):
    fabrikam.city = ""
    fabrikam.save()
    return fabrikam


# The fragment ---------------------------------------------------------------------------------


def test_the_fragment_shows_each_mapped_field_with_what_happens(
    sales_client, lead, fabrikam_blank_city
):
    configure(account_mode=SALESPERSON)
    FieldMapping.objects.filter(target="account", target_field="website").update(
        linked_policy=LinkedPolicy.NEVER
    )

    response = sales_client.get(
        preview_url(lead), {"account-existing": fabrikam_blank_city.pk}, **HX
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div class="merge-preview" id="account-merge-preview">')
    assert f'name="account-merge-record" value="{fabrikam_blank_city.pk}"' in body
    assert "1 field will change" in body
    city = _row(body, "city")
    assert "<td>—</td>" in city and "<td>Springfield</td>" in city and FILLS in city
    assert '<option value="take" selected>' in city
    phone = _row(body, "phone")
    assert "<td>+1 555 999 0000</td>" in phone and "<td>+1 555 100 2000</td>" in phone
    assert KEEPS in phone and '<option value="keep" selected>' in phone
    website = _row(body, "website")
    assert NEVER in website and "<select" not in website
    assert 'data-field="street2"' not in body  # empty on both sides


def test_the_fragment_shows_the_salespersons_choices(sales_client, lead, fabrikam):
    configure(account_mode=SALESPERSON)
    query = {
        "account-existing": fabrikam.pk,
        "account-merge-record": fabrikam.pk,
        "account-merge-phone": "take",
    }

    body = sales_client.get(preview_url(lead), query, **HX).content.decode()

    phone = _row(body, "phone")
    assert REPLACES in phone and '<option value="take" selected>' in phone
    assert "1 field will change" in body


def test_choices_made_for_another_record_are_not_shown_for_this_one(sales_client, lead, fabrikam):
    configure(account_mode=SALESPERSON)
    other = AccountFactory(name="Other")
    query = {
        "account-existing": fabrikam.pk,
        "account-merge-record": other.pk,
        "account-merge-phone": "take",
    }

    body = sales_client.get(preview_url(lead), query, **HX).content.decode()

    assert KEEPS in _row(body, "phone")


def test_the_fragment_asks_for_a_record_until_one_is_picked(sales_client, lead):
    configure(account_mode=SALESPERSON)

    body = sales_client.get(preview_url(lead), **HX).content.decode()

    assert PICK_A_RECORD.format(record="account") in body
    assert "<table" not in body


def test_a_field_that_is_not_mapped_is_a_clear_error_and_writes_nothing(
    sales_client, lead, fabrikam
):
    configure(account_mode=SALESPERSON)
    before = counts()
    query = {
        "account-existing": fabrikam.pk,
        "account-merge-record": fabrikam.pk,
        "account-merge-owner": "take",
    }

    response = sales_client.get(preview_url(lead), query, **HX)

    body = response.content.decode()
    assert response.status_code == 200
    assert '<div class="form-errors" role="alert">' in body
    assert NOT_MAPPED.format(field="owner", record="account") in html.unescape(body)
    assert_nothing_written(lead, before)
    fabrikam.refresh_from_db()
    assert fabrikam.city == "Redmond"


def test_the_fragment_refuses_an_unknown_record_type_and_a_stranger(
    sales_client, client, lead, other_salesperson
):
    assert sales_client.get(preview_url(lead, "opportunity"), **HX).status_code == 404
    client.force_login(other_salesperson)
    assert client.get(preview_url(lead), **HX).status_code == 403


def test_the_fragment_reads_in_constant_queries(
    sales_client, lead, fabrikam, django_assert_num_queries
):
    configure(account_mode=SALESPERSON)
    ContentType.objects.get_for_models(Qualification)
    # session, user, the lead, settings, mappings, the picked account.
    with django_assert_num_queries(6):
        sales_client.get(preview_url(lead), {"account-existing": fabrikam.pk}, **HX)


# The side pane ------------------------------------------------------------------------------


def test_the_pane_refreshes_the_preview_when_the_picked_record_changes(sales_client, lead):
    configure(account_mode=SALESPERSON)

    body = sales_client.get(qualify_url(lead), **HX).content.decode()

    assert (
        f'hx-get="{preview_url(lead)}" hx-trigger="change" hx-target="#account-merge-preview"'
        in body
    )
    assert '<div class="merge-preview" id="account-merge-preview">' in body
    assert "<script" not in body.split('id="account-merge-preview"')[1].split("</div>")[0]


def test_the_pane_qualifies_with_the_per_field_choices(sales_client, lead, fabrikam_blank_city):
    configure(account_mode=SALESPERSON)
    data = screen_post(
        lead,
        **{
            "account-choice": "existing",
            "account-existing": fabrikam_blank_city.pk,
            "account-merge-record": fabrikam_blank_city.pk,
            "account-merge-phone": "take",
            "account-merge-city": "keep",
        },
    )

    response = sales_client.post(qualify_url(lead), data, **HX)

    client_redirect(response)
    fabrikam_blank_city.refresh_from_db()
    assert fabrikam_blank_city.phone == "+1 555 100 2000"
    assert fabrikam_blank_city.city == ""
    change = LinkedFieldChange.objects.get()
    assert (change.field, change.old_value, change.new_value) == (
        "phone",
        "+1 555 999 0000",
        "+1 555 100 2000",
    )


def test_the_pane_refuses_a_choice_for_a_field_that_is_not_mapped(sales_client, lead, fabrikam):
    configure(account_mode=SALESPERSON)
    before = counts()
    data = screen_post(
        lead,
        **{
            "account-choice": "existing",
            "account-existing": fabrikam.pk,
            "account-merge-record": fabrikam.pk,
            "account-merge-owner": "take",
        },
    )

    body = sales_client.post(qualify_url(lead), data, **HX).content.decode()

    assert 'aria-labelledby="qualify-pane-title"' in body
    assert NOT_MAPPED.format(field="owner", record="account") in html.unescape(body)
    assert_nothing_written(lead, before)
    fabrikam.refresh_from_db()
    assert fabrikam.city == "Redmond"


# The Existing Account path and the duplicate dialog -------------------------------------------


def test_the_existing_account_of_the_lead_shows_its_preview(sales_client, salesperson):
    configure(contact_mode=SALESPERSON)
    account = AccountFactory(name="Contoso", city="", website="")
    lead = LeadFactory(owner=salesperson, existing_account=account, city="Oslo")

    body = sales_client.get(qualify_url(lead), **HX).content.decode()

    assert "Existing Account on the lead:" in body
    assert f'hx-get="{preview_url(lead)}"' in body
    assert FILLS in _row(body, "city") and "<td>Oslo</td>" in _row(body, "city")

    data = screen_post(lead, **{"account-merge-record": account.pk, "account-merge-city": "keep"})
    client_redirect(sales_client.post(qualify_url(lead), data, **HX))
    account.refresh_from_db()
    assert account.city == ""


def test_the_duplicate_dialog_previews_the_match_and_applies_the_choices(
    sales_client, lead, fabrikam
):
    body = sales_client.post(qualify_url(lead), screen_post(lead), **HX).content.decode()

    assert 'aria-labelledby="duplicates-title"' in body
    assert f'name="account-merge-record" value="{fabrikam.pk}"' in body
    assert KEEPS in _row(body, "city")
    assert f'hx-get="{preview_url(lead)}"' in body

    data = screen_post(
        lead,
        duplicate_action="use",
        duplicate_types="account",
        duplicate_account=fabrikam.pk,
        **{"account-merge-record": fabrikam.pk, "account-merge-city": "take"},
    )
    client_redirect(sales_client.post(qualify_url(lead), data, **HX))
    fabrikam.refresh_from_db()
    assert fabrikam.city == "Springfield"
    assert Qualification.objects.get().linked_changes.get().field == "city"


def test_the_dialogs_preview_follows_the_picked_match(sales_client, lead, fabrikam):
    body = sales_client.get(
        preview_url(lead), {"duplicate_account": fabrikam.pk}, **HX
    ).content.decode()

    assert f'name="account-merge-record" value="{fabrikam.pk}"' in body
    assert "<td>Redmond</td>" in _row(body, "city")


def test_the_legacy_dialog_previews_the_existing_account_of_the_lead(sales_client, salesperson):
    configure(experience=Experience.LEGACY, legacy_create_automatically=False)
    account = AccountFactory(name="Contoso", city="", website="")
    lead = LeadFactory(owner=salesperson, existing_account=account, city="Oslo")

    body = sales_client.get(qualify_url(lead), **HX).content.decode()

    assert 'aria-labelledby="qualify-dialog-title"' in body
    assert FILLS in _row(body, "city")


def test_the_message_says_how_many_fields_the_linked_account_took(
    sales_client, lead, fabrikam_blank_city
):
    configure(account_mode=SALESPERSON)
    data = screen_post(
        lead, **{"account-choice": "existing", "account-existing": fabrikam_blank_city.pk}
    )

    sales_client.post(qualify_url(lead), data, **HX)

    page = sales_client.get(lead.get_absolute_url()).content.decode()
    assert "linked (1 field updated from the lead)" in page
