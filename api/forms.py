"""The API tokens page's form: a name for the new token."""

from __future__ import annotations

from django import forms


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label="Token name",
        max_length=100,
        help_text="What will use it, such as “Website form” or “Import script”.",
    )
