"""The settings page shows what applies to the chosen experience and folds the rest away (with
a note); the quick-create fields are one ordered list; a field mapping's target fields follow
its record type."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from qualification.models import CreationMode, Experience, QualificationSettings
from qualification.services import field_mapping_create
from tests.views.test_qualification_admin import settings_form, settings_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client: Client, admin_user) -> Client:
    client.force_login(admin_user)
    return client


def _fieldset(page: str, title: str) -> str:
    """The fieldset whose heading starts with `title`, from its opening tag."""
    match = re.search(
        rf'<fieldset class="module aligned ([^"]*)"[^>]*>\s*<details( open)?><summary>\s*'
        rf'<h2[^>]*>{re.escape(title)} <span class="fold-note">([^<]*)</span>',
        page,
    )
    assert match, title
    return match.group(0)


def _configure(**fields: object) -> None:
    row = QualificationSettings.load()
    for name, value in fields.items():
        setattr(row, name, value)
    row.save()


def test_the_new_experience_folds_away_the_legacy_part(admin_client) -> None:
    _configure(experience=Experience.NEW, opportunity_mode=CreationMode.AUTOMATIC)

    page = admin_client.get(settings_url()).content.decode()

    legacy = _fieldset(page, "Legacy experience")
    assert "<details>" in legacy and "when-experience-legacy" in legacy
    assert "· applies when Experience is Legacy" in legacy
    assert "<details open>" in _fieldset(page, "New experience")
    quick_create = _fieldset(page, "Opportunity quick-create form")
    assert "<details>" in quick_create
    assert "when-experience-new when-opportunity_mode-salesperson" in quick_create
    assert "· applies when Experience is New and Opportunity is Salesperson" in quick_create
    assert 'src="/static/js/admin-settings.js"' in page


def test_the_legacy_experience_folds_away_the_new_parts(admin_client) -> None:
    _configure(experience=Experience.LEGACY, opportunity_mode=CreationMode.SALESPERSON)

    page = admin_client.get(settings_url()).content.decode()

    assert "<details open>" in _fieldset(page, "Legacy experience")
    assert "<details>" in _fieldset(page, "New experience")
    assert "<details>" in _fieldset(page, "Opportunity quick-create form")


def test_the_quick_create_part_opens_for_a_salesperson_opportunity(admin_client) -> None:
    _configure(experience=Experience.NEW, opportunity_mode=CreationMode.SALESPERSON)

    page = admin_client.get(settings_url()).content.decode()

    assert "<details open>" in _fieldset(page, "Opportunity quick-create form")


def test_a_form_with_errors_folds_as_it_was_posted(admin_client) -> None:
    _configure(experience=Experience.NEW)

    response = admin_client.post(
        settings_url(),
        settings_form(
            experience=Experience.LEGACY,
            match_account_by_name=None,
            match_account_by_domain=None,
            match_contact_by_email=None,
            match_contact_by_name=None,
        ),
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "<details open>" in _fieldset(page, "Legacy experience")
    assert "<details>" in _fieldset(page, "New experience")


def test_the_quick_create_fields_are_one_ordered_list(admin_client) -> None:
    _configure(opportunity_quick_create_fields=["topic", "need", "estimated_revenue"])

    page = admin_client.get(settings_url()).content.decode()

    assert "Field 2" not in page and "quick_create_2" not in page
    listed = re.findall(r'name="opportunity_quick_create_fields" value="(\w+)"', page)
    assert listed[:2] == ["need", "estimated_revenue"]
    assert "topic" not in listed
    assert len(listed) == len(set(listed)) > 2
    checked = re.findall(r'name="opportunity_quick_create_fields" value="(\w+)"[^>]*checked', page)
    assert checked == ["need", "estimated_revenue"]
    assert 'aria-label="Move Need up"' in page and 'aria-label="Move Need down"' in page


def test_it_saves_the_quick_create_fields_in_the_order_posted(admin_client) -> None:
    response = admin_client.post(
        settings_url(),
        settings_form(
            opportunity_mode=CreationMode.SALESPERSON,
            opportunity_quick_create_fields=["budget_amount", "need", "estimated_revenue"],
        ),
    )

    assert response.status_code == 302
    assert QualificationSettings.objects.get().opportunity_quick_create_fields == [
        "topic",
        "budget_amount",
        "need",
        "estimated_revenue",
    ]


def test_a_new_mapping_lists_each_record_types_fields_under_its_name(admin_client) -> None:
    page = admin_client.get(reverse("admin:qualification_fieldmapping_add")).content.decode()

    target = page.split('name="target_field"')[1].split("</select>")[0]
    for label in ("Account", "Contact", "Opportunity"):
        assert f'<optgroup label="{label}">' in target
    assert 'src="/static/js/admin-field-mapping.js"' in page


def test_a_mappings_target_fields_are_those_of_its_record_type(admin_client) -> None:
    mapping = field_mapping_create(
        target="account", source_field="description", target_field="description"
    )

    page = admin_client.get(
        reverse("admin:qualification_fieldmapping_change", args=[mapping.pk])
    ).content.decode()

    target = page.split('name="target_field"')[1].split("</select>")[0]
    assert "<optgroup" not in target
    assert 'value="description" selected' in target
    assert 'value="name"' in target  # Account Name
    assert 'value="topic"' not in target  # an opportunity field
    assert 'value="first_name"' not in target  # a contact field
