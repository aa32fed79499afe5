"""Template filters that format clinical numbers (templates only display)."""

from __future__ import annotations

from decimal import Decimal

from django import template

from challenges.units import format_decimal, format_quantity

register = template.Library()


@register.filter
def qty(value: Decimal | int | None, unit: str = "") -> str:
    """{{ dose.protein_mg|qty:"mg" }} renders "0.5 mg"; empty values render as an em dash."""
    if value is None or value == "":
        return "—"
    return format_quantity(Decimal(value), unit) if unit else format_decimal(Decimal(value))
