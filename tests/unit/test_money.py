"""Money as people type it: "12,500" and "12500" are the same amount; the input shows the
currency as a label and a stored amount with thousands separators."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django import forms

from crm.money import MONEY_GROUPING_INVALID, MoneyField, MoneyInput, parse_money


class BudgetForm(forms.Form):
    budget = MoneyField(label="Budget Amount", max_digits=15, decimal_places=2, required=False)


@pytest.mark.parametrize(
    ("typed", "amount"),
    [
        ("12500", Decimal("12500")),
        ("12,500", Decimal("12500")),
        ("12,500.50", Decimal("12500.50")),
        ("1,000,000", Decimal("1000000")),
        ("$12,500.00", Decimal("12500.00")),
        (" 12,500 USD ", Decimal("12500")),
        ("12 500", Decimal("12500")),
        ("0.5", Decimal("0.5")),
        ("", None),
    ],
)
def test_it_reads_an_amount_with_or_without_thousands_separators(typed: str, amount) -> None:
    form = BudgetForm({"budget": typed})

    assert form.is_valid(), form.errors
    assert form.cleaned_data["budget"] == amount


@pytest.mark.parametrize("typed", ["12,50", "1,2,3", "12,5000", ",500", "12,500,0"])
def test_it_refuses_a_comma_that_is_not_a_thousands_separator(typed: str) -> None:
    form = BudgetForm({"budget": typed})

    assert not form.is_valid()
    assert form.errors["budget"] == [MONEY_GROUPING_INVALID]


def test_it_refuses_text_that_is_no_amount() -> None:
    form = BudgetForm({"budget": "a lot"})

    assert not form.is_valid()
    assert form.errors["budget"] == ["Enter a number."]


def test_it_strips_another_currency_code_only_when_it_is_the_sites(settings) -> None:
    settings.CURRENCY = "CHF"

    assert parse_money("12,500 CHF") == "12500"
    assert parse_money("CHF 12,500") == "12500"
    assert not BudgetForm({"budget": "12,500 EUR"}).is_valid()


def test_the_input_shows_the_currency_before_the_amount(settings) -> None:
    settings.CURRENCY = "USD"

    html = str(BudgetForm(initial={"budget": Decimal("25000")})["budget"])

    assert html.startswith(
        '<span class="money-input"><span class="money-affix" id="id_budget_currency" '
        'title="USD">$</span><input type="text"'
    )
    assert 'value="25,000.00"' in html
    assert 'inputmode="decimal"' in html
    assert 'aria-describedby="id_budget_currency"' in html
    assert "step=" not in html


def test_a_currency_without_a_symbol_follows_the_amount(settings) -> None:
    settings.CURRENCY = "CHF"

    html = str(BudgetForm()["budget"])

    assert html.startswith('<span class="money-input money-suffix"><input type="text"')
    assert html.endswith('<span class="money-affix" id="id_budget_currency">CHF</span></span>')


def test_the_input_keeps_what_was_typed_after_an_error() -> None:
    form = BudgetForm({"budget": "12,50"})
    form.is_valid()

    assert 'value="12,50"' in str(form["budget"])


def test_the_widget_is_a_text_input_a_number_input_would_refuse_commas() -> None:
    assert MoneyInput().input_type == "text"
