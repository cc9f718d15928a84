"""Money as people read it: the site's currency and thousands separators ("$12,500.00")."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings

# Currencies written with a symbol before the amount; any other ISO code follows the amount.
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}


def format_money(amount: Decimal | int | float | None, *, currency: str | None = None) -> str:
    """12500 gives '$12,500.00' with CURRENCY=USD, '12,500.00 CHF' with CHF; None gives ''."""
    if amount in (None, ""):
        return ""
    code = (currency or settings.CURRENCY).upper()
    number = f"{Decimal(amount):,.2f}"
    symbol = CURRENCY_SYMBOLS.get(code)
    return f"{symbol}{number}" if symbol else f"{number} {code}"
