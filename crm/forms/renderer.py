"""Fields render through one template (label, widget, errors), not markup typed per page.

The renderer reads templates through the project's TEMPLATES (so `templates/` can hold the
field template) and Django's widget templates through the `django.forms` app.
"""

from __future__ import annotations

from django import forms
from django.forms.renderers import TemplatesSetting


class FieldRenderer(TemplatesSetting):
    field_template_name = "includes/field.html"


type FieldGroups = tuple[tuple[str, tuple[str, ...]], ...]


def fields_of(groups: FieldGroups) -> list[str]:
    """The field names of a form's groups, in page order (its Meta.fields)."""
    return [name for _title, names in groups for name in names]


class RecordForm(forms.ModelForm):
    """A record form drawn in groups of fields, each field by `includes/field.html`
    (`{{ field.as_field_group }}`)."""

    default_renderer = FieldRenderer
    # (heading, field names) in page order.
    groups: FieldGroups = ()

    def grouped(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(title, [self[name] for name in names]) for title, names in self.groups]
