"""Everything one Qualify screen posts (the side pane, the legacy dialog, the "Processing"
dialog), parsed into the engine's decisions; the engine's problems put back on the fields.

Every screen posts the `screen` signature of the plan it was drawn from, so a settings change
between opening and submitting shows the new screen instead of reading one screen's answers as
another's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django import forms
from django.db import models
from django.http import QueryDict

from qualification.engine import (
    CORRECT_THE_ERRORS,
    Choice,
    FieldProblem,
    PlanMode,
    QualifyDecisions,
    QualifyPlan,
    RecordDecision,
    RecordPlan,
    ScreenKind,
)
from qualification.forms.fields import mapped_values, posted_index
from qualification.forms.merge import MergePreview, linked_choices_parse
from qualification.forms.opportunities import (
    MAX_OPPORTUNITY_INDEX,
    OPPORTUNITY_LIMIT,
    OpportunityAdder,
    OpportunityForm,
    opportunity_adder,
    opportunity_indexes,
)
from qualification.forms.records import RECORD_MODELS, DuplicateOverrideForm, RecordChoiceForm
from qualification.models import FieldMapping, RecordType
from qualification.services import TARGET_MODELS

SETTINGS_CHANGED = (
    "The qualification settings changed while this was open. Check the choices again, then "
    "select Qualify."
)


class LegacyChoicesForm(forms.Form):
    """The legacy "Qualify lead" dialog: which of Account, Contact, Opportunity to create."""

    use_required_attribute = False
    create_account = forms.BooleanField(required=False, label="Account")
    create_contact = forms.BooleanField(required=False, label="Contact")
    create_opportunity = forms.BooleanField(required=False, label="Opportunity")

    def __init__(self, data: QueryDict | None = None, *, plan: QualifyPlan) -> None:
        super().__init__(
            data,
            initial={"create_account": True, "create_contact": True, "create_opportunity": True},
        )
        for name, record_plan in (
            ("create_account", plan.account),
            ("create_contact", plan.contact),
            ("create_opportunity", plan.opportunity),
        ):
            if record_plan.mode != PlanMode.SALESPERSON:
                del self.fields[name]
        if "create_account" in self.fields and not plan.account.can_create:
            self.fields["create_account"].disabled = True
            self.initial["create_account"] = False
            self.fields["create_account"].help_text = "Needs a Company Name on the lead."


@dataclass
class RecordSection:
    """How the screen shows one record type: asked about (a form), or not (read-only)."""

    record_plan: RecordPlan
    form: RecordChoiceForm | None = None
    override: DuplicateOverrideForm | None = None
    mappings: list[FieldMapping] = field(default_factory=list)
    data: QueryDict | None = None

    @cached_property
    def merge_preview(self) -> MergePreview | None:
        """What "Use existing" will change on the existing record this section links: the one
        picked under Use existing, the lead's Existing Account/Contact, or the duplicate
        dialog's pick. None for an opportunity."""
        if self.record_type not in RECORD_MODELS:
            return None
        if self.form is not None:
            record = self.form.selected_record
        elif self.record_plan.mode == PlanMode.EXISTING:
            record = self.record_plan.existing
        else:
            record = self.override.existing_record if self.override is not None else None
        return MergePreview(
            record_type=self.record_type,
            record=record,
            mappings=self.mappings,
            lead_values=self.record_plan.initial,
            data=self.data,
        )

    @property
    def record_type(self) -> str:
        return self.record_plan.record_type.value

    @property
    def label(self) -> str:
        return str(self.record_plan.record_type.label)

    @property
    def mode(self) -> str:
        return self.record_plan.mode.value

    @property
    def model(self) -> type[models.Model]:
        return TARGET_MODELS[self.record_type]

    @property
    def mapped_values(self) -> list[tuple[str, str]]:
        return mapped_values(self.model, self.record_plan.initial)


