"""Parse the Qualify screens (the side pane, the legacy dialog, the "Processing" dialog and the
duplicate dialog) into the engine's QualifyDecisions.

Forms parse and validate what the salesperson typed and map the engine's errors back onto the
fields; the engine decides and writes. Every screen posts a `screen` signature of the plan it
was drawn from, so a settings change between opening and submitting shows the new screen
instead of reading one screen's answers as another's.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Any

from django import forms
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.http import QueryDict

from crm.models import Account, Contact, Opportunity
from crm.money import format_money
from crm.selectors import account_list, contact_list
from qualification.engine import (
    REQUIRED,
    TOO_MANY_OPPORTUNITIES,
    Choice,
    PlanMode,
    QualifyDecisions,
    QualifyPlan,
    RecordDecision,
    RecordPlan,
)
from qualification.models import RecordType
from qualification.services import TARGET_MODELS, record_editable_fields

# Always offered under "Create new"; the field mappings add theirs (address, industry, ...).
CREATE_FIELDS: dict[str, tuple[str, ...]] = {
    RecordType.ACCOUNT: ("name", "website", "phone", "email"),
    RecordType.CONTACT: ("first_name", "last_name", "job_title", "email", "business_phone"),
}
CREATE_REQUIRED: dict[str, str] = {RecordType.ACCOUNT: "name", RecordType.CONTACT: "last_name"}
RECORD_MODELS: dict[str, type[Account] | type[Contact]] = {
    RecordType.ACCOUNT: Account,
    RecordType.CONTACT: Contact,
}
SEARCH_RESULTS_SHOWN = 10
SEARCH_MAX_LENGTH = 100
# Opportunity form indexes only name the forms; the cap keeps a crafted post small.
MAX_OPPORTUNITY_INDEX = 99

CORRECT_THE_ERRORS = "Correct the errors below."
CHOOSE_ONE = "Choose Create new, Use existing or Skip."
PICK_EXISTING = "Search for the {record} to use, then select it."
EXISTING_GONE = "The selected {record} no longer exists. Search again."
PICK_DUPLICATE = "Select the record to use in each list, or choose Create new anyway."
SETTINGS_CHANGED = (
    "The qualification settings changed while this was open. Check the choices again, then "
    "select Qualify."
)
OPPORTUNITY_LIMIT = "You can create up to {max} opportunities."
ONE_OPPORTUNITY = "You can create one opportunity."

# Keys of the duplicate dialog and of the pane's own buttons: never carried into a re-post.
DIALOG_KEYS = frozenset(
    {"duplicate_action", "duplicate_types", "duplicate_account", "duplicate_contact"}
)
BUTTON_KEYS = frozenset({"action", "search", "add_opportunity", "remove_opportunity"})
NOT_CARRIED = DIALOG_KEYS | BUTTON_KEYS | {"csrfmiddlewaretoken"}


def _form_field(model: type[models.Model], name: str) -> forms.Field:
    """The model field's form field (label = the SPEC's word), with a browser date picker."""
    model_field = model._meta.get_field(name)
    form_field = model_field.formfield()
    if isinstance(model_field, models.DateField) and not isinstance(
        model_field, models.DateTimeField
    ):
        form_field.widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    elif isinstance(model_field, models.TextField):
        form_field.widget = forms.Textarea(attrs={"rows": 2})
    form_field.shows_required = form_field.required
    return form_field


def _display(model: type[models.Model], name: str, value: Any) -> str:
    model_field = model._meta.get_field(name)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, Decimal):
        return format_money(value)
    return str(value)


def mapped_values(model: type[models.Model], initial: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) of what the field mappings put on a new record, empty values left out."""
    editable = set(record_editable_fields(model=model))
    shown = []
    # In the mappings' order: names first, then the address, as the admin lists them.
    for name, value in initial.items():
        if name not in editable or value in (None, "", False):
            continue
        shown.append((str(model._meta.get_field(name).verbose_name), _display(model, name, value)))
    return shown


def carried_fields(data: QueryDict) -> list[tuple[str, str]]:
    """Everything a screen posted, as hidden inputs for the duplicate dialog's re-post."""
    return [
        (key, value) for key, values in data.lists() if key not in NOT_CARRIED for value in values
    ]


