"""A lookup: one field that picks a record by typing part of its name.

It renders as a plain <select> of a few records (the current choice and the first ones), which
is what a browser without JavaScript uses, and beside it a type-to-search combobox in the
WAI-ARIA pattern (GitHub's <auto-complete> element, vendored in static/vendor/) that
static/js/lookup.js switches on. The combobox asks `lookup_url` for matches (`?q=`), answered
with <li role="option" data-value="ID"> items."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.db import models

EMPTY_LABEL = "---------"


class LookupSelect(forms.Select):
    template_name = "widgets/lookup.html"

    def __init__(self, *, lookup_url: str, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.lookup_url = lookup_url

    def limit_choices(self, options: Iterable[tuple[models.Model, str]]) -> None:
        """Offer only these (record, label) pairs, never the whole table."""
        self.choices = [("", EMPTY_LABEL), *((record.pk, label) for record, label in options)]

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        widget = context["widget"]
        selected = [
            option
            for _group, options, _index in widget["optgroups"]
            for option in options
            if option["selected"] and option["value"] not in ("", None)
        ]
        widget["lookup_url"] = str(self.lookup_url)
        widget["selected_value"] = selected[0]["value"] if selected else ""
        widget["selected_label"] = selected[0]["label"] if selected else ""
        return context
