"""Field mappings lead -> account / contact / opportunity: the defaults fixed, new ones
validated by the service (both fields exist, the types fit, one source per target field)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import FieldDoesNotExist
from django.db.models import QuerySet
from django.http import HttpRequest

from leads.models import Lead
from qualification.models import (
    FieldMapping,
    RecordType,
)
from qualification.services import (
    TARGET_MODELS,
    FieldMappingError,
    field_mapping_delete,
    field_mapping_save,
    field_mapping_validate,
    field_mappings_delete,
    mapping_source_fields,
    mapping_target_fields,
)


def _source_choices() -> list[tuple[str, str]]:
    return [
        (model_field.name, f"{model_field.verbose_name} ({model_field.name})")
        for model_field in mapping_source_fields()
    ]


def _target_fields(record_type: RecordType) -> list[tuple[str, str]]:
    return [
        (model_field.name, f"{model_field.verbose_name} ({model_field.name})")
        for model_field in mapping_target_fields(target=record_type)
    ]


def _target_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Every record type's fields, grouped under the record type's name."""
    return [(str(record_type.label), _target_fields(record_type)) for record_type in RecordType]


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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Show only the chosen record type's fields (static/js/admin-field-mapping.js does the
        # same as the record type changes; a new mapping lists them all, grouped). The field
        # still accepts any, so that the service says why a field does not fit the type.
        if "target_field" not in self.fields:
            return  # a default mapping: shown read-only
        target = self["target"].value() if "target" in self.fields else self.instance.target
        if target in RecordType.values:
            self.fields["target_field"].widget.choices = _target_fields(RecordType(target))

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

    class Media:
        js = ["js/admin-field-mapping.js"]

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
