"""Display and parsing of quantities (reliability plan tests 13 and 14)."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinical.units import QuantityError, format_decimal, format_quantity, parse_decimal
from tests.challenges.hypothesis_settings import FAST

# Every dose the app accepts: 0.001 mg to 10,000 mg, to 3 decimal places (STYLE.md DoseStep.amount_mg).
doses = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("10000"), places=3)
# Signed values with up to 12 significant digits, the most parse_decimal accepts.
any_finite = st.decimals(min_value=Decimal("-999999.999999"), max_value=Decimal("999999.999999"), places=6)


# --- format_decimal / format_quantity ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("0.50"), "0.5"),
        (Decimal("5.0"), "5"),
        (Decimal("4443"), "4,443"),
        (Decimal("1E+3"), "1,000"),
        (Decimal("1234.560"), "1,234.56"),
        (Decimal("0.001"), "0.001"),
        (Decimal("0.0000001"), "0.0000001"),
        (Decimal("-0"), "0"),
        (Decimal("0.000"), "0"),
        (Decimal("-2.50"), "-2.5"),
        (7, "7"),
        (Decimal("0.1") + Decimal("0.2"), "0.3"),
    ],
)
def test_format_decimal_follows_ismp(value, shown):
    assert format_decimal(value) == shown


def test_format_decimal_shows_huge_numbers_in_full():
    assert format_decimal(Decimal("1E+30")) == "1," + ",".join(["000"] * 10)


def test_format_decimal_never_rounds_a_long_number():
    long = Decimal("1234567890123456789012345678901234.5")
    assert format_decimal(long).replace(",", "") == "1234567890123456789012345678901234.5"


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity")])
def test_format_decimal_refuses_non_finite(value):
    with pytest.raises(ValueError, match="non-finite"):
        format_decimal(value)


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [
        (Decimal("0.50"), "mg", "0.5 mg"),
        (Decimal("4443"), "mg", "4,443 mg"),
        (Decimal("5"), "µg", "5 mcg"),
        (Decimal("5"), "μg", "5 mcg"),
        (Decimal("5"), "ug", "5 mcg"),
        (Decimal("2.5"), "ml", "2.5 mL"),
        (Decimal("1"), "l", "1 L"),
    ],
)
def test_format_quantity_puts_a_space_and_safe_unit(value, unit, shown):
    assert format_quantity(value, unit) == shown


@FAST
@given(value=st.decimals(allow_nan=False, allow_infinity=False) | any_finite)
def test_format_never_has_trailing_zero_naked_point_or_exponent(value):
    shown = format_decimal(value)
    digits = shown.lstrip("-")
    assert not digits.startswith(".")
    assert not shown.endswith(".")
    assert "E" not in shown.upper()
    if "." in shown:
        assert not shown.endswith("0")
    assert Decimal(shown.replace(",", "")) == value


# --- parse_decimal: accepted input ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("12", Decimal("12")),
        ("0.5", Decimal("0.5")),
        (" 7 ", Decimal("7")),
        ("\t3.25\n", Decimal("3.25")),
        ("+5", Decimal("5")),
        ("-3.25", Decimal("-3.25")),
        ("0", Decimal("0")),
        ("0.0000000000001", Decimal("1E-13")),
        ("123456789012", Decimal("123456789012")),
        ("0001.5", Decimal("1.5")),
    ],
)
def test_parse_accepts_plain_numbers(text, value):
    assert parse_decimal(text) == value


def test_parse_keeps_the_typed_exponent():
    parsed = parse_decimal("0.50")
    assert parsed.as_tuple() == Decimal("0.50").as_tuple()


@pytest.mark.parametrize("text", ["-0", "-0.00", "+0"])
def test_parse_treats_negative_zero_as_zero(text):
    parsed = parse_decimal(text)
    assert parsed == 0
    assert not parsed.is_signed()


def test_parse_checks_range_after_turning_minus_zero_into_zero():
    with pytest.raises(QuantityError) as excinfo:
        parse_decimal("-0", min_value=Decimal("0.001"), max_value=Decimal("10000"), unit="mg")
    assert excinfo.value.code == "out_of_range"


def test_parse_accepts_the_range_bounds_inclusively():
    assert parse_decimal("0.001", min_value=Decimal("0.001"), max_value=Decimal("10000")) == Decimal("0.001")
    assert parse_decimal("10000", min_value=Decimal("0.001"), max_value=Decimal("10000")) == Decimal("10000")


# --- parse_decimal: rejected input, one code each -----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("５", "non_ascii_digits"),
        ("١٢", "non_ascii_digits"),
        ("²", "non_ascii_digits"),
        ("NaN", "not_finite"),
        ("nan", "not_finite"),
        ("sNaN", "not_finite"),
        ("Infinity", "not_finite"),
        ("-inf", "not_finite"),
        ("1e3", "exponent"),
        ("1E+3", "exponent"),
        ("1e309", "exponent"),
        ("2.5e-2", "exponent"),
        ("0x10", "hex"),
        ("-0X1A", "hex"),
        ("1,5", "separator"),
        ("1 000", "separator"),
        ("1\u00a0000", "separator"),
        ("1_000", "separator"),
        ("1'000", "separator"),
        ("1,000.5", "separator"),
        (".5", "leading_zero"),
        ("-.5", "leading_zero"),
        ("5.", "trailing_point"),
        ("½", "fraction"),
        ("1/2", "fraction"),
        ("1⁄2", "fraction"),
        ("10mg", "not_a_number"),
        ("10 mg", "not_a_number"),
        ("2.5mL", "not_a_number"),
        ("abc", "not_a_number"),
        (".", "not_a_number"),
        ("-", "not_a_number"),
        ("1.2.3", "not_a_number"),
        ("--5", "not_a_number"),
        ("1234567890123", "too_long"),
        ("0.1234567890123", "too_long"),
        ("1" * 40, "too_long"),
    ],
)
def test_parse_rejects_with_a_stable_code(text, code):
    with pytest.raises(QuantityError) as excinfo:
        parse_decimal(text)
    assert excinfo.value.code == code


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "Enter a number"),
        ("５", "digits 0-9"),
        ("1,5", "point as the decimal separator"),
        ("1 000", "no thousands grouping"),
        (".5", "Write 0.5, not .5"),
        ("-.25", "Write -0.25, not -.25"),
        ("5.", "Write 5 without the trailing point"),
        ("1e3", "without an exponent"),
        ("10mg", "without a unit"),
        ("½", "0.5"),
        ("NaN", "not NaN or Infinity"),
        ("1234567890123", "12 significant digits"),
    ],
)
def test_parse_rejection_messages_say_what_to_type(text, fragment):
    with pytest.raises(QuantityError) as excinfo:
        parse_decimal(text)
    assert fragment in excinfo.value.message


def test_out_of_range_message_names_both_bounds_with_unit():
    with pytest.raises(QuantityError) as excinfo:
        parse_decimal("20000", min_value=Decimal("0.001"), max_value=Decimal("10000"), unit="mg")
    assert excinfo.value.code == "out_of_range"
    assert excinfo.value.message == "Must be between 0.001 mg and 10,000 mg."


def test_out_of_range_with_only_a_minimum():
    with pytest.raises(QuantityError) as excinfo:
        parse_decimal("-1", min_value=Decimal("0"), unit="kg")
    assert excinfo.value.message == "Must be at least 0 kg."


def test_out_of_range_with_only_a_maximum_and_no_unit():
    with pytest.raises(QuantityError) as excinfo:
        parse_decimal("101", max_value=Decimal("100"))
    assert excinfo.value.message == "Must be at most 100."


def test_quantity_error_is_a_value_error_carrying_message_and_code():
    error = QuantityError("Enter a number.", code="empty")
    assert isinstance(error, ValueError)
    assert (error.message, error.code, str(error)) == ("Enter a number.", "empty", "Enter a number.")


# --- properties --------------------------------------------------------------------------------------------


@FAST
@given(dose=doses)
def test_parse_of_format_round_trips_every_dose(dose):
    typed = format_decimal(dose).replace(",", "")
    assert parse_decimal(typed, min_value=Decimal("0.001"), max_value=Decimal("10000"), unit="mg") == dose


@FAST
@given(value=any_finite)
def test_parse_of_format_round_trips_signed_values(value):
    assert parse_decimal(format_decimal(value).replace(",", "")) == value


PARSE_CODES = {
    "empty",
    "non_ascii_digits",
    "not_finite",
    "exponent",
    "hex",
    "separator",
    "leading_zero",
    "trailing_point",
    "fraction",
    "not_a_number",
    "too_long",
}


def _parse_or_error(text: str) -> Decimal | QuantityError:
    try:
        return parse_decimal(text)
    except QuantityError as error:
        return error


@FAST
@given(text=st.text(max_size=40) | st.from_regex(r"[-+]?[0-9]{0,14}(\.[0-9]{0,14})?", fullmatch=True))
def test_parse_either_returns_a_plain_decimal_or_raises_a_known_code(text):
    outcome = _parse_or_error(text)
    if isinstance(outcome, QuantityError):
        assert outcome.code in PARSE_CODES
        assert outcome.message
    else:
        assert outcome.is_finite()
        assert text.strip().lstrip("+-").replace(".", "").isascii()
        assert outcome == Decimal(text.strip())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0.3 mg", ("0.3", "mg", "mg")),
        ("0.3mg IM", ("0.3", "mg", "mg")),
        ("150 mcg", ("150", "mcg", "ug")),
        ("2 puffs", ("2", "puffs", "{puff}")),
        ("5 mL", ("5", "mL", "mL")),
        ("10 mgs", None),  # an unknown unit word
        ("usual dose", None),
        ("mg 10", None),
        ("", None),
    ],
)
def test_a_dose_as_written_starts_with_a_number_and_a_unit(text, expected):
    from clinical.units import dose_quantity

    quantity = dose_quantity(text)
    if expected is None:
        assert quantity is None
    else:
        assert (str(quantity.value), quantity.unit, quantity.ucum) == expected
