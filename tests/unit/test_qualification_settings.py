"""The settings singleton, the default field mappings, and the rules the admin enforces."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from qualification.models import (
    DEFAULT_QUICK_CREATE_FIELDS,
    CreationMode,
    Experience,
    FieldMapping,
    QualificationSettings,
)
from qualification.services import (
    MAPPING_DEFAULT_LOCKED,
    QUICK_CREATE_TWICE,
    QUICK_CREATE_UNKNOWN,
    SETTINGS_DUPLICATES_NEED_A_RULE,
    SETTINGS_MULTIPLE_NEEDS_SALESPERSON,
    SETTINGS_PARTS_APPLY_WHEN,
    FieldMappingDefaultError,
    FieldMappingError,
    QualificationSettingsError,
    field_mapping_create,
    field_mapping_delete,
    field_mapping_save,
    field_mapping_validate,
    field_mappings_delete,
    qualification_settings_part_applies,
    qualification_settings_update,
    qualification_settings_validate,
    quick_create_fields_clean,
)

pytestmark = pytest.mark.django_db


# The singleton -------------------------------------------------------------------------------


def test_it_keeps_one_settings_row():
    first = QualificationSettings.load()
    second = QualificationSettings.load()

    assert first.pk == second.pk == 1
    assert QualificationSettings.objects.count() == 1


def test_it_refuses_a_second_settings_row():
    QualificationSettings.load()

    with pytest.raises(IntegrityError), transaction.atomic():
        QualificationSettings.objects.create(pk=2)


def test_it_starts_with_the_defaults_the_migration_wrote():
    settings_row = QualificationSettings.load()

    assert settings_row.experience == Experience.NEW
    assert settings_row.opportunity_quick_create_fields == DEFAULT_QUICK_CREATE_FIELDS
    assert settings_row.detect_duplicates


def test_it_saves_a_valid_combination():
    qualification_settings_update(
        qualification_settings=QualificationSettings.load(),
        experience=Experience.NEW,
        opportunity_mode=CreationMode.SALESPERSON,
        allow_multiple_opportunities=True,
        summarize_after_qualify=True,
    )

    stored = QualificationSettings.objects.get()
    assert stored.allow_multiple_opportunities
    assert stored.summarize_after_qualify


# Invalid combinations ------------------------------------------------------------------------


def test_it_refuses_five_opportunities_for_an_automatic_opportunity():
    settings_row = QualificationSettings.load()

    with pytest.raises(QualificationSettingsError) as raised:
        qualification_settings_update(
            qualification_settings=settings_row,
            experience=Experience.NEW,
            opportunity_mode=CreationMode.AUTOMATIC,
            allow_multiple_opportunities=True,
        )

    assert raised.value.errors == {
        "allow_multiple_opportunities": [SETTINGS_MULTIPLE_NEEDS_SALESPERSON.format(max=5)]
    }
    assert not QualificationSettings.objects.get().allow_multiple_opportunities


# Changed on purpose (issue 11): what belongs to the New experience does not apply to Legacy, so
# it is kept (the admin folds it away) rather than refused; the engine ignores it for Legacy.
@pytest.mark.parametrize(
    "fields",
    [
        {"summarize_after_qualify": True},
        {"allow_multiple_opportunities": True, "opportunity_mode": CreationMode.AUTOMATIC},
        {"allow_multiple_opportunities": True, "opportunity_mode": CreationMode.SALESPERSON},
    ],
)
def test_it_keeps_new_experience_settings_that_do_not_apply_to_legacy(fields):
    settings_row = qualification_settings_update(
        qualification_settings=QualificationSettings.load(),
        experience=Experience.LEGACY,
        **fields,
    )

    stored = QualificationSettings.objects.get()
    assert stored.experience == Experience.LEGACY
    assert all(getattr(stored, name) == value for name, value in fields.items())
    assert settings_row.pk == stored.pk


@pytest.mark.parametrize(
    ("experience", "opportunity_mode", "applying"),
    [
        (Experience.NEW, CreationMode.AUTOMATIC, {"new"}),
        (Experience.NEW, CreationMode.SALESPERSON, {"new", "quick_create"}),
        (Experience.LEGACY, CreationMode.SALESPERSON, {"legacy"}),
    ],
)
def test_it_says_which_parts_of_the_settings_apply(experience, opportunity_mode, applying):
    settings_row = QualificationSettings(experience=experience, opportunity_mode=opportunity_mode)

    assert {
        part
        for part in SETTINGS_PARTS_APPLY_WHEN
        if qualification_settings_part_applies(qualification_settings=settings_row, part=part)
    } == applying


def test_it_refuses_duplicate_detection_without_a_rule():
    with pytest.raises(QualificationSettingsError) as raised:
        qualification_settings_update(
            qualification_settings=QualificationSettings.load(),
            detect_duplicates=True,
            match_account_by_name=False,
            match_account_by_similar_name=False,
            match_account_by_domain=False,
            match_account_by_phone=False,
            match_contact_by_phone=False,
            match_contact_by_email=False,
            match_contact_by_name=False,
        )

    assert raised.value.errors == {"detect_duplicates": [SETTINGS_DUPLICATES_NEED_A_RULE]}


def test_it_allows_detection_off_without_rules():
    settings_row = QualificationSettings.load()
    settings_row.detect_duplicates = False
    settings_row.match_account_by_name = settings_row.match_account_by_domain = False
    settings_row.match_contact_by_email = settings_row.match_contact_by_name = False

    qualification_settings_validate(qualification_settings=settings_row)


# Quick-create fields -------------------------------------------------------------------------


def test_it_puts_topic_first_in_the_quick_create_fields():
    assert quick_create_fields_clean(fields=["need", "", "topic", "budget_amount"]) == [
        "topic",
        "need",
        "budget_amount",
    ]


@pytest.mark.parametrize("name", ["stage", "owner", "customer_account", "identify_competitors"])
def test_it_refuses_a_field_the_quick_create_form_cannot_show(name):
    with pytest.raises(QualificationSettingsError) as raised:
        quick_create_fields_clean(fields=["topic", name])

    assert raised.value.errors == {
        "opportunity_quick_create_fields": [QUICK_CREATE_UNKNOWN.format(field=name)]
    }


def test_it_refuses_a_quick_create_field_picked_twice():
    with pytest.raises(QualificationSettingsError) as raised:
        quick_create_fields_clean(fields=["need", "budget_amount", "need"])

    assert raised.value.errors == {
        "opportunity_quick_create_fields": [QUICK_CREATE_TWICE.format(field="Need")]
    }


# Field mappings --------------------------------------------------------------------------------


def test_it_creates_the_default_mappings_of_the_spec():
    pairs = set(
        FieldMapping.objects.filter(is_default=True).values_list(
            "target", "source_field", "target_field"
        )
    )

    assert {
        ("opportunity", "topic", "topic"),
        ("opportunity", "existing_account", "account"),
        ("opportunity", "existing_contact", "contact"),
        ("opportunity", "budget_amount", "budget_amount"),
        ("opportunity", "purchase_timeframe", "purchase_timeframe"),
        ("opportunity", "purchase_process", "purchase_process"),
        ("opportunity", "need", "need"),
        ("opportunity", "decision_maker", "decision_maker"),
        ("account", "company_name", "name"),
        ("account", "website", "website"),
        ("account", "business_phone", "phone"),
        ("account", "city", "city"),
        ("contact", "first_name", "first_name"),
        ("contact", "last_name", "last_name"),
        ("contact", "job_title", "job_title"),
        ("contact", "email", "email"),
        ("contact", "business_phone", "business_phone"),
        ("contact", "mobile_phone", "mobile_phone"),
        ("contact", "postal_code", "postal_code"),
    } <= pairs


def test_every_default_mapping_passes_the_admins_checks():
    for mapping in FieldMapping.objects.filter(is_default=True):
        field_mapping_validate(
            target=mapping.target,
            source_field=mapping.source_field,
            target_field=mapping.target_field,
            mapping_id=mapping.pk,
        )


@pytest.mark.parametrize(
    ("target", "source_field", "target_field"),
    [
        ("account", "description", "description"),
        ("account", "email", "email"),
        ("contact", "description", "description"),
        ("opportunity", "lead_source", "customer_need"),
        ("opportunity", "budget_amount", "estimated_revenue"),
    ],
)
def test_it_adds_a_mapping_whose_types_fit(target, source_field, target_field):
    mapping = field_mapping_create(
        target=target, source_field=source_field, target_field=target_field
    )

    assert not mapping.is_default
    assert FieldMapping.objects.filter(pk=mapping.pk).exists()


@pytest.mark.parametrize(
    ("target", "source_field", "target_field", "form_field", "message_part"),
    [
        ("account", "no_such_field", "description", "source_field", "has no field"),
        ("account", "description", "no_such_field", "target_field", "has no field"),
        ("account", "state", "description", "source_field", "has no field"),
        ("opportunity", "topic", "stage", "target_field", "has no field"),
        ("account", "decision_maker", "description", "source_field", "cannot fill"),
        ("opportunity", "budget_amount", "estimated_close_date", "source_field", "cannot fill"),
        ("opportunity", "city", "need", "source_field", "only accepts its own choices"),
        ("opportunity", "rating", "need", "source_field", "does not accept every choice"),
        ("account", "description", "phone", "source_field", "would be cut"),
        ("opportunity", "existing_contact", "account", "source_field", "links to a contact"),
        ("opportunity", "topic", "account", "source_field", "cannot fill"),
        ("account", "company_name", "name", "target_field", "one source per target field"),
    ],
)
def test_it_refuses_a_mapping_that_does_not_fit(
    target, source_field, target_field, form_field, message_part
):
    with pytest.raises(FieldMappingError) as raised:
        field_mapping_create(target=target, source_field=source_field, target_field=target_field)

    assert raised.value.field == form_field
    assert message_part in raised.value.message
    assert not FieldMapping.objects.filter(is_default=False).exists()


def test_it_names_the_source_a_taken_target_already_has():
    with pytest.raises(FieldMappingError) as raised:
        field_mapping_validate(target="account", source_field="industry", target_field="name")

    assert raised.value.message == (
        "Account field “Account Name” already gets its value from lead field “Company Name”: "
        "one source per target field."
    )


def test_it_keeps_the_default_mappings():
    default = FieldMapping.objects.get(target="account", target_field="name")

    with pytest.raises(FieldMappingDefaultError) as raised:
        field_mapping_delete(mapping=default)
    assert str(raised.value) == MAPPING_DEFAULT_LOCKED

    default.source_field = "industry"
    with pytest.raises(FieldMappingDefaultError):
        field_mapping_save(mapping=default)

    default.refresh_from_db()
    assert default.source_field == "company_name"


def test_it_deletes_added_mappings_and_keeps_defaults_in_a_bulk_delete():
    added = field_mapping_create(
        target="account", source_field="description", target_field="description"
    )
    default_ids = list(FieldMapping.objects.filter(is_default=True).values_list("pk", flat=True))

    deleted, kept = field_mappings_delete(mapping_ids=[added.pk, *default_ids])

    assert (deleted, kept) == (1, len(default_ids))
    assert FieldMapping.objects.count() == len(default_ids)


def test_it_deletes_an_added_mapping():
    added = field_mapping_create(
        target="contact", source_field="description", target_field="description"
    )

    field_mapping_delete(mapping=added)

    assert not FieldMapping.objects.filter(pk=added.pk).exists()
