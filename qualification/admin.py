"""Django admin for what admins control (the settings, the field mappings) and what
qualification leaves behind (the qualification audit records, bulk jobs), read-only.

The rules live in qualification.services; the forms here only call them and place the
messages next to the right field.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from leads.models import Lead
from qualification.models import (
    MAX_OPPORTUNITIES,
    BulkQualifyJob,
    FieldMapping,
    Qualification,
    QualificationOpportunity,
    QualificationSettings,
    RecordType,
)
from qualification.services import (
    TARGET_MODELS,
    FieldMappingError,
    QualificationSettingsError,
    field_mapping_delete,
    field_mapping_save,
    field_mapping_validate,
    field_mappings_delete,
    mapping_source_fields,
    mapping_target_fields,
    qualification_settings_update,
    qualification_settings_validate,
    quick_create_field_choices,
)

# Settings --------------------------------------------------------------------------------

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


# Field mappings --------------------------------------------------------------------------


def _source_choices() -> list[tuple[str, str]]:
    return [
        (model_field.name, f"{model_field.verbose_name} ({model_field.name})")
        for model_field in mapping_source_fields()
    ]


def _target_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    return [
        (
            str(record_type.label),
            [
                (model_field.name, f"{model_field.verbose_name} ({model_field.name})")
                for model_field in mapping_target_fields(target=record_type)
            ],
        )
        for record_type in RecordType
    ]


class FieldMappingForm(forms.ModelForm):
    source_field = forms.ChoiceField(label="Lead field", choices=_source_choices)
    target_field = forms.ChoiceField(
        label="Target field",
        choices=_target_choices,
        help_text="A field of the record type above. Each target field has one source.",
    )

    class Meta:
        model = FieldMapping
        fields = ["target", "source_field", "target_field"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if all(cleaned.get(name) for name in ("target", "source_field", "target_field")):
            try:
                field_mapping_validate(
                    target=cleaned["target"],
                    source_field=cleaned["source_field"],
                    target_field=cleaned["target_field"],
                    mapping_id=self.instance.pk,
                )
            except FieldMappingError as error:
                self.add_error(error.field if error.field in self.fields else None, error.message)
        return cleaned


def _field_label(model: Any, name: str) -> str:
    try:
        return str(model._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:  # a mapping naming a field that no longer exists still lists
        return name


@admin.register(FieldMapping)
class FieldMappingAdmin(admin.ModelAdmin):
    """Lead -> account / contact / opportunity mappings; the defaults are fixed."""

    form = FieldMappingForm
    list_display = ("target", "source_label", "target_label", "is_default")
    list_display_links = ("target", "source_label")
    list_filter = ("target", "is_default")
    ordering = ("target", "id")

    @admin.display(description="Lead field", ordering="source_field")
    def source_label(self, obj: FieldMapping) -> str:
        return f"{_field_label(Lead, obj.source_field)} ({obj.source_field})"

    @admin.display(description="Target field", ordering="target_field")
    def target_label(self, obj: FieldMapping) -> str:
        model = TARGET_MODELS.get(obj.target)
        label = _field_label(model, obj.target_field) if model else obj.target_field
        return f"{label} ({obj.target_field})"

    def has_change_permission(self, request: HttpRequest, obj: FieldMapping | None = None) -> bool:
        if obj is not None and obj.is_default:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: FieldMapping | None = None) -> bool:
        if obj is not None and obj.is_default:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(
        self, request: HttpRequest, obj: FieldMapping, form: forms.ModelForm, change: bool
    ) -> None:
        field_mapping_save(mapping=obj)

    def delete_model(self, request: HttpRequest, obj: FieldMapping) -> None:
        field_mapping_delete(mapping=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[FieldMapping]) -> None:
        # The bulk "delete selected" action: defaults are never deleted, whatever was ticked.
        _, kept = field_mappings_delete(mapping_ids=list(queryset.values_list("pk", flat=True)))
        if kept:
            self.message_user(
                request, "Default field mappings were kept: they cannot be deleted.", messages.INFO
            )


# Audit and jobs (read-only) --------------------------------------------------------------


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class QualificationOpportunityInline(admin.TabularInline):
    model = QualificationOpportunity
    fields = ("position", "opportunity")
    readonly_fields = ("position", "opportunity")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _outcome(record: Any, created: bool) -> str:
    if record is None:
        return "—"
    return f"{record} ({'created' if created else 'linked'})"


@admin.register(Qualification)
class QualificationAdmin(ReadOnlyAdmin):
    """Who qualified which lead when, how, and what was created versus linked."""

    list_display = (
        "lead_label",
        "qualified_by",
        "created_at",
        "experience",
        "bulk",
        "account_outcome",
        "contact_outcome",
        "opportunity_count",
    )
    list_filter = ("experience", "bulk", "account_created", "contact_created")
    list_select_related = ("qualified_by", "account", "contact")
    search_fields = ("lead_label",)
    date_hierarchy = "created_at"
    inlines = [QualificationOpportunityInline]
    fields = (
        "lead",
        "lead_label",
        "qualified_by",
        "created_at",
        "experience",
        "bulk",
        "account",
        "account_created",
        "contact",
        "contact_created",
        "summary",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Qualification]:
        return super().get_queryset(request).annotate(opportunity_total=Count("opportunity_links"))

    @admin.display(description="Account")
    def account_outcome(self, obj: Qualification) -> str:
        return _outcome(obj.account, obj.account_created)

    @admin.display(description="Contact")
    def contact_outcome(self, obj: Qualification) -> str:
        return _outcome(obj.contact, obj.contact_created)

    @admin.display(description="Opportunities created", ordering="opportunity_total")
    def opportunity_count(self, obj: Qualification) -> int:
        return obj.opportunity_total


@admin.register(BulkQualifyJob)
class BulkQualifyJobAdmin(ReadOnlyAdmin):
    list_display = (
        "__str__",
        "created_by",
        "status",
        "total",
        "processed",
        "qualified_count",
        "created_at",
        "finished_at",
    )
    list_filter = ("status",)
    list_select_related = ("created_by",)
    date_hierarchy = "created_at"
    exclude = ("lead_ids",)