class QualifyForm:
    """Everything one Qualify screen posts, for one plan (`plan.screen` says which screen)."""

    def __init__(self, *, plan: QualifyPlan, data: QueryDict | None = None) -> None:
        self.plan = plan
        self.kind = plan.screen
        self.errors: list[str] = []
        self.stale = data is not None and data.get("screen") != plan.signature
        if self.stale:
            # Drawn from other settings: show this screen afresh rather than misread the post.
            self.errors.append(SETTINGS_CHANGED)
            data = None
        self.data = data
        self.is_bound = data is not None
        self.legacy = LegacyChoicesForm(data, plan=plan) if self.kind == ScreenKind.LEGACY else None
        self.account = self._section(plan.account)
        self.contact = self._section(plan.contact)
        self.opportunity = RecordSection(record_plan=plan.opportunity)
        self.linked = {
            record_type: choices
            for record_type in RECORD_MODELS
            for choices in [linked_choices_parse(data, record_type)]
            if choices is not None
        }
        self.opportunity_forms: list[OpportunityForm] = []
        # A button that changes the screen (Search, + New Opportunity, Remove without
        # JavaScript) shows it again instead of qualifying.
        self.rerender = data is not None and bool(data.get("search"))
        if self.manual_opportunities:
            self._opportunity_forms_build()

    @property
    def signature(self) -> str:
        return self.plan.signature

    @property
    def manual_opportunities(self) -> bool:
        return self.kind == ScreenKind.PANE and self.plan.opportunity.mode == PlanMode.SALESPERSON

    def _section(self, record_plan: RecordPlan) -> RecordSection:
        shared = {
            "record_plan": record_plan,
            "mappings": self.plan.config.mappings[record_plan.record_type],
            "data": self.data,
        }
        if self.kind == ScreenKind.PANE and record_plan.mode == PlanMode.SALESPERSON:
            return RecordSection(
                **shared, form=RecordChoiceForm(self.data, record_plan=record_plan)
            )
        override = None
        if record_plan.mode in (PlanMode.AUTOMATIC, PlanMode.SALESPERSON):
            override = DuplicateOverrideForm(self.data, record_type=record_plan.record_type)
        return RecordSection(**shared, override=override)

    def _opportunity_forms_build(self) -> None:
        plan, data = self.plan, self.data
        if data is None or "opportunities-shown" not in data:
            self.opportunity_forms = [OpportunityForm(index=0, plan=plan)]
            return
        indexes = opportunity_indexes(data.getlist("opportunity-index"))
        remove = posted_index(data.get("remove_opportunity"), maximum=MAX_OPPORTUNITY_INDEX)
        if remove is not None:
            self.rerender = True
            indexes = [index for index in indexes if index != remove]
        self.opportunity_forms = [
            OpportunityForm(data, index=index, plan=plan, number=number)
            for number, index in enumerate(indexes, start=1)
        ]
        if data.get("add_opportunity"):
            self.rerender = True
            adder = opportunity_adder(indexes, plan)
            if adder.full:
                self.errors.append(OPPORTUNITY_LIMIT.format(max=plan.max_opportunities))
            else:
                number = len(self.opportunity_forms) + 1
                self.opportunity_forms.append(
                    OpportunityForm(index=adder.next_index, plan=plan, added=True, number=number)
                )

    @property
    def opportunity_adder(self) -> OpportunityAdder:
        return opportunity_adder([form.index for form in self.opportunity_forms], self.plan)

    @property
    def sections(self) -> list[RecordSection]:
        return [self.account, self.contact]

    @property
    def override_values(self) -> list[tuple[str, str]]:
        """Earlier duplicate-dialog answers for records this screen does not ask about."""
        return [
            pair
            for section in self.sections
            if section.override is not None
            for pair in section.override.hidden_values()
        ]

    def is_valid(self) -> bool:
        if not self.is_bound or self.rerender:
            return False
        forms_valid = [
            form.is_valid()
            for form in [self.legacy, self.account.form, self.contact.form, *self.opportunity_forms]
            if form is not None
        ]
        if not all(forms_valid):
            self._say_correct_the_errors()
        return all(forms_valid) and not self.errors

    def _say_correct_the_errors(self) -> None:
        # Said at the top too: in a long pane the field in error may be out of sight.
        if CORRECT_THE_ERRORS not in self.errors:
            self.errors.insert(0, CORRECT_THE_ERRORS)

    def _record_decision(self, section: RecordSection, checkbox: str) -> RecordDecision | None:
        if section.form is not None:
            return section.form.decision()
        override = section.override.decision() if section.override is not None else None
        if override is not None or self.legacy is None or checkbox not in self.legacy.fields:
            return override
        if self.legacy.cleaned_data.get(checkbox):
            return RecordDecision(choice=Choice.CREATE)
        return RecordDecision(choice=Choice.SKIP)

    def decisions(self) -> QualifyDecisions:
        opportunities: list[dict[str, Any]] | None = None
        if self.manual_opportunities:
            opportunities = [form.values() for form in self.opportunity_forms]
        elif self.legacy is not None and "create_opportunity" in self.legacy.fields:
            # Ticked: the plan's one mapped opportunity; unticked: none.
            opportunities = None if self.legacy.cleaned_data["create_opportunity"] else []
        return QualifyDecisions(
            account=self._record_decision(self.account, "create_account"),
            contact=self._record_decision(self.contact, "create_contact"),
            opportunities=opportunities,
            linked=self.linked,
        )

    def add_engine_problems(self, problems: list[FieldProblem]) -> None:
        """Put the engine's problems next to the fields they belong to, else on the screen."""
        for problem in problems:
            target = self._problem_target(problem)
            if target is not None:
                target.add_engine_problems([problem])
                self._say_correct_the_errors()
            elif problem.text not in self.errors:
                self.errors.append(problem.text)

    def _problem_target(self, problem: FieldProblem) -> RecordChoiceForm | OpportunityForm | None:
        if problem.record == RecordType.ACCOUNT:
            return self.account.form
        if problem.record == RecordType.CONTACT:
            return self.contact.form
        position = problem.position
        if position is not None and position < len(self.opportunity_forms):
            return self.opportunity_forms[position]
        return None