class RecordSearchForm(forms.Form):
    """Search as you type under "Use existing": `<type>-q`, and the record already picked."""

    q = forms.CharField(required=False, max_length=SEARCH_MAX_LENGTH, strip=True)
    existing = forms.IntegerField(required=False, min_value=1)

    def __init__(self, data: QueryDict | None = None, *, record_type: str) -> None:
        super().__init__(data, prefix=record_type)
        self.record_type = record_type
        self.model = RECORD_MODELS[record_type]

    @property
    def query(self) -> str:
        raw = self.data.get(self.add_prefix("q"), "") if self.is_bound else ""
        return str(raw).strip()[:SEARCH_MAX_LENGTH]

    @property
    def selected_id(self) -> int | None:
        raw = str(self.data.get(self.add_prefix("existing"), "")) if self.is_bound else ""
        return int(raw) if raw.isdigit() and int(raw) > 0 else None

    @cached_property
    def selected_record(self) -> Account | Contact | None:
        if self.selected_id is None:
            return None
        return self._records().filter(pk=self.selected_id).first()

    def _records(self, query: str = "") -> models.QuerySet:
        if self.record_type == RecordType.ACCOUNT:
            return account_list(query=query)
        return contact_list(query=query)

    @cached_property
    def search_results(self) -> list[Account | Contact]:
        """The picked record first (so it stays ticked), then what the query finds."""
        found: list[Account | Contact] = []
        if self.selected_record is not None:
            found.append(self.selected_record)
        if self.query:
            matches = self._records(self.query)[:SEARCH_RESULTS_SHOWN]
            found += [record for record in matches if record.pk != self.selected_id]
        return found


class RecordChoiceForm(RecordSearchForm):
    """One manual Account or Contact in the side pane: Create new, Use existing or Skip."""

    use_required_attribute = False
    choice = forms.ChoiceField(widget=forms.RadioSelect, error_messages={"required": CHOOSE_ONE})
    create_anyway = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, data: QueryDict | None = None, *, record_plan: RecordPlan) -> None:
        record_type = record_plan.record_type.value
        super().__init__(data, record_type=record_type)
        self.record_plan = record_plan
        self.label = record_plan.record_type.label.lower()
        choices = [c for c in Choice if c != Choice.CREATE or record_plan.can_create]
        self.fields["choice"].choices = [(c.value, c.label) for c in choices]
        self.fields["choice"].initial = (
            Choice.CREATE if record_plan.can_create else Choice.SKIP
        ).value
        self.create_field_names = self._create_field_names()
        for name in self.create_field_names:
            form_field = _form_field(self.model, name)
            # Required only when "Create new" is chosen (checked in clean()).
            form_field.shows_required = name == CREATE_REQUIRED[record_type]
            form_field.required = False
            form_field.initial = record_plan.initial.get(name)
            self.fields[name] = form_field

    def _create_field_names(self) -> list[str]:
        editable = record_editable_fields(model=self.model)
        names = [name for name in CREATE_FIELDS[self.record_type] if name in editable]
        return names + [
            name for name in self.record_plan.initial if name in editable and name not in names
        ]

    @property
    def can_create(self) -> bool:
        return self.record_plan.can_create

    @property
    def create_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.create_field_names]

    @property
    def current_choice(self) -> str:
        if self.is_bound:
            return str(self.data.get(self.add_prefix("choice"), ""))
        return str(self.fields["choice"].initial)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        choice = cleaned.get("choice")
        if choice == Choice.EXISTING:
            if cleaned.get("existing") is None:
                self.add_error("existing", PICK_EXISTING.format(record=self.label))
            elif self.selected_record is None:
                self.add_error("existing", EXISTING_GONE.format(record=self.label))
        elif choice == Choice.CREATE:
            required = CREATE_REQUIRED[self.record_type]
            if not cleaned.get(required):
                self.add_error(required, REQUIRED)
        return cleaned

    def decision(self) -> RecordDecision:
        choice = Choice(self.cleaned_data["choice"])
        if choice == Choice.EXISTING:
            return RecordDecision(choice=choice, existing_id=self.cleaned_data["existing"])
        if choice == Choice.CREATE:
            return RecordDecision(
                choice=choice,
                values={name: self.cleaned_data[name] for name in self.create_field_names},
                create_anyway=self.cleaned_data["create_anyway"],
            )
        return RecordDecision(choice=Choice.SKIP)

    def add_engine_errors(self, field_errors: dict[str, list[str]]) -> None:
        for name, messages in field_errors.items():
            target = "existing" if name == "existing_id" else name
            for message in messages:
                self.add_error(target if target in self.fields else None, message)


