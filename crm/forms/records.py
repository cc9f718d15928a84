"""The account, contact and opportunity forms (New and Edit). Labels are the models' verbose
names; a missing name says the services' own message; rules beyond a field's own are the
services'."""

from __future__ import annotations

from typing import Any

from django import forms

from crm.forms.renderer import RecordForm, fields_of
from crm.models import Account, Contact, Opportunity
from crm.selectors.records import account_options
from crm.services.errors import (
    ACCOUNT_NAME_REQUIRED,
    CONTACT_LAST_NAME_REQUIRED,
    OPPORTUNITY_TOPIC_REQUIRED,
)
from crm.services.fields import ADDRESS_FIELDS

TEXTAREA = forms.Textarea(attrs={"rows": 4})
PHONE = forms.TextInput(attrs={"type": "tel"})
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


ACCOUNT_GROUPS = (
    ("Account", ("name", "website", "phone", "email", "industry")),
    ("Address", ADDRESS_FIELDS),
    ("Details", ("description",)),
)
CONTACT_GROUPS = (
    (
        "Contact",
        (
            "first_name",
            "last_name",
            "job_title",
            "account",
            "email",
            "business_phone",
            "mobile_phone",
        ),
    ),
    ("Address", ADDRESS_FIELDS),
    ("Details", ("description",)),
)
OPPORTUNITY_GROUPS = (
    ("Opportunity", ("topic", "estimated_revenue", "estimated_close_date")),
    (
        "Qualification",
        ("budget_amount", "purchase_timeframe", "purchase_process", "decision_maker", "need"),
    ),
    ("Details", ("description",)),
)


class AccountForm(RecordForm):
    groups = ACCOUNT_GROUPS

    class Meta:
        model = Account
        fields = fields_of(ACCOUNT_GROUPS)
        widgets = {"description": TEXTAREA, "phone": PHONE}
        error_messages = {"name": {"required": ACCOUNT_NAME_REQUIRED}}


class AccountChoiceField(forms.ModelChoiceField):
    """Account Name: any account's id is accepted, but the picker lists only the selected one
    and what its search box finds (`crm:account-options`), never the whole table."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            queryset=Account.objects.all(),
            required=False,
            label="Account Name",
            template_name="crm/_account_field.html",
            **kwargs,
        )


class ContactForm(RecordForm):
    account = AccountChoiceField()
    groups = CONTACT_GROUPS

    class Meta:
        model = Contact
        fields = fields_of(CONTACT_GROUPS)
        widgets = {"description": TEXTAREA, "business_phone": PHONE, "mobile_phone": PHONE}
        error_messages = {"last_name": {"required": CONTACT_LAST_NAME_REQUIRED}}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        selected = self.selected_account_id()
        self.fields["account"].widget.choices = [
            ("", "---------"),
            *((account.pk, str(account)) for account in account_options(selected_id=selected)),
        ]

    def selected_account_id(self) -> int | None:
        """The Account Name chosen now (the posted value when bound)."""
        value = self["account"].value()
        try:
            return int(value) if value not in (None, "") else None
        except (TypeError, ValueError):
            return None


class OpportunityForm(RecordForm):
    groups = OPPORTUNITY_GROUPS

    class Meta:
        model = Opportunity
        fields = fields_of(OPPORTUNITY_GROUPS)
        widgets = {"description": TEXTAREA, "estimated_close_date": DATE}
        error_messages = {"topic": {"required": OPPORTUNITY_TOPIC_REQUIRED}}
