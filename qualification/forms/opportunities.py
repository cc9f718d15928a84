"""The side pane's opportunity quick-create forms, and "+ New Opportunity" / Remove."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.http import QueryDict

from crm.models import Opportunity
from qualification.engine import FieldProblem, QualifyPlan
from qualification.forms.fields import (
    engine_checked,
    model_form_field,
    posted_index,
    problems_add,
)

# Opportunity form indexes only name the forms; the cap keeps a crafted post small.
MAX_OPPORTUNITY_INDEX = 99

OPPORTUNITY_LIMIT = "You can create up to {max} opportunities."
ONE_OPPORTUNITY = "You can create one opportunity."


class OpportunityForm(forms.Form):
    """One quick-create form of the side pane; its prefix is `opportunity-<index>`."""

    use_required_attribute = False

    def __init__(
        self,
        data: QueryDict | None = None,
        *,
        index: int,
        plan: QualifyPlan,
        added: bool = False,
        number: int | None = None,
    ) -> None:
        initial = {name: plan.opportunity.initial.get(name) for name in plan.quick_create_fields}
        super().__init__(data, prefix=f"opportunity-{index}", initial=initial)
        self.index = index
        self.added = added
        # The form's place on the screen ("Opportunity 2"), after removals.
        self.number = number if number is not None else index + 1
        for name in plan.quick_create_fields:
            self.fields[name] = engine_checked(model_form_field(Opportunity, name))
        if added:
            # "+ New Opportunity" takes the salesperson to the new form's first field.
            self.fields["topic"].widget.attrs["autofocus"] = True

    def values(self) -> dict[str, Any]:
        return dict(self.cleaned_data)

    def add_engine_problems(self, problems: list[FieldProblem]) -> None:
        problems_add(self, Opportunity, problems)


def opportunity_indexes(values: list[str]) -> list[int]:
    """The indexes of the opportunity forms on the screen, in screen order, each once."""
    indexes: list[int] = []
    for raw in values:
        index = posted_index(raw, maximum=MAX_OPPORTUNITY_INDEX)
        if index is not None and index not in indexes:
            indexes.append(index)
    return indexes


@dataclass
class OpportunityAdder:
    """The "+ New Opportunity" button: the next form's index, and whether the limit is hit."""

    count: int
    max: int
    next_index: int

    @property
    def full(self) -> bool:
        return self.count >= self.max or self.next_index > MAX_OPPORTUNITY_INDEX

    @property
    def message(self) -> str:
        if self.max == 1:
            return ONE_OPPORTUNITY if self.full else ""
        if self.full:
            return OPPORTUNITY_LIMIT.format(max=self.max)
        return f"{self.count} of {self.max}"


def opportunity_adder(indexes: list[int], plan: QualifyPlan) -> OpportunityAdder:
    return OpportunityAdder(
        count=len(indexes),
        max=plan.max_opportunities,
        next_index=max(indexes, default=-1) + 1,
    )


class OpportunityChangeForm(forms.Form):
    """Adds a quick-create form (`index`) or removes one (`remove`) without posting the pane."""

    index = forms.IntegerField(required=False, min_value=0, max_value=MAX_OPPORTUNITY_INDEX)
    remove = forms.IntegerField(required=False, min_value=0, max_value=MAX_OPPORTUNITY_INDEX)

    def __init__(self, data: QueryDict, *, plan: QualifyPlan) -> None:
        super().__init__(data)
        self.plan = plan
        self.indexes = opportunity_indexes(data.getlist("opportunity-index"))
        self.new_form: OpportunityForm | None = None

    def apply(self) -> OpportunityAdder:
        """Remove the named form, or add one while the plan's maximum allows (else none)."""
        self.is_valid()
        remove = self.cleaned_data.get("remove")
        if remove is not None:
            self.indexes = [index for index in self.indexes if index != remove]
        elif not opportunity_adder(self.indexes, self.plan).full:
            # The button's index, unless another form already took it.
            index = max(self.cleaned_data.get("index") or 0, max(self.indexes, default=-1) + 1)
            self.new_form = OpportunityForm(
                index=index, plan=self.plan, added=True, number=len(self.indexes) + 1
            )
            self.indexes.append(index)
        return opportunity_adder(self.indexes, self.plan)