class DuplicateOverrideForm(forms.Form):
    """The duplicate dialog's answer for a record the screen did not ask about (automatic, or
    a ticked box of the legacy dialog): use this existing record, or create a new one anyway."""

    choice = forms.ChoiceField(required=False, choices=[(Choice.EXISTING.value, "")])
    existing = forms.IntegerField(required=False, min_value=1)
    create_anyway = forms.BooleanField(required=False)

    def __init__(self, data: QueryDict | None = None, *, record_type: str) -> None:
        super().__init__(data, prefix=record_type)
        self.record_type = record_type
        self.model = RECORD_MODELS[record_type]

    def decision(self) -> RecordDecision | None:
        if not self.is_bound or not self.is_valid():
            return None
        if self.cleaned_data["choice"] == Choice.EXISTING and self.cleaned_data["existing"]:
            return RecordDecision(choice=Choice.EXISTING, existing_id=self.cleaned_data["existing"])
        if self.cleaned_data["create_anyway"]:
            return RecordDecision(choice=Choice.CREATE, create_anyway=True)
        return None

    @cached_property
    def existing_record(self) -> Account | Contact | None:
        decision = self.decision()
        if decision is None or decision.existing_id is None:
            return None
        return self.model.objects.filter(pk=decision.existing_id).first()

    def hidden_values(self) -> list[tuple[str, str]]:
        """The answer as hidden inputs, so a re-shown screen keeps it."""
        decision = self.decision()
        if decision is None:
            return []
        if decision.choice == Choice.EXISTING:
            return [
                (self.add_prefix("choice"), Choice.EXISTING.value),
                (self.add_prefix("existing"), str(decision.existing_id)),
            ]
        return [(self.add_prefix("create_anyway"), "1")]


class OpportunityForm(forms.Form):
    """One quick-create form of the side pane; its prefix is `opportunity-<index>`."""

    use_required_attribute = False

    def __init__(
        self,
        data: QueryDict | None = None,
        *,
        index: int,
        plan: QualifyPlan,
        added: bool = False,
    ) -> None:
        initial = {name: plan.opportunity.initial.get(name) for name in plan.quick_create_fields}
        if added:
            # A further opportunity starts from the lead's values but needs its own topic.
            initial["topic"] = ""
        super().__init__(data, prefix=f"opportunity-{index}", initial=initial)
        self.index = index
        for name in plan.quick_create_fields:
            self.fields[name] = _form_field(Opportunity, name)

    @property
    def number(self) -> int:
        return self.index + 1

    def values(self) -> dict[str, Any]:
        return dict(self.cleaned_data)

    def add_engine_errors(self, field_errors: dict[str, list[str]]) -> None:
        for name, messages in field_errors.items():
            for message in messages:
                if name in self.fields or name == "__all__":
                    self.add_error(None if name == "__all__" else name, message)
                else:
                    label = Opportunity._meta.get_field(name).verbose_name
                    self.add_error(None, f"{label}: {message}")


def opportunity_indexes(data: QueryDict) -> list[int]:
    """The indexes of the opportunity forms on the screen, in screen order, each once."""
    indexes: list[int] = []
    for raw in data.getlist("opportunity-index"):
        if raw.isdigit() and int(raw) <= MAX_OPPORTUNITY_INDEX and int(raw) not in indexes:
            indexes.append(int(raw))
    return indexes


@dataclass
class OpportunityAdder:
    """The "+ New Opportunity" button: the next form's index, and whether the limit is hit."""

    count: int
    max: int
    next_index: int

    @property
    def full(self) -> bool:
        return self.count >= self.max or self.next_index > MAX_OPPORTUNITY_INDEX

    @property
    def message(self) -> str:
        if self.max == 1:
            return ONE_OPPORTUNITY if self.full else ""
        if self.full:
            return OPPORTUNITY_LIMIT.format(max=self.max)
        return f"{self.count} of {self.max}"


