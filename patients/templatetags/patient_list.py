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
from typing import Any, Protocol
from urllib.parse import quote

from django import template
from django.core.paginator import Page
from django.urls import reverse
from django.utils.dates import MONTHS_3
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

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


@register.simple_tag
def result_count(page: Page[Any], query: str) -> SafeString:
    """{% result_count page query %}: above a list longer than one page, "Showing 1–25 of 170 patients." and, for
    a search, how to narrow it; nothing for a list that fits one page. The words the template's blocktranslate
    wrote, without its machinery (with the page links, about 0.95 -> 0.3 ms a page, bench/README.md)."""
    paginator = page.paginator
    if paginator.count <= paginator.per_page:
        return SafeString("")
    shown = _("Showing %(first)s–%(last)s of %(total)s patients.") % {
        "first": page.start_index(),
        "last": page.end_index(),
        "total": paginator.count,
    }
    hint = _("To find one patient, refine the search: add the given name, the family name or the MRN.") if query else ""
    return format_html('<p class="text-muted" data-testid="result-count">\n  {}\n  {}\n</p>', shown, hint)


@register.simple_tag
def page_links(page: Page[Any], query: str) -> SafeString:
    """{% page_links page query %}: Previous, "Page 2 of 7", Next, for a list longer than one page; the links keep
    the search (`?q=`, URL-encoded)."""
    if not page.has_other_pages():
        return SafeString("")
    link = '<li class="page-item"><a class="page-link" rel="{}" href="?q={}&amp;page={}">{}</a></li>'
    search = quote(query)
    items = []
    if page.has_previous():
        items.append(format_html(link, "prev", search, page.previous_page_number(), _("Previous")))
    where = _("Page %(n)s of %(total)s") % {"n": page.number, "total": page.paginator.num_pages}
    items.append(format_html('<li class="page-item disabled"><span class="page-link">{}</span></li>', where))
    if page.has_next():
        items.append(format_html(link, "next", search, page.next_page_number(), _("Next")))
    return format_html(
        '<nav aria-label="{}"><ul class="pagination">\n  {}\n</ul></nav>',
        _("Pages"),
        mark_safe("\n  ".join(items)),  # noqa: S308
    )
