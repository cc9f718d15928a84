"""The qualification settings: which combinations of options make sense."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from crm.errors import DomainError
from crm.matching.rules import DuplicateRules
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
    "“Let salespeople create up to {max} opportunities” needs Opportunity = Salesperson."
)
SETTINGS_DUPLICATES_NEED_A_RULE = (
    "Duplicate detection needs at least one rule: tick an account or a contact rule, "
    "or turn detection off."
)
QUICK_CREATE_UNKNOWN = "“{field}” is not an opportunity field the quick-create form can show."
QUICK_CREATE_TWICE = "“{field}” is picked more than once."


# Which parts of the settings apply under which choices. The admin folds away the parts that
# do not apply (with a note), and a setting in a part that does not apply is kept but never
# refused: it simply has no effect (the engine reads only what applies).
SETTINGS_PARTS_APPLY_WHEN: dict[str, dict[str, str]] = {
    "legacy": {"experience": Experience.LEGACY},
    "new": {"experience": Experience.NEW},
    "quick_create": {"experience": Experience.NEW, "opportunity_mode": CreationMode.SALESPERSON},
}


def qualification_settings_part_applies(
    *, qualification_settings: QualificationSettings, part: str
) -> bool:
    """Whether a part of the settings ("legacy", "new", "quick_create") applies to them."""
    return all(
        getattr(qualification_settings, name) == value
        for name, value in SETTINGS_PARTS_APPLY_WHEN[part].items()
    )


class QualificationSettingsError(DomainError):
    """Settings that do not go together; `errors` maps a field name to its messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(message for messages in errors.values() for message in messages))
        self.errors = errors


def duplicate_rules_of(*, qualification_settings: QualificationSettings) -> DuplicateRules | None:
    """The duplicate rules in force, None when the admin turned detection off."""
    if not qualification_settings.detect_duplicates:
        return None
    return DuplicateRules.from_settings(qualification_settings)


def duplicate_rules_load() -> DuplicateRules | None:
    """The rules in force now (one query): lead-to-lead detection reads them through
    `crm.matching.rules.duplicate_rules_current`."""
    return duplicate_rules_of(qualification_settings=QualificationSettings.load())


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
    """Refuse combinations that contradict each other where they apply. Raises
    QualificationSettingsError."""
    errors: dict[str, list[str]] = defaultdict(list)
    s = qualification_settings
    # Only within the New experience, where both show: Legacy folds this part away and ignores
    # it (and the summary) altogether.
    if (
        s.allow_multiple_opportunities
        and qualification_settings_part_applies(qualification_settings=s, part="new")
        and s.opportunity_mode != CreationMode.SALESPERSON
    ):
        errors["allow_multiple_opportunities"].append(
            SETTINGS_MULTIPLE_NEEDS_SALESPERSON.format(max=MAX_OPPORTUNITIES)
        )
    if s.detect_duplicates and not (
        s.match_account_by_name
        or s.match_account_by_similar_name
        or s.match_account_by_domain
        or s.match_account_by_phone
        or s.match_contact_by_email
        or s.match_contact_by_phone
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