def opportunity_adder(indexes: list[int], plan: QualifyPlan) -> OpportunityAdder:
    return OpportunityAdder(
        count=len(indexes),
        max=plan.max_opportunities,
        next_index=max(indexes, default=-1) + 1,
    )


class OpportunityChangeForm(forms.Form):
    """Adds a quick-create form (`index`) or removes one (`remove`) without posting the pane."""

    index = forms.IntegerField(required=False, min_value=0, max_value=MAX_OPPORTUNITY_INDEX)
    remove = forms.IntegerField(required=False, min_value=0, max_value=MAX_OPPORTUNITY_INDEX)

    def __init__(self, data: QueryDict, *, plan: QualifyPlan) -> None:
        super().__init__(data)
        self.plan = plan
        self.indexes = opportunity_indexes(data)
        self.new_form: OpportunityForm | None = None

    def apply(self) -> OpportunityAdder:
        """Remove the named form, or add one while the plan's maximum allows (else none)."""
        self.is_valid()
        remove = self.cleaned_data.get("remove")
        if remove is not None:
            self.indexes = [index for index in self.indexes if index != remove]
        elif not opportunity_adder(self.indexes, self.plan).full:
            # The button's index, unless another form already took it.
            index = max(self.cleaned_data.get("index") or 0, max(self.indexes, default=-1) + 1)
            self.new_form = OpportunityForm(index=index, plan=self.plan, added=True)
            self.indexes.append(index)
        return opportunity_adder(self.indexes, self.plan)


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
    """Everything one Qualify screen posts, for one plan.

    `kind` is the screen: "pane" (new experience, something manual), "legacy" (the dialog with
    three checkboxes) or "automatic" (nothing to ask: the "Processing" dialog).
    """

    def __init__(self, *, plan: QualifyPlan, data: QueryDict | None = None) -> None:
        self.plan = plan
        if plan.is_legacy_dialog:
            self.kind = "legacy"
        elif plan.needs_salesperson:
            self.kind = "pane"
        else:
            self.kind = "automatic"
        self.errors: list[str] = []
        self.stale = data is not None and data.get("screen") != self.signature
        if self.stale:
            # Drawn from other settings: show this screen afresh rather than misread the post.
            self.errors.append(SETTINGS_CHANGED)
            data = None
        self.data = data
        self.is_bound = data is not None
        self.action = (data.get("action") or "") if data is not None else ""
        self.legacy = LegacyChoicesForm(data, plan=plan) if self.kind == "legacy" else None
        self.account = self._section(plan.account)
        self.contact = self._section(plan.contact)
        self.opportunity = RecordSection(record_plan=plan.opportunity)
        self.opportunity_forms: list[OpportunityForm] = []
        self.rerender = False
        if self.manual_opportunities:
            self._opportunity_forms_build()
        if data is not None and data.get("search"):
            # Without JavaScript the pane's Search buttons post it back to list the matches.
            self.rerender = True

    @property
    def signature(self) -> str:
        plan = self.plan
        return ":".join(
            [
                self.kind,
                plan.account.mode,
                plan.contact.mode,
                plan.opportunity.mode,
                str(plan.max_opportunities),
                "company" if plan.account.can_create else "no-company",
            ]
        )

    @property
    def manual_opportunities(self) -> bool:
        return self.kind == "pane" and self.plan.opportunity.mode == PlanMode.SALESPERSON

    def _section(self, record_plan: RecordPlan) -> RecordSection:
        record_type = record_plan.record_type.value
        if self.kind == "pane" and record_plan.mode == PlanMode.SALESPERSON:
            return RecordSection(
                record_plan=record_plan, form=RecordChoiceForm(self.data, record_plan=record_plan)
            )
        override = None
        if record_plan.mode in (PlanMode.AUTOMATIC, PlanMode.SALESPERSON):
            override = DuplicateOverrideForm(self.data, record_type=record_type)
        return RecordSection(record_plan=record_plan, override=override)

    def _opportunity_forms_build(self) -> None:
        plan = self.plan
        if self.data is None or "opportunities-shown" not in self.data:
            self.opportunity_forms = [OpportunityForm(index=0, plan=plan)]
            return
        indexes = opportunity_indexes(self.data)
        remove = str(self.data.get("remove_opportunity", ""))
        if remove.isdigit():
            self.rerender = True
            indexes = [index for index in indexes if index != int(remove)]
        self.opportunity_forms = [
            OpportunityForm(self.data, index=index, plan=plan) for index in indexes
        ]
        if self.data.get("add_opportunity"):
            self.rerender = True
            adder = opportunity_adder(indexes, plan)
            if adder.full:
                self.errors.append(OPPORTUNITY_LIMIT.format(max=plan.max_opportunities))
            else:
                self.opportunity_forms.append(
                    OpportunityForm(index=adder.next_index, plan=plan, added=True)
                )
        elif len(self.opportunity_forms) > plan.max_opportunities:
            self.errors.append(TOO_MANY_OPPORTUNITIES.format(max=plan.max_opportunities))

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
            for form in [
                self.legacy,
                self.account.form,
                self.contact.form,
                *self.opportunity_forms,
            ]
            if form is not None
        ]
        if not all(forms_valid) and CORRECT_THE_ERRORS not in self.errors:
            # Said at the top too: in a long pane the field in error may be out of sight.
            self.errors.insert(0, CORRECT_THE_ERRORS)
        return all(forms_valid) and not self.errors

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
        )

    def add_engine_errors(self, errors: dict[str, dict[str, list[str]]]) -> None:
        """Put the engine's errors next to the fields they belong to, else on the screen."""
        for key, field_errors in errors.items():
            target = self._error_target(key)
            if target is not None:
                target.add_engine_errors(field_errors)
                if CORRECT_THE_ERRORS not in self.errors:
                    self.errors.insert(0, CORRECT_THE_ERRORS)
                continue
            for name, messages in field_errors.items():
                self.errors += [self._screen_message(key, name, message) for message in messages]

    def _error_target(self, key: str) -> RecordChoiceForm | OpportunityForm | None:
        record, _, position = key.partition("-")
        if record == RecordType.ACCOUNT:
            return self.account.form
        if record == RecordType.CONTACT:
            return self.contact.form
        if record == RecordType.OPPORTUNITY and position.isdigit():
            if int(position) < len(self.opportunity_forms):
                return self.opportunity_forms[int(position)]
        return None

    @staticmethod
    def _screen_message(key: str, name: str, message: str) -> str:
        """ "Opportunity: Topic: This field is required." for a record the screen only lists."""
        record, _, position = key.partition("-")
        model = TARGET_MODELS.get(record)
        if model is None:
            return message
        label = record.capitalize() + (f" {int(position) + 1}" if position.isdigit() else "")
        if name in ("__all__", "existing_id"):
            return f"{label}: {message}"
        try:
            field_label = model._meta.get_field(name).verbose_name
        except FieldDoesNotExist:
            field_label = name
        return f"{label}: {field_label}: {message}"


