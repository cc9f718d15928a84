"""The account and contact sections of the Qualify screens: search as you type under "Use
existing", the Create new / Use existing / Skip choice, and the duplicate dialog's answer for a
record the screen did not ask about."""

from __future__ import annotations

from functools import cached_property

from django import forms
from django.db import models
from django.http import QueryDict

from crm.models import Account, Contact
from crm.selectors import account_list, contact_list
from qualification.engine import Choice, FieldProblem, RecordDecision, RecordPlan
from qualification.forms.fields import (
    engine_checked,
    model_form_field,
    posted_index,
    problems_add,
)
from qualification.models import RecordType
from qualification.services import record_editable_fields

# Always offered under "Create new"; the field mappings add theirs (address, industry, ...).
CREATE_FIELDS: dict[str, tuple[str, ...]] = {
    RecordType.ACCOUNT: ("name", "website", "phone", "email"),
    RecordType.CONTACT: ("first_name", "last_name", "job_title", "email", "business_phone"),
}
# Marked required on the screen; the engine is what refuses a record without it.
CREATE_REQUIRED: dict[str, str] = {RecordType.ACCOUNT: "name", RecordType.CONTACT: "last_name"}
RECORD_MODELS: dict[str, type[Account] | type[Contact]] = {
    RecordType.ACCOUNT: Account,
    RecordType.CONTACT: Contact,
}
SEARCH_RESULTS_SHOWN = 10
SEARCH_MAX_LENGTH = 100
LARGEST_ID = 2**63 - 1

CHOOSE_ONE = "Choose Create new, Use existing or Skip."


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
        return str(raw).replace("\x00", "").strip()[:SEARCH_MAX_LENGTH]

    @property
    def selected_id(self) -> int | None:
        if not self.is_bound:
            return None
        picked = posted_index(self.data.get(self.add_prefix("existing")), maximum=LARGEST_ID)
        return picked or None

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
    """One manual Account or Contact in the side pane: Create new, Use existing or Skip.

    It parses the answer; whether the answer can be carried out (a name for a new record, a
    picked record that still exists) is the engine's to say, and `add_engine_problems` puts
    what it says next to the fields.
    """

    use_required_attribute = False
    choice = forms.ChoiceField(widget=forms.RadioSelect, error_messages={"required": CHOOSE_ONE})
    create_anyway = forms.BooleanField(required=False, widget=forms.HiddenInput)
    # Set by the duplicate dialog's "Use selected": the existing record is one of its matches.
    matched = forms.BooleanField(required=False, widget=forms.HiddenInput)

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
            form_field = engine_checked(model_form_field(self.model, name))
            form_field.shows_required = name == CREATE_REQUIRED[record_type]
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
    def create_has_errors(self) -> bool:
        return any(self[name].errors for name in self.create_field_names) or bool(
            self.non_field_errors()
        )

    @property
    def create_title(self) -> str:
        """What the new record will be called, as typed (or as the mappings give it)."""
        names = ("name",) if self.record_type == RecordType.ACCOUNT else ("first_name", "last_name")
        parts = [str(self[name].value() or "").strip() for name in names if name in self.fields]
        return " ".join(part for part in parts if part) or f"(no {self.label} name)"

    @property
    def current_choice(self) -> str:
        if self.is_bound:
            return str(self.data.get(self.add_prefix("choice"), ""))
        return str(self.fields["choice"].initial)

    def decision(self) -> RecordDecision:
        choice = Choice(self.cleaned_data["choice"])
        if choice == Choice.EXISTING:
            return RecordDecision(
                choice=choice,
                existing_id=self.cleaned_data["existing"],
                matched=self.cleaned_data["matched"],
            )
        if choice == Choice.CREATE:
            return RecordDecision(
                choice=choice,
                values={name: self.cleaned_data[name] for name in self.create_field_names},
                create_anyway=self.cleaned_data["create_anyway"],
            )
        return RecordDecision(choice=Choice.SKIP)

    def add_engine_problems(self, problems: list[FieldProblem]) -> None:
        problems_add(self, self.model, problems)


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
            return RecordDecision(
                choice=Choice.EXISTING, existing_id=self.cleaned_data["existing"], matched=True
            )
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
