"""Forms for the lead screens: the main lead form, the Qualify stage flyout, the disqualify
dialog, the grid's row selection and Merge leads. They parse and validate; services do the
writing."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from django import forms
from django.urls import reverse_lazy

from crm.lookup import LookupSelect
from crm.models import Account, Contact
from crm.money import MoneyField
from leads import selectors
from leads.columns import LEAD_COLUMNS
from leads.models import DISQUALIFY_REASONS, Lead, LeadStatus
from leads.selectors import LEAD_VIEWS, QUICK_FIND_MAX_LENGTH
from leads.services import LEAD_FORM_FIELDS, QUALIFY_STAGE_FIELDS, MergeOutcome
from leads.services.errors import LEAD_MERGE_OUTCOME_INVALID
from leads.services.merge import LEAD_MERGE_FIELDS

SELECT_LEADS_FIRST = "Select at least one lead first."
SELECTION_NOT_VALID = "The selection is not valid."
FORM_TOKEN_INVALID = "This form was changed on its way: open New Lead again."  # noqa: S105 - a message
# Record ids are positive and fit a signed 64-bit column; anything else names no lead.
LARGEST_ID = 2**63 - 1


class LeadForm(forms.ModelForm):
    """Create and edit a lead. Labels are the model's verbose names (the SPEC's words)."""

    class Meta:
        model = Lead
        fields = list(LEAD_FORM_FIELDS)
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "business_phone": forms.TextInput(attrs={"type": "tel"}),
            "mobile_phone": forms.TextInput(attrs={"type": "tel"}),
        }

    # The groups of the form page, in order: (heading, field names).
    groups = (
        (
            "Contact",
            (
                "topic",
                "first_name",
                "last_name",
                "job_title",
                "business_phone",
                "mobile_phone",
                "email",
            ),
        ),
        (
            "Company",
            (
                "company_name",
                "website",
                "street1",
                "street2",
                "street3",
                "city",
                "state_province",
                "postal_code",
                "country",
                "industry",
            ),
        ),
        ("Details", ("description", "lead_source", "rating", "need")),
    )

    def grouped(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(title, [self[name] for name in names]) for title, names in self.groups]


class LeadCreateForm(LeadForm):
    """The New Lead form, with its one-time token: a fresh one each time the form is shown,
    sent back with the post, so the same form posted twice creates one lead."""

    form_token = forms.UUIDField(required=False, initial=uuid4, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        # A hidden field's error would show nowhere on the page.
        if self.has_error("form_token"):
            self.add_error(None, FORM_TOKEN_INVALID)
        return cleaned


def lookup_detail(record: Account | Contact) -> str:
    """What tells namesakes apart in a lookup: a contact's email (else city) and account, an
    account's city (else email, else website)."""
    if isinstance(record, Contact):
        account = record.account.name if record.account_id else ""
        return " · ".join(part for part in (record.email or record.city, account) if part)
    return record.city or record.email or record.website


def lookup_options(records: list[Account] | list[Contact]) -> list[tuple[Any, str]]:
    """(record, "Name · detail") for a lookup's plain select."""
    options = []
    for record in records:
        detail = lookup_detail(record)
        options.append((record, f"{record} · {detail}" if detail else str(record)))
    return options


class QualifyStageForm(forms.ModelForm):
    """The Qualify stage's steps, edited in the process bar's flyout.

    Existing Account and Existing Contact accept any record id; the page lists only a few
    options at a time (the selected one and the first ones, or what the lookup finds), never
    the whole table.
    """

    existing_account = forms.ModelChoiceField(
        queryset=Account.objects.all(),
        required=False,
        label="Existing Account",
        widget=LookupSelect(lookup_url=reverse_lazy("leads:lead-lookup", args=["account"])),
    )
    existing_contact = forms.ModelChoiceField(
        queryset=Contact.objects.all(),
        required=False,
        label="Existing Contact",
        widget=LookupSelect(lookup_url=reverse_lazy("leads:lead-lookup", args=["contact"])),
    )

    class Meta:
        model = Lead
        fields = list(QUALIFY_STAGE_FIELDS)
        field_classes = {"budget_amount": MoneyField}
        widgets = {"qualification_comments": forms.Textarea(attrs={"rows": 3})}

    def selected_id(self, name: str) -> int | None:
        """The id currently chosen in a lookup field (typed value when bound)."""
        value = self[name].value()
        try:
            return int(value) if value not in (None, "") else None
        except (TypeError, ValueError):
            return None

    def limit_lookups(self) -> None:
        """Give the lookups' plain selects the chosen record and the first few to offer."""
        for name, lookup in (
            ("existing_account", selectors.account_lookup),
            ("existing_contact", selectors.contact_lookup),
        ):
            records = lookup(selected_id=self.selected_id(name))
            self.fields[name].widget.limit_choices(lookup_options(records))


