"""The Insights page's period and owner picker (a GET form: bad input shows its error and
draws nothing)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms

from qualification.insights.periods import (
    DEFAULT_PERIOD,
    MAX_CUSTOM_DAYS,
    DayRange,
    Period,
    period_days,
)

CUSTOM_DAYS_MISSING = "Pick the first and the last day of the custom period."
CUSTOM_DAYS_REVERSED = "The last day must be on or after the first day."
CUSTOM_DAYS_TOO_MANY = f"Pick at most {MAX_CUSTOM_DAYS} days."
EVERYONE = "Everyone"


class InsightsForm(forms.Form):
    label_suffix = ""

    period = forms.ChoiceField(label="Period", choices=Period.choices, required=False)
    start = forms.DateField(
        label="From",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = forms.DateField(
        label="To",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    owner = forms.TypedChoiceField(label="Owner", coerce=int, required=False, empty_value=None)

    def __init__(self, data: Any, *, today: date, owners: list[tuple[int, str]] | None) -> None:
        """`owners`: the choices of a user who may pick one (a manager); None for a
        salesperson, whose own leads the page shows (the scope refuses anyone else's)."""
        # No period asked for (the page as first opened): the default one, shown as picked.
        data = dict(data.items())
        data["period"] = data.get("period") or DEFAULT_PERIOD
        if data["period"] != Period.CUSTOM:
            # A preset ignores whatever the date fields held (they show its days instead).
            data.pop("start", None)
            data.pop("end", None)
        super().__init__(data)
        self.today = today
        self.owners = owners
        if owners is None:
            self.fields["owner"] = forms.IntegerField(label="Owner", required=False, min_value=1)
        else:
            self.fields["owner"].choices = [("", EVERYONE), *owners]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        period = cleaned.get("period")
        if period is None:
            return cleaned
        if period != Period.CUSTOM:
            days = period_days(period, today=self.today)
            # The date fields show the preset's days: switching to Custom dates starts there.
            self.data.update(start=days.start.isoformat(), end=days.end.isoformat())
        else:
            start, end = cleaned.get("start"), cleaned.get("end")
            if self.has_error("start") or self.has_error("end"):
                return cleaned
            if start is None or end is None:
                raise forms.ValidationError(CUSTOM_DAYS_MISSING)
            days = DayRange(start, end)
            if end < start:
                self.add_error("end", CUSTOM_DAYS_REVERSED)
                return cleaned
            if days.days > MAX_CUSTOM_DAYS:
                self.add_error("end", CUSTOM_DAYS_TOO_MANY)
                return cleaned
        cleaned["days"] = days
        return cleaned

    def problems(self) -> list[str]:
        """Every error, each with the label of its field: "To: The last day must be ..."."""
        return [
            f"{self.fields[name].label}: {error}" if name in self.fields else error
            for name, errors in self.errors.items()
            for error in errors
        ]

    def owner_label(self) -> str:
        """Whose leads the figures count, for the page's subheading."""
        owner = self.cleaned_data.get("owner")
        if self.owners is None:
            return "Your leads"
        if owner is None:
            return f"{EVERYONE}'s leads"
        return f"{dict(self.owners)[owner]}'s leads"
