"""Forms for the lead screens: the main lead form, the Qualify stage flyout, the disqualify
dialog and the grid's row selection. They parse and validate; services do the writing."""

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
from leads.services import LEAD_FORM_FIELDS, QUALIFY_STAGE_FIELDS

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


class LeadColumnsForm(forms.Form):
    """The grid's Edit columns dialog: tick the columns to show (Name always shows)."""

    columns = forms.MultipleChoiceField(
        choices=[(column.key, column.label) for column in LEAD_COLUMNS],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Columns",
    )
