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
    LinkedPolicy,
    RecordType,
)
from qualification.services import (
    TARGET_MODELS,
    FieldMappingError,
    field_mapping_delete,
    field_mapping_policy_check,
    field_mapping_policy_set,
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


def _policy_error(form: forms.ModelForm, *, target: str) -> None:
    """The service's word on the posted policy, next to the policy field."""
    policy = form.cleaned_data.get("linked_policy")
    if not policy:
        return
    try:
        field_mapping_policy_check(target=target, linked_policy=policy)
    except FieldMappingError as error:
        form.add_error("linked_policy", error.message)


class FieldMappingForm(forms.ModelForm):
    source_field = forms.ChoiceField(label="Lead field", choices=_source_choices)
    target_field = forms.ChoiceField(
        label="Target field",
        choices=_target_choices,
        help_text="A field of the record type above. Each target field has one source.",
    )

    class Meta:
        model = FieldMapping
        fields = ["target", "source_field", "target_field", "linked_policy"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "linked_policy" in self.fields:
            # Left out (an older form, a script): the default.
            self.fields["linked_policy"].required = False
        # Show only the chosen record type's fields (static/js/admin-field-mapping.js does the
        # same as the record type changes; a new mapping lists them all, grouped). The field
        # still accepts any, so that the service says why a field does not fit the type.
        if "target_field" not in self.fields:
            return  # a default mapping: shown read-only
        target = self["target"].value() if "target" in self.fields else self.instance.target
        if target in RecordType.values:
            self.fields["target_field"].widget.choices = _target_fields(RecordType(target))

    def clean_linked_policy(self) -> str:
        return self.cleaned_data.get("linked_policy") or LinkedPolicy.FILL_EMPTY

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if "target" not in self.fields:  # a default mapping: only its policy is posted
            _policy_error(self, target=self.instance.target)
            return cleaned
        if all(cleaned.get(name) for name in ("target", "source_field", "target_field")):
            try:
                field_mapping_validate(
                    target=cleaned["target"],
                    source_field=cleaned["source_field"],
                    target_field=cleaned["target_field"],
                    mapping_id=self.instance.pk,
                    linked_policy=cleaned.get("linked_policy") or LinkedPolicy.FILL_EMPTY,
                )
            except FieldMappingError as error:
                self.add_error(error.field if error.field in self.fields else None, error.message)
        return cleaned


class LinkedPolicyListForm(forms.ModelForm):
    """The list's policy column, editable for every account and contact mapping (the default
    ones too: their fields are fixed, not what they do to linked records)."""

    class Meta:
        model = FieldMapping
        fields = ["linked_policy"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.target == RecordType.OPPORTUNITY:
            # Opportunities are always created new: nothing to choose.
            self.fields["linked_policy"].disabled = True

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not self.fields["linked_policy"].disabled:
            _policy_error(self, target=self.instance.target)
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

    list_display = ("target", "source_label", "target_label", "is_default", "linked_policy")
    list_display_links = ("target", "source_label")
    list_editable = ("linked_policy",)
    list_filter = ("target", "is_default", "linked_policy")
    ordering = ("target", "id")

    @admin.display(description="Lead field", ordering="source_field")
    def source_label(self, obj: FieldMapping) -> str:
        return f"{_field_label(Lead, obj.source_field)} ({obj.source_field})"

    @admin.display(description="Target field", ordering="target_field")
    def target_label(self, obj: FieldMapping) -> str:
        model = TARGET_MODELS.get(obj.target)
        label = _field_label(model, obj.target_field) if model else obj.target_field
        return f"{label} ({obj.target_field})"

    def get_readonly_fields(
        self, request: HttpRequest, obj: FieldMapping | None = None
    ) -> tuple[str, ...]:
        # A default mapping's fields are fixed; only its policy for linked records changes.
        if obj is not None and obj.is_default:
            return ("target", "source_field", "target_field")
        return ()

    def has_delete_permission(self, request: HttpRequest, obj: FieldMapping | None = None) -> bool:
        if obj is not None and obj.is_default:
            return False
        return super().has_delete_permission(request, obj)

    def get_changelist_form(self, request: HttpRequest, **kwargs: Any) -> type[forms.ModelForm]:
        return LinkedPolicyListForm

    def save_model(
        self, request: HttpRequest, obj: FieldMapping, form: forms.ModelForm, change: bool
    ) -> None:
        if isinstance(form, LinkedPolicyListForm) or obj.is_default:
            field_mapping_policy_set(mapping=obj, linked_policy=obj.linked_policy)
        else:
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
