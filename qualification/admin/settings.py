"""The one qualification settings record: the experience, the modes, the quick-create fields,
the summary and duplicate detection; invalid combinations are refused with a message."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from qualification.models import (
    MAX_OPPORTUNITIES,
    QualificationSettings,
)
from qualification.services import (
    QualificationSettingsError,
    qualification_settings_update,
    qualification_settings_validate,
    quick_create_field_choices,
)

# Topic is always the first quick-create field; the admin orders the others in these slots.
QUICK_CREATE_SLOTS = [
    f"quick_create_{position}" for position in range(2, len(quick_create_field_choices()) + 1)
]
QUICK_CREATE_CHOICES = [("", "(none)")] + [
    (name, label) for name, label in quick_create_field_choices() if name != "topic"
]


class QualificationSettingsBaseForm(forms.ModelForm):
    class Meta:
        model = QualificationSettings
        fields = [
            "experience",
            "legacy_create_automatically",
            "account_mode",
            "contact_mode",
            "opportunity_mode",
            "allow_multiple_opportunities",
            "summarize_after_qualify",
            "detect_duplicates",
            "match_account_by_name",
            "match_account_by_domain",
            "match_contact_by_email",
            "match_contact_by_name",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = [
            name for name in self.instance.opportunity_quick_create_fields or [] if name != "topic"
        ]
        for slot, name in zip(QUICK_CREATE_SLOTS, current, strict=False):
            self.initial.setdefault(slot, name)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        candidate = QualificationSettings(pk=self.instance.pk)
        for model_field in QualificationSettings._meta.concrete_fields:
            if model_field.name in cleaned:
                setattr(candidate, model_field.name, cleaned[model_field.name])
        candidate.opportunity_quick_create_fields = [
            cleaned[slot] for slot in QUICK_CREATE_SLOTS if cleaned.get(slot)
        ]
        try:
            qualification_settings_validate(qualification_settings=candidate)
        except QualificationSettingsError as error:
            for name, field_messages in error.errors.items():
                target = (
                    QUICK_CREATE_SLOTS[0] if name == "opportunity_quick_create_fields" else name
                )
                for message in field_messages:
                    self.add_error(target if target in self.fields else None, message)
        else:
            self.instance.opportunity_quick_create_fields = (
                candidate.opportunity_quick_create_fields
            )
        return cleaned


QualificationSettingsForm = type(
    "QualificationSettingsForm",
    (QualificationSettingsBaseForm,),
    {
        slot: forms.ChoiceField(
            label=f"Field {position}",
            choices=QUICK_CREATE_CHOICES,
            required=False,
            help_text="Field 1 is always Topic." if position == 2 else "",
        )
        for position, slot in enumerate(QUICK_CREATE_SLOTS, start=2)
    },
)


@admin.register(QualificationSettings)
class QualificationSettingsAdmin(admin.ModelAdmin):
    """One settings record: no add, no delete, and the list opens the record."""

    form = QualificationSettingsForm
    save_on_top = False
    readonly_fields = ("updated_at",)
    fieldsets = [
        (
            "Experience",
            {
                "fields": ["experience"],
                "description": (
                    "Which Qualify the salespeople get. A change applies to the next lead "
                    "they qualify."
                ),
            },
        ),
        (
            "Legacy experience",
            {
                "fields": ["legacy_create_automatically"],
                "description": (
                    "Applies only when Experience is Legacy; the New experience ignores it."
                ),
            },
        ),
        (
            "New experience",
            {
                "fields": [
                    "account_mode",
                    "contact_mode",
                    "opportunity_mode",
                    "allow_multiple_opportunities",
                    "summarize_after_qualify",
                ],
                "description": (
                    "Applies only when Experience is New. Automatic: created without asking. "
                    "Salesperson: the Qualify lead side pane lets the salesperson create new, "
                    "use existing or skip (any Salesperson type opens the pane). "
                    f"“Let salespeople create up to {MAX_OPPORTUNITIES} opportunities” needs "
                    "Opportunity = Salesperson. The summary needs the New experience."
                ),
            },
        ),
        (
            "Opportunity quick-create form",
            {
                "fields": QUICK_CREATE_SLOTS,
                "description": (
                    "The fields of each opportunity form in the side pane (New experience, "
                    "Opportunity = Salesperson), in this order. Field 1 is always Topic; "
                    "leave a slot at (none) to show fewer fields. Each field once."
                ),
            },
        ),
        (
            "Duplicate detection",
            {
                "fields": [
                    "detect_duplicates",
                    "match_account_by_name",
                    "match_account_by_domain",
                    "match_contact_by_email",
                    "match_contact_by_name",
                ],
                "description": (
                    "Before a new account or contact is created (automatic or not), existing "
                    "records that match one of the ticked rules are shown so the salesperson "
                    "can use one of them. Detection on needs at least one rule."
                ),
            },
        ),
        ("Record", {"fields": ["updated_at"]}),
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        settings_row = QualificationSettings.load()
        return HttpResponseRedirect(
            reverse("admin:qualification_qualificationsettings_change", args=[settings_row.pk])
        )

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> QualificationSettings | None:
        # The row exists even on a fresh database: the list and the change page create it.
        QualificationSettings.load()
        return super().get_object(request, object_id, from_field)

    def save_model(
        self,
        request: HttpRequest,
        obj: QualificationSettings,
        form: forms.ModelForm,
        change: bool,
    ) -> None:
        qualification_settings_update(qualification_settings=obj)
