"""The patient list's rows (templates/patients/patient_list.html).

Drawn here rather than by a `{% for %}` over the row's markup: through the template engine a row (a URL tag, a date
filter, five variable lookups) cost about 145 µs. What a row needs beyond its own columns is worked out once per
page, not once per row: the record link's pattern (one `reverse()`), the month and condition names in the active
language (translated once per language). Each value is escaped as `format_html` escapes it (`html.escape`, quotes
too); bench/README.md, "patient search", has the figures.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from datetime import date
from html import escape
from typing import Protocol

from django import template
from django.urls import reverse
from django.utils.dates import MONTHS_3
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from patients.models import condition_labels, condition_names

register = template.Library()

ROW = '<tr><td><a href="{}{}{}">{}, {}</a></td><td>{}</td><td>{}</td><td>{}</td></tr>'
PK_MARK = 2_147_483_647  # a record number no page shows: reversed once, then replaced by each row's own


class ListRow(Protocol):
    """What a row shows of a patient: a `Patient`, or the list's values row (patients.views.LIST_COLUMNS)."""

    @property
    def pk(self) -> int: ...
    @property
    def family_name(self) -> str: ...
    @property
    def given_name(self) -> str: ...
    @property
    def mrn(self) -> str: ...
    @property
    def date_of_birth(self) -> date: ...
    @property
    def conditions(self) -> list[str]: ...
    @property
    def other_conditions(self) -> str: ...


@register.simple_tag
def patient_rows(patients: Iterable[ListRow]) -> SafeString:
    """{% patient_rows page %}: one table row per patient: name (a link to the record), MRN, date of birth,
    conditions."""
    before, _, after = escape(reverse("patients:detail", args=[PK_MARK])).partition(str(PK_MARK))
    months = _month_names(get_language())
    names = condition_names()
    rows = (
        ROW.format(
            before,
            patient.pk,
            after,
            escape(patient.family_name),
            escape(patient.given_name),
            escape(patient.mrn),
            escape(_day_month_year(patient.date_of_birth, months)),
            escape(", ".join(condition_labels(patient.conditions, patient.other_conditions, names))),
        )
        for patient in patients
    )
    return mark_safe("\n".join(rows))  # noqa: S308 (the link's pattern and every value are escaped)


def day_month_year(day: date) -> str:
    """The day as `{{ day|date:"j M Y" }}` writes it, "4 Mar 2011" (the month in words, so day and month cannot be read
    the wrong way round), without the date filter's general machinery (a quarter of a row's cost)."""
    return _day_month_year(day, _month_names(get_language()))


def _day_month_year(day: date, months: Mapping[int, str]) -> str:
    return f"{day.day} {months[day.month]} {day.year:04d}"


@functools.cache
def _month_names(language: str | None) -> dict[int, str]:
    """The short month names ("Mar") in the active language, as the date filter's `M` writes them."""
    return {number: str(name).title() for number, name in MONTHS_3.items()}
