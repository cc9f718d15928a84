"""Django admin: the settings singleton, field mappings, the qualification audit and bulk jobs."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from qualification.engine import lead_qualify
from qualification.models import (
    BulkQualifyJob,
    CreationMode,
    Experience,
    FieldMapping,
    QualificationSettings,
)
from qualification.services import (
    SETTINGS_MULTIPLE_NEEDS_SALESPERSON,
    field_mapping_create,
)
from tests.factories import AccountFactory, LeadFactory, UserFactory

pytestmark = pytest.mark.django_db

SETTINGS_CHANGE = "admin:qualification_qualificationsettings_change"
MAPPING_ADD = reverse("admin:qualification_fieldmapping_add")
MAPPING_LIST = reverse("admin:qualification_fieldmapping_changelist")


@pytest.fixture
def admin_client(client: Client, admin_user) -> Client:
    client.force_login(admin_user)
    return client


def settings_form(**changes: Any) -> dict[str, Any]:
    """The settings change form as the admin posts it, with the defaults filled in."""
    data: dict[str, Any] = {
        "experience": Experience.NEW,
        "legacy_create_automatically": "on",
        "account_mode": CreationMode.AUTOMATIC,
        "contact_mode": CreationMode.AUTOMATIC,
        "opportunity_mode": CreationMode.AUTOMATIC,
        "detect_duplicates": "on",
        "match_account_by_name": "on",
        "match_account_by_domain": "on",
        "match_contact_by_email": "on",
        "match_contact_by_name": "on",
        # The ordered list of quick-create fields posts the ticked ones in the list's order.
        "opportunity_quick_create_fields": ["estimated_revenue", "estimated_close_date"],
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def settings_url() -> str:
    return reverse(SETTINGS_CHANGE, args=[QualificationSettings.load().pk])


# The settings singleton ------------------------------------------------------------------------


def test_it_opens_the_one_settings_record_from_the_list(admin_client):
    response = admin_client.get(reverse("admin:qualification_qualificationsettings_changelist"))

    assert response.status_code == 302
    assert response["Location"] == settings_url()


def test_it_shows_the_settings_with_their_explanations(admin_client):
    response = admin_client.get(settings_url())

    assert response.status_code == 200
    page = response.content.decode()
    for text in (
        "Create account, contact and opportunity automatically",
        "Let salespeople create up to 5 opportunities",
        "Summarize the lead after it is qualified",
        "Opportunity quick-create form",
        "Topic is always the first field",
        "needs Opportunity = Salesperson",
        "Detect duplicates",
    ):
        assert text in page
    delete_url = reverse("admin:qualification_qualificationsettings_delete", args=[1])
    assert delete_url not in page


def test_it_disables_adding_and_deleting_the_settings(admin_client):
    add = admin_client.get(reverse("admin:qualification_qualificationsettings_add"))
    delete = admin_client.post(
        reverse("admin:qualification_qualificationsettings_delete", args=[1]), {"post": "yes"}
    )

    assert add.status_code == 403
    assert delete.status_code == 403
    assert QualificationSettings.objects.count() == 1


def test_it_saves_a_valid_combination(admin_client):
    response = admin_client.post(
        settings_url(),
        settings_form(
            opportunity_mode=CreationMode.SALESPERSON,
            allow_multiple_opportunities="on",
            summarize_after_qualify="on",
            opportunity_quick_create_fields=["need", "budget_amount"],
        ),
    )

    assert response.status_code == 302
    stored = QualificationSettings.objects.get()
    assert stored.opportunity_mode == CreationMode.SALESPERSON
    assert stored.allow_multiple_opportunities
    assert stored.summarize_after_qualify
    assert stored.opportunity_quick_create_fields == ["topic", "need", "budget_amount"]


def test_it_refuses_five_opportunities_without_new_salesperson(admin_client):
    response = admin_client.post(
        settings_url(),
        settings_form(opportunity_mode=CreationMode.AUTOMATIC, allow_multiple_opportunities="on"),
    )

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors["allow_multiple_opportunities"] == [
        SETTINGS_MULTIPLE_NEEDS_SALESPERSON.format(max=5)
    ]
    assert not QualificationSettings.objects.get().allow_multiple_opportunities


def test_it_keeps_a_ticked_summary_when_the_experience_is_legacy(admin_client):
    # Changed on purpose (issue 11): the summary does not apply to Legacy, so it is kept (and
    # folded away) rather than refused; the engine never summarizes a Legacy qualify.
    response = admin_client.post(
        settings_url(),
        settings_form(experience=Experience.LEGACY, summarize_after_qualify="on"),
    )

    assert response.status_code == 302
    stored = QualificationSettings.objects.get()
    assert (stored.experience, stored.summarize_after_qualify) == (Experience.LEGACY, True)


def test_it_keeps_up_to_five_opportunities_when_the_experience_is_legacy(admin_client):
    response = admin_client.post(
        settings_url(),
        settings_form(experience=Experience.LEGACY, allow_multiple_opportunities="on"),
    )

    assert response.status_code == 302
    assert QualificationSettings.objects.get().experience == Experience.LEGACY


def test_it_refuses_a_quick_create_field_picked_twice(admin_client):
    response = admin_client.post(
        settings_url(), settings_form(opportunity_quick_create_fields=["need", "need"])
    )

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors["opportunity_quick_create_fields"] == ["“Need” is picked more than once."]
    stored = QualificationSettings.objects.get()
    assert "need" not in stored.opportunity_quick_create_fields


def test_it_refuses_a_field_that_is_not_offered(admin_client):
    response = admin_client.post(
        settings_url(), settings_form(opportunity_quick_create_fields=["stage"])
    )

    assert response.status_code == 200
    assert "opportunity_quick_create_fields" in response.context["adminform"].form.errors


def test_it_applies_a_settings_change_to_the_next_qualify(admin_client, admin_user):
    admin_client.post(settings_url(), settings_form(experience=Experience.LEGACY))
    lead = LeadFactory()

    result = lead_qualify(lead_id=lead.pk, acting_user=admin_user)

    assert result.qualification.experience == Experience.LEGACY


def test_it_keeps_the_settings_from_salespeople(client, salesperson):
    client.force_login(salesperson)

    response = client.get(settings_url())

    assert response.status_code == 302
    assert "/login/" in response["Location"]


# Field mappings ----------------------------------------------------------------------------


def test_it_lists_the_mappings_with_their_defaults(admin_client):
    response = admin_client.get(MAPPING_LIST)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Company Name (company_name)" in page
    assert "Account Name (name)" in page
    assert "Existing Account (existing_account)" in page


def test_it_keeps_a_default_mappings_fields_read_only(admin_client):
    # Only its policy for linked records can change (tests/views/test_linked_policy_admin.py).
    default = FieldMapping.objects.get(target="account", target_field="name")
    url = reverse("admin:qualification_fieldmapping_change", args=[default.pk])

    page = admin_client.get(url)
    posted = admin_client.post(
        url, {"target": "contact", "source_field": "industry", "target_field": "job_title"}
    )

    assert page.status_code == 200
    assert b'name="source_field"' not in page.content
    assert b'name="target_field"' not in page.content
    assert posted.status_code == 302
    default.refresh_from_db()
    assert (default.target, default.source_field, default.target_field) == (
        "account",
        "company_name",
        "name",
    )


def test_it_refuses_to_delete_a_default_mapping(admin_client):
    default = FieldMapping.objects.get(target="account", target_field="name")

    response = admin_client.post(
        reverse("admin:qualification_fieldmapping_delete", args=[default.pk]), {"post": "yes"}
    )

    assert response.status_code == 403
    assert FieldMapping.objects.filter(pk=default.pk).exists()


def test_the_bulk_delete_action_keeps_default_mappings(admin_client):
    default = FieldMapping.objects.get(target="account", target_field="name")
    added = field_mapping_create(
        target="account", source_field="description", target_field="description"
    )
    count = FieldMapping.objects.count()

    response = admin_client.post(
        MAPPING_LIST,
        {
            "action": "delete_selected",
            "_selected_action": [default.pk, added.pk],
            "post": "yes",
        },
    )

    # The admin refuses the whole action when a ticked row may not be deleted.
    assert response.status_code == 403
    assert FieldMapping.objects.count() == count
    assert FieldMapping.objects.filter(pk=default.pk).exists()


def test_the_bulk_delete_action_deletes_added_mappings(admin_client):
    added = field_mapping_create(
        target="account", source_field="description", target_field="description"
    )

    response = admin_client.post(
        MAPPING_LIST,
        {"action": "delete_selected", "_selected_action": [added.pk], "post": "yes"},
    )

    assert response.status_code == 302
    assert not FieldMapping.objects.filter(pk=added.pk).exists()
    assert FieldMapping.objects.filter(is_default=True).exists()


def test_it_adds_a_mapping_whose_types_fit(admin_client):
    response = admin_client.post(
        MAPPING_ADD,
        {"target": "account", "source_field": "description", "target_field": "description"},
    )

    assert response.status_code == 302
    mapping = FieldMapping.objects.get(target="account", target_field="description")
    assert mapping.source_field == "description"
    assert not mapping.is_default


@pytest.mark.parametrize(
    ("data", "field", "message_part"),
    [
        (
            {"target": "account", "source_field": "decision_maker", "target_field": "description"},
            "source_field",
            "cannot fill",
        ),
        (
            {"target": "account", "source_field": "industry", "target_field": "name"},
            "target_field",
            "one source per target field",
        ),
        (
            {"target": "account", "source_field": "description", "target_field": "topic"},
            "target_field",
            "has no field",
        ),
        (
            {"target": "opportunity", "source_field": "rating", "target_field": "need"},
            "source_field",
            "does not accept every choice",
        ),
    ],
)
def test_it_refuses_a_mapping_that_does_not_fit(admin_client, data, field, message_part):
    count = FieldMapping.objects.count()

    response = admin_client.post(MAPPING_ADD, data)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors[field]
    assert any(message_part in error for error in errors)
    assert FieldMapping.objects.count() == count


def test_it_changes_a_mapping_an_admin_added(admin_client):
    added = field_mapping_create(
        target="account", source_field="description", target_field="description"
    )

    response = admin_client.post(
        reverse("admin:qualification_fieldmapping_change", args=[added.pk]),
        {
            "target": "account",
            "source_field": "qualification_comments",
            "target_field": "description",
        },
    )

    assert response.status_code == 302
    added.refresh_from_db()
    assert added.source_field == "qualification_comments"


# Audit and jobs ----------------------------------------------------------------------------


def test_it_lists_qualifications_with_created_and_linked_records(admin_client, admin_user):
    account = AccountFactory(name="Contoso")
    lead = LeadFactory(existing_account=account, first_name="Ann", last_name="Lee")
    lead_qualify(lead_id=lead.pk, acting_user=admin_user)

    response = admin_client.get(reverse("admin:qualification_qualification_changelist"))

    assert response.status_code == 200
    page = response.content.decode()
    assert f'<a href="{account.get_absolute_url()}">Contoso</a> <span class="audit-how">linked' in (
        page
    )
    assert re.search(r'<a href="/contacts/\d+/">Ann Lee</a> <span class="audit-how">created', page)


def test_it_keeps_the_qualification_audit_read_only(admin_client, admin_user):
    lead = LeadFactory()
    result = lead_qualify(lead_id=lead.pk, acting_user=admin_user)
    change_url = reverse("admin:qualification_qualification_change", args=[result.qualification.pk])

    add = admin_client.get(reverse("admin:qualification_qualification_add"))
    page = admin_client.get(change_url)
    delete = admin_client.post(
        reverse("admin:qualification_qualification_delete", args=[result.qualification.pk]),
        {"post": "yes"},
    )

    assert add.status_code == 403
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert result.primary_opportunity.topic in page.content.decode()
    assert delete.status_code == 403


def test_it_lists_bulk_jobs_read_only(admin_client):
    job = BulkQualifyJob.objects.create(created_by=UserFactory(), total=10, processed=4)

    listing = admin_client.get(reverse("admin:qualification_bulkqualifyjob_changelist"))
    add = admin_client.get(reverse("admin:qualification_bulkqualifyjob_add"))

    assert listing.status_code == 200
    assert str(job) in listing.content.decode()
    assert add.status_code == 403
