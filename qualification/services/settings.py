"""The qualification settings: which combinations of options make sense."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from crm.errors import DomainError
from crm.models import Opportunity
from qualification.models import (
    MAX_OPPORTUNITIES,
    CreationMode,
    Experience,
    QualificationSettings,
)
from qualification.services.fields import (
    quick_create_field_choices,
)

SETTINGS_MULTIPLE_NEEDS_SALESPERSON = (
    "“Let salespeople create up to {max} opportunities” needs Experience = New and "
    "Opportunity = Salesperson."
)
SETTINGS_SUMMARY_NEEDS_NEW = (
    "“Summarize the lead after it is qualified” applies to the New experience only."
)
SETTINGS_DUPLICATES_NEED_A_RULE = (
    "Duplicate detection needs at least one rule: tick an account or a contact rule, "
    "or turn detection off."
)
QUICK_CREATE_UNKNOWN = "“{field}” is not an opportunity field the quick-create form can show."
QUICK_CREATE_TWICE = "“{field}” is picked more than once."


class QualificationSettingsError(DomainError):
    """Settings that do not go together; `errors` maps a field name to its messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(message for messages in errors.values() for message in messages))
        self.errors = errors


def quick_create_fields_clean(*, fields: list[str]) -> list[str]:
    """The admin's quick-create fields in order, Topic first; raises on unknown or repeated
    fields (QualificationSettingsError on "opportunity_quick_create_fields")."""
    allowed = {name for name, _ in quick_create_field_choices()}
    errors: list[str] = []
    seen: list[str] = []
    for name in fields:
        if not name:
            continue
        if name not in allowed:
            errors.append(QUICK_CREATE_UNKNOWN.format(field=name))
        elif name in seen:
            label = Opportunity._meta.get_field(name).verbose_name
            errors.append(QUICK_CREATE_TWICE.format(field=label))
        else:
            seen.append(name)
    if errors:
        raise QualificationSettingsError({"opportunity_quick_create_fields": errors})
    return ["topic", *(name for name in seen if name != "topic")]


def qualification_settings_validate(*, qualification_settings: QualificationSettings) -> None:
    """Refuse combinations that cannot apply. Raises QualificationSettingsError."""
    errors: dict[str, list[str]] = defaultdict(list)
    s = qualification_settings
    if s.allow_multiple_opportunities and not (
        s.experience == Experience.NEW and s.opportunity_mode == CreationMode.SALESPERSON
    ):
        errors["allow_multiple_opportunities"].append(
            SETTINGS_MULTIPLE_NEEDS_SALESPERSON.format(max=MAX_OPPORTUNITIES)
        )
    if s.summarize_after_qualify and s.experience != Experience.NEW:
        errors["summarize_after_qualify"].append(SETTINGS_SUMMARY_NEEDS_NEW)
    if s.detect_duplicates and not (
        s.match_account_by_name
        or s.match_account_by_domain
        or s.match_contact_by_email
        or s.match_contact_by_name
    ):
        errors["detect_duplicates"].append(SETTINGS_DUPLICATES_NEED_A_RULE)
    try:
        s.opportunity_quick_create_fields = quick_create_fields_clean(
            fields=list(s.opportunity_quick_create_fields or [])
        )
    except QualificationSettingsError as error:
        for name, messages in error.errors.items():
            errors[name].extend(messages)
    if errors:
        raise QualificationSettingsError(dict(errors))


def qualification_settings_update(
    *, qualification_settings: QualificationSettings, **fields: Any
) -> QualificationSettings:
    """Change the settings after checking the combination; the next qualify reads them."""
    for name, value in fields.items():
        setattr(qualification_settings, name, value)
    qualification_settings_validate(qualification_settings=qualification_settings)
    qualification_settings.save()
    return qualification_settings
