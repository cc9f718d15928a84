"""Money as people read and type it: the site's currency and thousands separators
("$12,500.00"), and a form field that accepts "12,500" as well as "12500"."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings

# Currencies written with a symbol before the amount; any other ISO code follows the amount.
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}
MONEY_GROUPING_INVALID = (
    "Enter an amount such as 12500 or 12,500.50: commas only between groups of three digits."
)
# Digits grouped by commas in threes ("12,500", "1,000,000.50"); a comma elsewhere ("12,50")
# may be a decimal comma, so it is refused rather than guessed.
_GROUPED = re.compile(r"-?\d{1,3}(,\d{3})+(\.\d*)?")


def currency_code(currency: str | None = None) -> str:
    return (currency or settings.CURRENCY).upper()


def currency_symbol(currency: str | None = None) -> str | None:
    """The symbol written before amounts of this currency, or None (the code follows them)."""
    return CURRENCY_SYMBOLS.get(currency_code(currency))


def format_money(amount: Decimal | int | float | None, *, currency: str | None = None) -> str:
    """12500 gives '$12,500.00' with CURRENCY=USD, '12,500.00 CHF' with CHF; None gives ''."""
    if amount in (None, ""):
        return ""
    code = currency_code(currency)
    number = f"{Decimal(amount):,.2f}"
    symbol = currency_symbol(code)
    return f"{symbol}{number}" if symbol else f"{number} {code}"


def parse_money(text: str, *, currency: str | None = None) -> str:
    """The amount typed, without the currency and the thousands separators: "$12,500.50" and
    "12,500.50 USD" give "12500.50". Raises ValueError for commas that are not thousands
    separators. The caller turns the rest into a Decimal (and says so if it is not a number)."""
    code = currency_code(currency)
    value = text.strip()
    for mark in (currency_symbol(code), code):
        if mark and value.upper().startswith(mark):
            value = value[len(mark) :]
        if mark and value.upper().endswith(mark):
            value = value[: -len(mark)]
    value = value.replace(" ", "").replace("\u00a0", "")
    if "," in value:
        if not _GROUPED.fullmatch(value):
            raise ValueError(MONEY_GROUPING_INVALID)
        value = value.replace(",", "")
    return value


class MoneyInput(forms.TextInput):
    """A text input (a number input refuses "12,500") with the currency as a prefix or suffix
    label; it shows a stored amount with thousands separators."""

    input_type = "text"
    template_name = "widgets/money.html"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__({"inputmode": "decimal", "autocomplete": "off", **(attrs or {})})

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
            return f"{Decimal(value):,.2f}"
        return super().format_value(value)

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        widget = context["widget"]
        currency_id = f"{widget['attrs'].get('id') or name}_currency"
        described = widget["attrs"].get("aria-describedby", "")
        widget["attrs"]["aria-describedby"] = f"{described} {currency_id}".strip()
        symbol = currency_symbol()
        widget["currency"] = {
            "id": currency_id,
            "text": symbol or currency_code(),
            "code": currency_code(),
            "prefix": symbol is not None,
        }
        return context


class MoneyField(forms.DecimalField):
    """An amount in the site's currency; "12,500", "12500" and "$12,500.00" are the same."""

    widget = MoneyInput

    def to_python(self, value: Any) -> Decimal | None:
        if isinstance(value, str):
            try:
                value = parse_money(value)
            except ValueError as error:
                raise forms.ValidationError(str(error), code="invalid") from None
        return super().to_python(value)

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        # DecimalField adds a `step` for number inputs only; a text input needs none.
        return forms.Field.widget_attrs(self, widget)
