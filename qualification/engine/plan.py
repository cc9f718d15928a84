"""The plan: what Qualify will do for a lead under the admin's settings, per record type
(created automatically, chosen by the salesperson, the lead's existing record, or none), the
values the field mappings give new records, and which screen asks the salesperson."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.db import models

from leads.models import Lead
from qualification.duplicates import DuplicateRules
from qualification.models import (
    MAX_OPPORTUNITIES,
    CreationMode,
    Experience,
    FieldMapping,
    QualificationSettings,
    RecordType,
)
from qualification.services import (
    duplicate_rules_of,
    field_mapping_values,
    field_mappings_by_target,
    quick_create_field_choices,
)


class Choice(models.TextChoices):
    CREATE = "create", "Create new"
    EXISTING = "existing", "Use existing"
    SKIP = "skip", "Skip"


class PlanMode(models.TextChoices):
    AUTOMATIC = "automatic", "Created automatically"
    SALESPERSON = "salesperson", "Salesperson decides"
    EXISTING = "existing", "Existing record on the lead"
    NONE = "none", "Not created"


class ScreenKind(models.TextChoices):
    """The screen a single qualify shows: the side pane (new experience, something manual),
    the legacy dialog (three checkboxes), or none to ask (the "Processing" dialog)."""

    PANE = "pane", "Qualify lead side pane"
    LEGACY = "legacy", "Qualify lead dialog"
    AUTOMATIC = "automatic", "Processing"


# The plan modes in which a new record is made (unless the salesperson decides otherwise).
CREATING = (PlanMode.AUTOMATIC, PlanMode.SALESPERSON)


@dataclass(frozen=True)
class QualifyConfig:
    """What a qualify reads once (a bulk qualify: once for all its chunks), fresh from the
    database: a settings change applies to the next qualify."""

    settings: QualificationSettings
    mappings: dict[str, list[FieldMapping]]

    @classmethod
    def load(cls, *, qualification_settings: QualificationSettings | None = None) -> QualifyConfig:
        return cls(
            settings=qualification_settings or QualificationSettings.load(),
            mappings=field_mappings_by_target(),
        )

    @property
    def rules(self) -> DuplicateRules | None:
        """The duplicate rules in force, None when the admin turned detection off."""
        return duplicate_rules_of(qualification_settings=self.settings)

    @property
    def is_legacy_automatic(self) -> bool:
        return (
            self.settings.experience == Experience.LEGACY
            and self.settings.legacy_create_automatically
        )


@dataclass
class RecordPlan:
    record_type: RecordType
    mode: PlanMode
    # Existing Account / Existing Contact set on the lead (mode EXISTING).
    existing: Any = None
    # Account "Create new" is offered only when the lead has a Company Name.
    can_create: bool = True
    # Values the field mappings give a new record (the "Create new" form's initial values).
    initial: dict[str, Any] = field(default_factory=dict)


@dataclass
class QualifyPlan:
    lead: Lead
    config: QualifyConfig
    account: RecordPlan
    contact: RecordPlan
    opportunity: RecordPlan
    # How many opportunity quick-create forms the side pane allows (1, or 5 when allowed).
    max_opportunities: int = 1
    # Which opportunity fields the quick-create form shows, in order (topic first).
    quick_create_fields: list[str] = field(default_factory=list)

    @property
    def settings(self) -> QualificationSettings:
        return self.config.settings

    @property
    def records(self) -> tuple[RecordPlan, RecordPlan, RecordPlan]:
        return (self.account, self.contact, self.opportunity)

    @property
    def screen(self) -> ScreenKind:
        settings = self.settings
        if settings.experience == Experience.LEGACY and not settings.legacy_create_automatically:
            return ScreenKind.LEGACY
        if any(record.mode == PlanMode.SALESPERSON for record in self.records):
            return ScreenKind.PANE
        return ScreenKind.AUTOMATIC

    @property
    def signature(self) -> str:
        """Names the screen this plan draws; a post drawn from another plan (the settings or
        the lead changed meanwhile) is shown afresh instead of being misread."""
        return ":".join(
            [
                self.screen.value,
                self.account.mode,
                self.contact.mode,
                self.opportunity.mode,
                str(self.max_opportunities),
                "company" if self.account.can_create else "no-company",
            ]
        )

    @property
    def will_summarize(self) -> bool:
        """The "Lead qualified" page with the summary follows the qualify."""
        return summary_enabled(self.settings)


def summary_enabled(qualification_settings: QualificationSettings) -> bool:
    """Summaries belong to the new experience; the legacy one never shows them."""
    return (
        qualification_settings.experience == Experience.NEW
        and qualification_settings.summarize_after_qualify
    )


def quick_create_fields(qualification_settings: QualificationSettings) -> list[str]:
    """The quick-create form's opportunity fields, in the admin's order, Topic always first."""
    names = qualification_settings.opportunity_quick_create_fields or []
    return list(_quick_create_fields(tuple(name for name in names if isinstance(name, str))))


@lru_cache(maxsize=64)
def _quick_create_fields(names: tuple[str, ...]) -> tuple[str, ...]:
    # Worked out once per list of names, not once per lead of a bulk qualify.
    allowed = {name for name, _ in quick_create_field_choices()}
    fields = ["topic"]
    for name in names:
        if name in allowed and name not in fields:
            fields.append(name)
    return tuple(fields)


def _record_mode(qualification_settings: QualificationSettings, mode: str) -> PlanMode:
    if qualification_settings.experience == Experience.LEGACY:
        if qualification_settings.legacy_create_automatically:
            return PlanMode.AUTOMATIC
        return PlanMode.SALESPERSON
    return PlanMode.SALESPERSON if mode == CreationMode.SALESPERSON else PlanMode.AUTOMATIC


def plan_build(*, lead: Lead, config: QualifyConfig) -> QualifyPlan:
    """The plan of one lead; makes no query (the lead's existing records must be loaded)."""
    settings, mappings = config.settings, config.mappings
    has_company = bool(lead.company_name.strip())
    account = RecordPlan(
        record_type=RecordType.ACCOUNT,
        mode=_record_mode(settings, settings.account_mode),
        can_create=has_company,
        initial=field_mapping_values(lead=lead, mappings=mappings[RecordType.ACCOUNT]),
    )
    if lead.existing_account_id is not None:
        account.mode, account.existing = PlanMode.EXISTING, lead.existing_account
    elif account.mode == PlanMode.AUTOMATIC and not has_company:
        # An automatic account without a company name is simply not created.
        account.mode = PlanMode.NONE

    contact = RecordPlan(
        record_type=RecordType.CONTACT,
        mode=_record_mode(settings, settings.contact_mode),
        initial=field_mapping_values(lead=lead, mappings=mappings[RecordType.CONTACT]),
    )
    if lead.existing_contact_id is not None:
        contact.mode, contact.existing = PlanMode.EXISTING, lead.existing_contact

    opportunity = RecordPlan(
        record_type=RecordType.OPPORTUNITY,
        mode=_record_mode(settings, settings.opportunity_mode),
        initial=field_mapping_values(lead=lead, mappings=mappings[RecordType.OPPORTUNITY]),
    )
    multiple = (
        settings.experience == Experience.NEW
        and settings.opportunity_mode == CreationMode.SALESPERSON
        and settings.allow_multiple_opportunities
    )
    return QualifyPlan(
        lead=lead,
        config=config,
        account=account,
        contact=contact,
        opportunity=opportunity,
        max_opportunities=MAX_OPPORTUNITIES if multiple else 1,
        quick_create_fields=quick_create_fields(settings),
    )


def qualification_plan(*, lead: Lead, config: QualifyConfig | None = None) -> QualifyPlan:
    """What Qualify will do for this lead under the current settings (read fresh unless the
    caller read them in this request already). A screen's preview: the qualify decides again,
    from the locked lead."""
    return plan_build(lead=lead, config=config or QualifyConfig.load())
