"""How precisely a computed figure is shown. Stored and summed values keep full Decimal precision;
only the text a person reads is rounded (half-up), then formatted by clinical.units (ISMP rules)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from clinical.units import format_quantity


def _step(value: Decimal, steps: tuple[tuple[Decimal, Decimal], ...], smallest: Decimal) -> Decimal:
    for threshold, step in steps:
        if abs(value) >= threshold:
            return step
    return smallest


# Protein: 0.1 mg is finer than any label or scale can deliver above 10 mg; small doses keep more digits.
_MG_STEPS = ((Decimal(10), Decimal("0.1")), (Decimal(1), Decimal("0.01")))
# Food: a 0.01 g kitchen scale and a 0.1 mL syringe (docs/clinical-sources.md §2, allergyguide assumptions); amounts
# below
# 1 g/1 mL keep one more digit so 0.625 g (1/8 tsp, ASCIA) is shown as planned.
_G_STEPS = ((Decimal(1), Decimal("0.01")),)
_ML_STEPS = ((Decimal(1), Decimal("0.1")),)


def rounded_mg(value: Decimal) -> Decimal:
    return Decimal(value).quantize(_step(Decimal(value), _MG_STEPS, Decimal("0.001")), rounding=ROUND_HALF_UP)


def rounded_amount(value: Decimal, unit: str) -> Decimal:
    steps, smallest = (_ML_STEPS, Decimal("0.01")) if unit == "mL" else (_G_STEPS, Decimal("0.001"))
    return Decimal(value).quantize(_step(Decimal(value), steps, smallest), rounding=ROUND_HALF_UP)


def mg_text(value: Decimal | None) -> str:
    """ "4,443 mg", "138.8 mg", "0.052 mg"; an em dash for no value."""
    return "—" if value is None else format_quantity(rounded_mg(value), "mg")


def amount_text(value: Decimal | None, unit: str) -> str:
    """ "13.51 g", "0.625 g", "95.2 mL"; an em dash for no value."""
    return "—" if value is None else format_quantity(rounded_amount(value, unit), unit)
