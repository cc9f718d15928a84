"""`{{ value|money }}`: an amount in the site's currency (a builtin: no `{% load %}` needed)."""

from __future__ import annotations

from typing import Any

from django import template

from crm.money import format_money

register = template.Library()


@register.filter
def money(value: Any) -> str:
    return format_money(value)