class DuplicateChoiceForm(forms.Form):
    """The duplicate dialog: use the selected records, create new ones anyway, or go back."""

    duplicate_action = forms.ChoiceField(
        choices=[("use", "Use selected"), ("create", "Create new anyway"), ("back", "Back")]
    )
    duplicate_types = forms.CharField(required=False)
    duplicate_account = forms.IntegerField(required=False, min_value=1)
    duplicate_contact = forms.IntegerField(required=False, min_value=1)

    @property
    def types(self) -> list[str]:
        raw = str(self.data.get("duplicate_types", ""))
        return [name for name in raw.split(",") if name in RECORD_MODELS]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("duplicate_action") == "use" and any(
            cleaned.get(f"duplicate_{record_type}") is None for record_type in self.types
        ):
            raise forms.ValidationError(PICK_DUPLICATE)
        return cleaned

    @property
    def going_back(self) -> bool:
        return self.is_valid() and self.cleaned_data["duplicate_action"] == "back"

    def resolved(self) -> QueryDict:
        """The screen's original post with this answer written into it."""
        data = self.data.copy()
        for key in DIALOG_KEYS:
            data.pop(key, None)
        action = self.cleaned_data["duplicate_action"]
        for record_type in self.types:
            if action == "use":
                data[f"{record_type}-choice"] = Choice.EXISTING.value
                data[f"{record_type}-existing"] = str(self.cleaned_data[f"duplicate_{record_type}"])
                data.pop(f"{record_type}-create_anyway", None)
            elif action == "create":
                data[f"{record_type}-create_anyway"] = "1"
        return data
