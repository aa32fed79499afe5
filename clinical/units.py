"""Display and parsing of clinical quantities.

Display follows ISMP's error-prone-abbreviation rules, which the reliability plan (test 14) adopts:
a leading zero (0.5 mg, never .5 mg), no trailing zeros (5 mg, never 5.0 mg), thousands grouped
(4,443 mg), a space between number and unit, and "mcg", never "µg".

Parsing is deliberately strict (reliability plan, test 13 "bad-input corpus"): a typed number is
accepted only in the same plain form we display, minus the grouping commas. Anything a person could
mean two ways ("1,5", "1 000", ".5") is refused with a message that says what to type instead.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, localcontext
from fractions import Fraction

from clinical.errors import DomainError

# Units we show; "µg"/"ug" are written as "mcg" (ISMP).
UNIT_ALIASES = {"µg": "mcg", "μg": "mcg", "ug": "mcg", "ml": "mL", "l": "L"}

# More significant digits than any scale, syringe or protein label gives; longer input is a typo.
MAX_SIGNIFICANT_DIGITS = 12
# Bounds the work done on pasted junk such as "0.000…0001" with thousands of zeros.
MAX_INPUT_LENGTH = 32

_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")
_NOT_FINITE = re.compile(r"[+-]?(?:s?nan[0-9]*|inf|infinity)", re.IGNORECASE)
_HEX = re.compile(r"[+-]?0[xX]")
_EXPONENT = re.compile(r"[+-]?[0-9.]+[eE][+-]?[0-9]+")
_UNIT_SUFFIX = re.compile(r"[+-]?[0-9.,]*[0-9][ \t]*[^\W\d_]+")
_SEPARATORS = frozenset(",_'’ \t\u00a0\u2009\u202f")


class QuantityError(DomainError, ValueError):
    """A quantity that cannot be accepted."""


def format_decimal(value: Decimal | int) -> str:
    """A number as a clinician should read it: 0.5, 5, 4,443, 1,234.56 (no exponent, no trailing zeros)."""
    value = Decimal(value)
    if not value.is_finite():
        raise ValueError(f"Cannot display a non-finite number: {value}")
    if value == 0:
        return "0"
    with localcontext() as context:
        # normalize() rounds to the context precision; widen it so a long number is never altered.
        context.prec = max(context.prec, len(value.as_tuple().digits))
        normalised = value.normalize()
    # The "f" format writes 1E+3 as 1000 without rounding, so huge whole numbers display in full.
    return f"{normalised:,f}"


def format_quantity(value: Decimal | int, unit: str) -> str:
    """A number with its unit: format_quantity(Decimal("0.50"), "mg") == "0.5 mg"."""
    unit = UNIT_ALIASES.get(unit, unit)
    return f"{format_decimal(value)} {unit}"


def parse_decimal(
    text: str,
    *,
    min_value: Decimal | None = None,
    max_value: Decimal | None = None,
    unit: str = "",
) -> Decimal:
    """The Decimal a person typed, exactly as typed ("0.50" stays 0.50); raises QuantityError otherwise."""
    stripped = text.strip()
    _reject_malformed(stripped)
    value = Decimal(stripped)
    if value.is_zero():
        value = value.copy_abs()  # "-0" means 0; keep the typed exponent ("-0.00" -> 0.00)
    _check_range(value, min_value, max_value, unit)
    return value


def _reject_malformed(text: str) -> None:
    """Raise QuantityError unless text is a plain number such as 12, 0.5 or -3.25."""
    if not text:
        raise QuantityError("Enter a number.", code="empty")
    if len(text) > MAX_INPUT_LENGTH:
        raise QuantityError(f"Too long; use at most {MAX_SIGNIFICANT_DIGITS} significant digits.", code="too_long")
    _reject_lookalikes(text)
    _reject_other_notations(text)
    _reject_naked_point(text)
    if not _PLAIN_NUMBER.fullmatch(text):
        raise QuantityError("Not a number; type digits only, such as 12 or 0.5.", code="not_a_number")
    significant = text.lstrip("+-").replace(".", "").lstrip("0")
    if len(significant) > MAX_SIGNIFICANT_DIGITS:
        raise QuantityError(
            f"Too many digits; use at most {MAX_SIGNIFICANT_DIGITS} significant digits.", code="too_long"
        )


def _reject_lookalikes(text: str) -> None:
    """Refuse digits from other scripts and fraction characters, which Decimal would otherwise read."""
    for char in text:
        if char.isdigit() and not char.isascii():
            raise QuantityError("Use the digits 0-9 only.", code="non_ascii_digits")
        if "FRACTION" in unicodedata.name(char, "") or char == "/":
            raise QuantityError("Write fractions as decimals, e.g. 0.5 instead of ½ or 1/2.", code="fraction")


def _reject_other_notations(text: str) -> None:
    """Refuse NaN/Infinity, hexadecimal, exponents, glued units and digit grouping."""
    if _NOT_FINITE.fullmatch(text):
        raise QuantityError("Enter an ordinary number, not NaN or Infinity.", code="not_finite")
    if _HEX.match(text):
        raise QuantityError("Hexadecimal numbers are not accepted; type an ordinary number.", code="hex")
    if _EXPONENT.fullmatch(text):
        raise QuantityError("Write the number in full, without an exponent (1000, not 1e3).", code="exponent")
    if _UNIT_SUFFIX.fullmatch(text):
        raise QuantityError("Type the number only, without a unit.", code="not_a_number")
    if any(char in _SEPARATORS for char in text):
        raise QuantityError(
            "Use a point as the decimal separator and no thousands grouping (1000.5, not 1,000.5 or 1 000,5).",
            code="separator",
        )


def _reject_naked_point(text: str) -> None:
    """Refuse a naked decimal point, ".5" or "5." (ISMP), naming the safe spelling."""
    digits = text.lstrip("+-")
    sign = text[: len(text) - len(digits)]
    if digits.startswith(".") and _PLAIN_NUMBER.fullmatch(f"0{digits}"):
        raise QuantityError(f"Write {sign}0{digits}, not {text}.", code="leading_zero")
    if digits.endswith(".") and _PLAIN_NUMBER.fullmatch(digits[:-1]):
        raise QuantityError(f"Write {text[:-1]} without the trailing point.", code="trailing_point")


def _check_range(value: Decimal, min_value: Decimal | None, max_value: Decimal | None, unit: str) -> None:
    """Raise QuantityError("out_of_range") if value lies outside the inclusive bounds, naming them."""
    if min_value is not None and max_value is not None:
        if not min_value <= value <= max_value:
            bounds = f"{_show(min_value, unit)} and {_show(max_value, unit)}"
            raise QuantityError(f"Must be between {bounds}.", code="out_of_range")
    elif min_value is not None and value < min_value:
        raise QuantityError(f"Must be at least {_show(min_value, unit)}.", code="out_of_range")
    elif max_value is not None and value > max_value:
        raise QuantityError(f"Must be at most {_show(max_value, unit)}.", code="out_of_range")


def _show(value: Decimal, unit: str) -> str:
    """A bound for a message, with its unit when there is one."""
    return format_quantity(value, unit) if unit else format_decimal(value)


# Household measures are split in halves, thirds, quarters, eighths and sixteenths (the ASCIA ladder starts at 1/8 of
# a teaspoon); a larger denominator is a typo, not a spoon.
MAX_HOUSEHOLD_DENOMINATOR = 16
_HOUSEHOLD_FRACTION = re.compile(r"(?:(?P<whole>[0-9]+)[ \t]+)?(?P<num>[0-9]+)/(?P<den>[0-9]+)")


def parse_household_amount(text: str) -> Fraction:
    """How many household measures a person typed: "1/8", "1 1/2", "2" or "0.5"; exact, as a Fraction.

    Only where a household measure (teaspoons, slices, muffins) is typed: fractions are how such amounts are
    written (ASCIA's 1/8 teaspoon). A mixed number's fraction must be below 1 and the denominator at most 16;
    anything else is refused with QuantityError, as parse_decimal refuses a malformed number.
    """
    stripped = text.strip()
    if "/" not in stripped:
        value = parse_decimal(stripped, min_value=Decimal(0))
        if value <= 0:
            raise QuantityError("Enter an amount above 0, such as 1/8 or 1 1/2.", code="out_of_range")
        return Fraction(value)
    match = _HOUSEHOLD_FRACTION.fullmatch(stripped)
    if match is None:
        raise QuantityError(f"“{stripped}” is not a household amount; write it as 1/8, 1/2 or 1 1/2.", code="fraction")
    whole = int(match["whole"] or 0)
    numerator, denominator = int(match["num"]), int(match["den"])
    if denominator == 0 or numerator == 0:
        raise QuantityError("A fraction needs a numerator and a denominator above 0, such as 1/8.", code="fraction")
    if denominator > MAX_HOUSEHOLD_DENOMINATOR:
        raise QuantityError(
            f"Household measures are split at most in {MAX_HOUSEHOLD_DENOMINATOR}ths; 1/{denominator} is not "
            "measurable with a spoon.",
            code="fraction",
        )
    if match["whole"] is not None and numerator >= denominator:
        total = whole + Fraction(numerator, denominator)
        mixed = f"{total.numerator // total.denominator} {total - total.numerator // total.denominator}"
        raise QuantityError(
            f"In {stripped} the fraction is 1 or more; write {mixed.removesuffix(' 0')} instead.", code="fraction"
        )
    return whole + Fraction(numerator, denominator)


# --- a dose as written ("0.3 mg", "2 puffs") ------------------------------------------------------------------

# The units a clinician writes after a dose, as UCUM codes; a count of a form (puff, tablet) is a UCUM annotation.
DOSE_UNITS: dict[str, str] = {
    "mg": "mg",
    "g": "g",
    "mcg": "ug",
    "µg": "ug",
    "ug": "ug",
    "ml": "mL",
    "l": "L",
    "puff": "{puff}",
    "puffs": "{puff}",
    "tablet": "{tablet}",
    "tablets": "{tablet}",
    "drop": "{drop}",
    "drops": "{drop}",
    "sachet": "{sachet}",
    "sachets": "{sachet}",
}
_DOSE = re.compile(r"^\s*(?P<value>\d+(?:\.\d+)?)\s*(?P<unit>[A-Za-zµ]+)(?![A-Za-zµ])")


@dataclass(frozen=True)
class DoseQuantity:
    value: Decimal
    unit: str  # as written ("mg", "puffs")
    ucum: str  # "mg", "{puff}"


def dose_quantity(text: str) -> DoseQuantity | None:
    """The number and unit a dose starts with ("0.3 mg IM" -> 0.3 mg); None when it does not start with both."""
    match = _DOSE.match(text)
    if match is None:
        return None
    ucum = DOSE_UNITS.get(match["unit"].lower())
    return None if ucum is None else DoseQuantity(Decimal(match["value"]), match["unit"], ucum)


_ONE_DECIMAL_COMMA = re.compile(r"(?P<whole>[0-9]+),(?P<fraction>[0-9]+)")


def unambiguous_decimal_comma(text: str) -> str:
    """ "0,05" → "0.05" where a single comma can only be a decimal comma; anything else is returned unchanged.

    A comma followed by exactly three digits after a whole number other than 0 ("1,000") may be a thousands
    separator, so it is not read: parse_decimal then refuses it and asks for a point. For the patient's phone, where
    many keyboards offer only a comma.
    """
    match = _ONE_DECIMAL_COMMA.fullmatch(text.strip())
    if match is None:
        return text
    whole, fraction = match["whole"], match["fraction"]
    if len(fraction) == 3 and whole.lstrip("0"):
        return text
    return f"{whole}.{fraction}"
