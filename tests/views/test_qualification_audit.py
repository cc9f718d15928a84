"""The qualification audit in Django admin: readable columns, the opportunities created as a
list of links, and the duplicate decisions in the duplicate dialog's words."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from qualification.admin.audit import duplicates_decision
from qualification.engine import lead_qualify
from qualification.models import DuplicateDecision, Qualification
from tests.factories import AccountFactory, LeadFactory

pytestmark = pytest.mark.django_db
AUDIT_LIST = reverse("admin:qualification_qualification_changelist")


@pytest.fixture
def admin_client(client: Client, admin_user) -> Client:
    client.force_login(admin_user)
    return client


def _record_decisions(qualification: Qualification, **fields: object) -> Qualification:
    # The qualify engine records these (the duplicate dialog's choice); here the test writes
    # what it would have recorded, to see how the audit shows each decision.
    Qualification.objects.filter(pk=qualification.pk).update(**fields)
    return Qualification.objects.get(pk=qualification.pk)


def test_it_shows_a_new_account_created_over_its_matches(admin_client, admin_user):
    lead = LeadFactory(company_name="Contoso")
    result = lead_qualify(lead_id=lead.pk, acting_user=admin_user)
    _record_decisions(
        result.qualification,
        account_duplicates=DuplicateDecision.CREATED_ANYWAY,
        duplicate_matches={
            "account": [{"id": 1, "label": "Contoso Ltd"}, {"id": 2, "label": "Contoso Inc"}]
        },
    )

    page = admin_client.get(AUDIT_LIST).content.decode()

    assert (
        '<br><span class="audit-duplicates">Create new anyway over Contoso Ltd, Contoso Inc</span>'
    ) in page


def test_it_shows_a_contact_linked_to_a_match(admin_client, admin_user):
    lead = LeadFactory()
    result = lead_qualify(lead_id=lead.pk, acting_user=admin_user)
    contact = result.qualification.contact
    qualification = _record_decisions(
        result.qualification,
        contact_created=False,
        contact_duplicates=DuplicateDecision.LINKED,
        duplicate_matches={"contact": [{"id": contact.pk, "label": "Ana Ruiz (then)"}]},
    )

    page = admin_client.get(
        reverse("admin:qualification_qualification_change", args=[qualification.pk])
    ).content.decode()

    assert "linked to match Ana Ruiz (then)" in page
    assert f'<a href="{contact.get_absolute_url()}">{contact}</a>' in page


def test_it_filters_by_duplicate_decision(admin_client, admin_user):
    created_anyway = lead_qualify(lead_id=LeadFactory(topic="Anyway").pk, acting_user=admin_user)
    lead_qualify(lead_id=LeadFactory(topic="No matches").pk, acting_user=admin_user)
    _record_decisions(
        created_anyway.qualification, account_duplicates=DuplicateDecision.CREATED_ANYWAY
    )

    page = admin_client.get(AUDIT_LIST, {"account_duplicates__exact": "created_anyway"})

    text = page.content.decode()
    assert "Anyway" in text
    assert "No matches" not in text


def test_the_record_lists_the_opportunities_not_raw_inline_rows(admin_client, admin_user):
    account = AccountFactory(name="Contoso")
    lead = LeadFactory(existing_account=account, topic="Office chairs")
    result = lead_qualify(lead_id=lead.pk, acting_user=admin_user)
    opportunity = result.primary_opportunity

    page = admin_client.get(
        reverse("admin:qualification_qualification_change", args=[result.qualification.pk])
    ).content.decode()

    assert "qualification opportunitys" not in page.lower()
    assert f"{result.qualification.pk}#0" not in page
    assert (
        '<ol class="audit-opportunities">'
        f'<li><a href="{opportunity.get_absolute_url()}">Office chairs</a> (primary)</li></ol>'
    ) in page
    assert f'<a href="{lead.get_absolute_url()}">{result.qualification.lead_label}</a>' in page
    assert "New" in page


def test_a_qualification_without_duplicates_says_nothing_about_them(admin_user):
    result = lead_qualify(lead_id=LeadFactory().pk, acting_user=admin_user)

    assert duplicates_decision(result.qualification, "account") == ""
    assert duplicates_decision(result.qualification, "contact") == ""


def test_created_anyway_without_recorded_matches_still_says_so(admin_user):
    result = lead_qualify(lead_id=LeadFactory().pk, acting_user=admin_user)
    qualification = _record_decisions(
        result.qualification, account_duplicates=DuplicateDecision.CREATED_ANYWAY
    )

    assert duplicates_decision(qualification, "account") == "Create new anyway"