class DisqualifyForm(forms.Form):
    reason = forms.ChoiceField(
        label="Status Reason",
        choices=[(reason, LeadStatus(reason).label) for reason in DISQUALIFY_REASONS],
        initial=DISQUALIFY_REASONS[0],
    )


class IdListField(forms.Field):
    """Repeated record ids (`lead_ids=3&lead_ids=7`), each between 1 and LARGEST_ID."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        if not value:
            return []
        values = value if isinstance(value, list | tuple) else [value]
        try:
            ids = [int(item) for item in values]
        except (TypeError, ValueError):
            raise forms.ValidationError(SELECTION_NOT_VALID) from None
        if any(not 1 <= item <= LARGEST_ID for item in ids):
            raise forms.ValidationError(SELECTION_NOT_VALID)
        return ids


class LeadSelectionForm(forms.Form):
    """The grid's selection: ticked rows, or every lead of the view ("select all N")."""

    lead_ids = IdListField(required=False)
    select_all_matching = forms.BooleanField(required=False)
    view = forms.ChoiceField(choices=LEAD_VIEWS, required=False)
    q = forms.CharField(required=False, max_length=QUICK_FIND_MAX_LENGTH)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not cleaned.get("select_all_matching") and not cleaned.get("lead_ids"):
            raise forms.ValidationError(SELECT_LEADS_FIRST)
        return cleaned

    def refusals(self) -> list[str]:
        """Why the selection was refused, in the user's words. Its fields are hidden inputs
        the grid fills in, so an error on any of them says only that the selection is bad."""
        tampered = any(name in self.errors for name in self.fields)
        refusals = [SELECTION_NOT_VALID] if tampered else []
        return refusals + [str(error) for error in self.non_field_errors()]


LEAD_MERGE_SELECTION_INVALID = (
    "These are not the leads this page compares: open it again and pick again. Nothing was merged."
)
LEAD_MERGE_MASTER_NOT_MERGED = (
    "The master lead must be one of the leads you merge: tick it, or pick another master. "
    "Nothing was merged."
)
LEAD_MERGE_VALUE_INVALID = (
    "The value chosen for {field} is not one of the leads. Nothing was merged."
)


class LeadMergeForm(forms.Form):
    """Merge leads on the comparison page: the leads ticked (`ids`, among the ones the page
    compares), the master (one of them), what becomes of the others, and per field
    (`field-<name>`) the id of the lead whose value the master keeps. Whether the merge may
    run is the merge service's to say."""

    ids = IdListField(required=False)
    master = forms.IntegerField(required=False, min_value=1, max_value=LARGEST_ID)
    outcome = forms.ChoiceField(
        label="The other leads",
        choices=MergeOutcome.choices,
        initial=MergeOutcome.DISQUALIFY,
        widget=forms.RadioSelect,
    )

    def __init__(self, data: Any, *, compared_ids: list[int]) -> None:
        super().__init__(data)
        self.compared_ids = compared_ids
        for name in LEAD_MERGE_FIELDS:
            self.fields[f"field-{name}"] = forms.IntegerField(
                required=False, min_value=1, max_value=LARGEST_ID
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        ids = cleaned.get("ids")
        if "ids" in self.errors or not set(ids or []) <= set(self.compared_ids):
            raise forms.ValidationError(LEAD_MERGE_SELECTION_INVALID)
        if "master" in self.errors or cleaned.get("master") not in (ids or []):
            raise forms.ValidationError(LEAD_MERGE_MASTER_NOT_MERGED)
        return cleaned

    def refusal(self) -> str:
        """The first thing wrong with the input, in the user's words."""
        if self.non_field_errors():
            return str(self.non_field_errors()[0])
        name = next(iter(self.errors))
        if not name.startswith("field-"):
            return LEAD_MERGE_OUTCOME_INVALID
        label = Lead._meta.get_field(name.removeprefix("field-")).verbose_name
        return LEAD_MERGE_VALUE_INVALID.format(field=label)

    def selection(self) -> tuple[int, list[int]]:
        """(the master id, the other ids in the order given)."""
        master = self.cleaned_data["master"]
        return master, [pk for pk in dict.fromkeys(self.cleaned_data["ids"]) if pk != master]

    def field_sources(self) -> dict[str, int]:
        return {
            key.removeprefix("field-"): value
            for key, value in self.cleaned_data.items()
            if key.startswith("field-") and value is not None
        }


class LeadColumnsForm(forms.Form):
    """The grid's Edit columns dialog: tick the columns to show (Name always shows)."""

    columns = forms.MultipleChoiceField(
        choices=[(column.key, column.label) for column in LEAD_COLUMNS],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Columns",
    )
