"""The one qualification settings record: the experience, the modes, the quick-create fields,
the summary and duplicate detection; invalid combinations are refused with a message."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html

from qualification.models import (
    MAX_OPPORTUNITIES,
    QualificationSettings,
)
from qualification.services import (
    SETTINGS_PARTS_APPLY_WHEN,
    QualificationSettingsError,
    qualification_settings_part_applies,
    qualification_settings_update,
    qualification_settings_validate,
    quick_create_field_choices,
)

QUICK_CREATE_FIELD = "opportunity_quick_create_fields"


class OrderedCheckboxSelectMultiple(forms.CheckboxSelectMultiple):
    """Tick the choices to use and put them in order: the ticked boxes are posted in the order
    they stand in the list (what the field keeps), Move up / Move down reorder the list
    (static/js/admin-settings.js). Without JavaScript the list keeps its order."""

    template_name = "widgets/ordered_checkboxes.html"


class QuickCreateFieldsField(forms.MultipleChoiceField):
    widget = OrderedCheckboxSelectMultiple

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            choices=[
                (name, label) for name, label in quick_create_field_choices() if name != "topic"
            ],
            required=False,
            label="Fields after Topic",
            help_text=(
                "Tick the fields each opportunity form shows, in the order of the list; "
                "Move up and Move down change the order. Topic is always the first field."
            ),
            **kwargs,
        )

    def order_choices(self, chosen: list[str]) -> None:
        """List the chosen fields first, in their order, then the others."""
        by_name = dict(self.choices)
        first = [name for name in dict.fromkeys(chosen) if name in by_name]
        self.choices = [(name, by_name[name]) for name in first] + [
            (name, label) for name, label in by_name.items() if name not in first
        ]


class QualificationSettingsForm(forms.ModelForm):
    opportunity_quick_create_fields = QuickCreateFieldsField()

    class Meta:
        model = QualificationSettings
        fields = [
            "experience",
            "legacy_create_automatically",
            "account_mode",
            "contact_mode",
            "opportunity_mode",
            "allow_multiple_opportunities",
            QUICK_CREATE_FIELD,
            "summarize_after_qualify",
            "detect_duplicates",
            "match_account_by_name",
            "match_account_by_similar_name",
            "match_account_by_domain",
            "match_account_by_phone",
            "match_contact_by_email",
            "match_contact_by_phone",
            "match_contact_by_name",
            "match_contact_by_reversed_name",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        chosen = (
            self.data.getlist(QUICK_CREATE_FIELD)
            if self.is_bound
            else list(self.instance.opportunity_quick_create_fields or [])
        )
        self.fields[QUICK_CREATE_FIELD].order_choices(chosen)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        candidate = QualificationSettings(pk=self.instance.pk)
        for model_field in QualificationSettings._meta.concrete_fields:
            if model_field.name in cleaned:
                setattr(candidate, model_field.name, cleaned[model_field.name])
        try:
            qualification_settings_validate(qualification_settings=candidate)
        except QualificationSettingsError as error:
            for name, field_messages in error.errors.items():
                for message in field_messages:
                    self.add_error(name if name in self.fields else None, message)
        else:
            # Topic first, as the service put it.
            cleaned[QUICK_CREATE_FIELD] = candidate.opportunity_quick_create_fields
        return cleaned


# The settings page's folding parts: fieldset title -> (part, the note shown beside the title).
FOLDING_PARTS = {
    "Legacy experience": ("legacy", "· applies when Experience is Legacy"),
    "New experience": ("new", "· applies when Experience is New"),
    "Opportunity quick-create form": (
        "quick_create",
        "· applies when Experience is New and Opportunity is Salesperson",
    ),
}


def _folding(
    title: str, options: dict[str, Any], shown: QualificationSettings
) -> tuple[Any, dict[str, Any]]:
    """A fieldset that folds when its part does not apply; the page's script reads the
    `when-<field>-<value>` classes to fold it again as the choices change."""
    if title not in FOLDING_PARTS:
        return title, options
    part, note = FOLDING_PARTS[title]
    rules = SETTINGS_PARTS_APPLY_WHEN[part].items()
    applies = qualification_settings_part_applies(qualification_settings=shown, part=part)
    classes = [
        "collapse",
        "fold",
        *(f"when-{name}-{value}" for name, value in rules),
        *(["fold-open"] if applies else []),
    ]
    heading = format_html('{} <span class="fold-note">{}</span>', title, note)
    return heading, {**options, "classes": classes}


@admin.register(QualificationSettings)
class QualificationSettingsAdmin(admin.ModelAdmin):
    """One settings record: no add, no delete, and the list opens the record."""

    form = QualificationSettingsForm
    save_on_top = False
    # The folding fieldsets (details that open when their part applies) and the script that
    # folds them as Experience and Opportunity change, and orders the quick-create fields.
    change_form_template = "admin/qualification/qualificationsettings/change_form.html"
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
                    "Opportunity = Salesperson."
                ),
            },
        ),
        (
            "Opportunity quick-create form",
            {
                "fields": [QUICK_CREATE_FIELD],
                "description": (
                    "The fields of each opportunity form in the side pane (New experience, "
                    "Opportunity = Salesperson), in this order."
                ),
            },
        ),
        (
            "Duplicate detection",
            {
                "fields": [
                    "detect_duplicates",
                    "match_account_by_name",
                    "match_account_by_similar_name",
                    "match_account_by_domain",
                    "match_account_by_phone",
                    "match_contact_by_email",
                    "match_contact_by_phone",
                    "match_contact_by_name",
                    "match_contact_by_reversed_name",
                ],
                "description": (
                    "Before a new account or contact is created (automatic or not), existing "
                    "records that match one of the ticked rules are shown so the salesperson "
                    "can use one of them, each with the rules it matched by (“same phone”, "
                    "“similar name 0.93 + same domain”). Detection on needs at least one rule."
                ),
            },
        ),
        ("Record", {"fields": ["updated_at"]}),
    ]

    class Media:
        css = {"all": ["css/admin-settings.css"]}
        js = ["js/admin-settings.js"]

    def get_fieldsets(
        self, request: HttpRequest, obj: QualificationSettings | None = None
    ) -> list[tuple[Any, dict[str, Any]]]:
        """Fold away what does not apply to the chosen experience (the posted one when the
        form comes back with errors), each folded part with a note saying when it applies."""
        shown = QualificationSettings(
            experience=request.POST.get("experience") or getattr(obj, "experience", ""),
            opportunity_mode=(
                request.POST.get("opportunity_mode") or getattr(obj, "opportunity_mode", "")
            ),
        )
        return [
            _folding(title, options, shown)
            for title, options in super().get_fieldsets(request, obj)
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
