"""The wash-out form of the protocol editor: how long to stop each medicine before the challenge."""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from clinical import washout, washout_rules
from clinical.units import QuantityError, parse_decimal
from clinics.forms import PlainTextForm, StrictDecimalField, crispy_helper

# Classes a wash-out rule can name: not the risk factors (beta-blockers, ACE inhibitors get a risk review, never a
# wash-out) nor "other" (clinical.washout gives it no conflict).
WASHOUT_CLASSES = tuple(c for c in washout_rules.MED_CLASS_LABELS if c not in washout.RISK_CLASSES and c != "other")


def washout_field_name(rule: dict[str, Any]) -> str:
    """The form field of one rule: "h1_antihistamine", "h1_antihistamine__eye", "h1_antihistamine__oral__loratadine"."""
    med_class, route, drug = rule.get("med_class", ""), rule.get("route", ""), rule.get("drug", "")
    if drug:
        return f"{med_class}__{route or 'any'}__{drug}"
    return f"{med_class}__{route}" if route else str(med_class)


def _specific_rules(existing: Iterable[Any]) -> list[dict[str, Any]]:
    """Rules narrowed to a route or a drug: the seeded ones, then any the protocol adds."""
    rules = [
        rule for rule in washout_rules.rules_to_data(washout_rules.DEFAULT_WASHOUT) if "drug" in rule or "route" in rule
    ]
    for rule in existing:
        if isinstance(rule, dict) and ("drug" in rule or "route" in rule) and rule.get("med_class") in WASHOUT_CLASSES:
            if washout_field_name(rule) not in {washout_field_name(r) for r in rules}:
                rules.append(rule)
    return rules


HOURS_PER_DAY = 24
DAYS_SHOWN_TO = Decimal("0.0001")  # a rule of 10 h shows as 0.4167 days and saves back as 10 h


def hours_as_days(hours: int) -> Decimal:
    """A rule's hours as the days the editor shows: 168 -> 7, 12 -> 0.5."""
    return (Decimal(hours) / HOURS_PER_DAY).quantize(DAYS_SHOWN_TO).normalize()


class WashoutDurationField(StrictDecimalField):
    """How long to stop a medicine before the challenge, as clinicians say it: in days ("7", "7 d", "0.5"), or in
    hours for a rule under a day ("12 h"); cleaned to whole hours (stored)."""

    HOURS_SUFFIX = re.compile(r"^(?P<number>.+?)\s*(?:h|hr|hrs|hour|hours)$", re.IGNORECASE)
    DAYS_SUFFIX = re.compile(r"^(?P<number>.+?)\s*(?:d|day|days)$", re.IGNORECASE)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            min_value=Decimal(0),
            max_value=Decimal(washout_rules.MAX_WASHOUT_HOURS) / HOURS_PER_DAY,
            required=False,
            help_text=_("days, or hours with h (7, or 12 h)"),
            **kwargs,
        )

    def to_python(self, value: Any) -> Decimal | None:
        """The duration in hours."""
        text = str(value).strip() if value is not None else ""
        if not text:
            return None
        if len(text) > self.max_input_length:
            raise forms.ValidationError(_("That is too long for a duration."), code="too_long")
        hours = self.HOURS_SUFFIX.match(text)
        try:
            if hours:
                value = parse_decimal(
                    hours["number"], min_value=Decimal(0), max_value=Decimal(washout_rules.MAX_WASHOUT_HOURS), unit="h"
                )
                if value != value.to_integral_value():
                    raise forms.ValidationError(_("Use whole hours, like 12 h."), code="whole_hours")
                return value
            days = self.DAYS_SUFFIX.match(text)
            value = parse_decimal(
                days["number"] if days else text, min_value=self.min_value, max_value=self.max_value, unit="days"
            )
        except QuantityError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from exc
        return (value * HOURS_PER_DAY).quantize(Decimal(1), rounding=ROUND_HALF_UP)

    def clean(self, value: Any) -> int | None:
        hours = self.to_python(value)
        self.validate(hours)
        return None if hours is None else int(hours)


def washout_duration_text(hours: int) -> str:
    """A rule's duration as the editor shows it: in hours under a day ("12 h"), else in days ("7", "1.5")."""
    if 0 < hours < HOURS_PER_DAY:
        return f"{hours} h"
    return format(hours_as_days(hours), "f")


class WashoutForm(PlainTextForm):
    """How long to stop each medication class (or one route or drug of it) before the challenge; blank: no rule.

    Typed in days (hours under a day), stored in whole hours (the rule data, clinical.washout_rules.WashoutRule.hours).
    """

    def __init__(self, *args: Any, existing: Iterable[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        specific = _specific_rules(list(existing))
        self.keys: dict[str, dict[str, str]] = {}
        for med_class in WASHOUT_CLASSES:
            self._add({"med_class": med_class})
            for rule in specific:
                if rule["med_class"] == med_class:
                    self._add({name: rule[name] for name in ("med_class", "route", "drug") if rule.get(name)})
        self.helper = crispy_helper()

    def _add(self, key: dict[str, str]) -> None:
        name = washout_field_name(key)
        label = washout_rules.WashoutRule(
            key["med_class"], 0, drug=key.get("drug", ""), route=key.get("route", "")
        ).label
        self.keys[name] = key
        self.fields[name] = WashoutDurationField(label=label[:1].upper() + label[1:])

    def rules_data(self, existing: Iterable[Any]) -> list[dict[str, Any]]:
        """Rules as protocol JSON; a rule whose hours did not change keeps its note and source."""
        before = {washout_field_name(rule): rule for rule in existing if isinstance(rule, dict)}
        rules = []
        for name, key in self.keys.items():
            hours = self.cleaned_data.get(name)
            if hours is None:
                continue
            old = before.get(name, {})
            source = old.get("source", "") if old.get("hours") == hours else ""
            rules.append({**key, "hours": hours, "note": old.get("note", ""), "source": source})
        return rules


def washout_initial(data: Any) -> dict[str, str]:
    """The editor's initial values: each rule's duration in days, or in hours under a day."""
    if not isinstance(data, list):
        return {}
    return {
        washout_field_name(rule): washout_duration_text(rule["hours"])
        for rule in data
        if isinstance(rule, dict) and "med_class" in rule
    }
