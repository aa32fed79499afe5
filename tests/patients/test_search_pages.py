"""A search that finds many patients, page by page, through the real URL (?q= and ?page=), as a clinician pages
through it: 25 rows a page in the list's order, the count and a hint to refine the search, the query kept (escaped)
in the links, a bad page number answered with a page rather than an error, and never another clinic's patient."""

from __future__ import annotations

import html
import re
from datetime import date
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import dateformat

from patients.templatetags.patient_list import day_month_year
from tests.factories import PatientFactory

ROW_MRN = re.compile(r"<td>(RH-\d+)</td>")
NEXT = re.compile(r'<a class="page-link" rel="next" href="([^"]+)">')
# The list's order: family name, given name, MRN ("Al-Rahman" before "Rahman" before "Rahmani").
IN_ORDER = ["RH-032", *(f"RH-{n:03d}" for n in range(1, 31) if n not in (15, 23)), "RH-031"]


@pytest.fixture
def rahmans(clinic, other_clinic):
    """30 Rahmans in the nurse's clinic, created out of name order, and 5 in another clinic."""
    for n in (17, 3, 29, 8, 22, 11, 1, 26, 14, 5, 20, 9, 28, 2, 16, 24, 7, 12, 30, 19, 4, 25, 10, 21, 6, 27, 13, 18):
        PatientFactory(clinic=clinic, given_name=f"Given{n:02d}", family_name="Rahman", mrn=f"RH-{n:03d}")
    PatientFactory(clinic=clinic, given_name="Amir", family_name="Rahmani", mrn="RH-031")
    PatientFactory(clinic=clinic, given_name="Zara", family_name="Al-Rahman", mrn="RH-032")
    PatientFactory(clinic=clinic, given_name="Ann", family_name="Jones", mrn="JO-001")  # not a match
    for n in range(5):
        PatientFactory(clinic=other_clinic, given_name="Elsewhere", family_name="Rahman", mrn=f"RH-{900 + n}")


def _mrns(page: str) -> list[str]:
    return ROW_MRN.findall(page)


def _search(client, **params) -> str:
    response = client.get(reverse("patients:list"), params)
    assert response.status_code == HTTPStatus.OK
    return response.content.decode()


def test_a_search_is_paged_in_the_lists_order_and_page_2_follows_page_1(client, nurse, rahmans):
    client.force_login(nurse)
    first = _search(client, q="rahman")
    assert len(IN_ORDER) == 30
    assert _mrns(first) == IN_ORDER[:25]
    assert "Showing 1–25 of 30 patients." in first
    assert "To find one patient, refine the search: add the given name, the family name or the MRN." in first
    assert "Page 1 of 2" in first
    second = _search(client, q="rahman", page="2")
    assert _mrns(second) == IN_ORDER[25:]
    assert "Showing 26–30 of 30 patients." in second
    assert 'rel="prev" href="?q=rahman&amp;page=1"' in second
    assert 'rel="next"' not in second


def test_the_next_link_keeps_the_query_and_leads_to_page_2(client, nurse, rahmans):
    client.force_login(nurse)
    first = _search(client, q="Rahman")
    (link,) = NEXT.findall(first)
    assert link == "?q=Rahman&amp;page=2"
    second = client.get(reverse("patients:list") + html.unescape(link))
    assert _mrns(second.content.decode()) == IN_ORDER[25:] == ["RH-027", "RH-028", "RH-029", "RH-030", "RH-031"]


def test_a_query_with_url_and_html_characters_is_escaped_in_the_links_and_the_box(client, nurse, clinic):
    for n in range(27):
        PatientFactory(clinic=clinic, given_name=f"Given{n:02d}", family_name="Smith&Jones", mrn=f"RH-{n:03d}")
    client.force_login(nurse)
    first = _search(client, q="smith&jones")
    assert len(_mrns(first)) == 25
    (link,) = NEXT.findall(first)
    assert link == "?q=smith%26jones&amp;page=2"  # "&jones" is not read as a parameter of its own
    assert len(_mrns(client.get(reverse("patients:list") + html.unescape(link)).content.decode())) == 2
    hostile = _search(client, q='<script>alert("x")</script>')
    assert "<script>alert" not in hostile
    assert 'value="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"' in hostile
    assert "No patient matches your search." in hostile


@pytest.mark.parametrize(
    ("page", "shown"),
    [
        ("99", "Showing 26–30"),
        ("0", "Showing 26–30"),
        ("-1", "Showing 26–30"),
        ("two", "Showing 1–25"),
        ("", "Showing 1–25"),
    ],
)
def test_a_page_number_out_of_range_or_not_a_number_gives_the_last_or_first_page(client, nurse, rahmans, page, shown):
    client.force_login(nurse)
    response = client.get(reverse("patients:list"), {"q": "rahman", "page": page})
    assert response.status_code == HTTPStatus.OK
    assert f"{shown} of 30 patients." in response.content.decode()


def test_another_clinics_patients_are_never_counted_or_shown(client, nurse, other_clinic_nurse, rahmans):
    client.force_login(nurse)
    pages = [_search(client, q="rahman", page=str(n)) for n in (1, 2, 3)]
    shown = {mrn for page in pages for mrn in _mrns(page)}
    assert len(shown) == 30
    assert not any(mrn.startswith("RH-9") for mrn in shown)
    assert all("Elsewhere" not in page for page in pages)
    client.force_login(other_clinic_nurse)
    theirs = _search(client, q="rahman")
    assert _mrns(theirs) == [f"RH-{900 + n}" for n in range(5)]
    assert "Showing" not in theirs  # one page: no count line, no page links
    assert "Page 1 of" not in theirs


def test_a_search_that_fits_one_page_shows_no_count_line(client, nurse, rahmans):
    client.force_login(nurse)
    page = _search(client, q="rahmani")
    assert _mrns(page) == ["RH-031"]
    assert "Showing" not in page
    assert "refine the search" not in page


def test_a_row_shows_the_patient_escaped_with_a_link_date_of_birth_and_conditions(client, nurse, clinic):
    patient = PatientFactory(
        clinic=clinic,
        given_name="<b>Bold</b>",
        family_name="O'Rahman",
        mrn="RH-500",
        date_of_birth=date(2011, 3, 4),
        conditions=["mcas", "asthma", "retired_code"],
        other_conditions="Coeliac & lactose",
    )
    client.force_login(nurse)
    page = _search(client, q="o'rahman")
    row = page[page.index("<tbody>") : page.index("</tbody>")]
    url = reverse("patients:detail", args=[patient.pk])
    assert f'<a href="{url}">O&#x27;Rahman, &lt;b&gt;Bold&lt;/b&gt;</a>' in row
    assert "<td>4 Mar 2011</td>" in row
    assert "<td>Mast cell activation syndrome (MCAS), Asthma, Coeliac &amp; lactose</td>" in row


@pytest.mark.parametrize("day", [date(2011, 3, 4), date(1940, 12, 31), date(2026, 1, 1), date(999, 9, 9)])
def test_the_date_of_birth_reads_as_the_date_filter_writes_it(day):
    assert day_month_year(day) == dateformat.format(day, "j M Y")


def test_the_whole_list_longer_than_a_page_shows_the_count_and_links_without_the_search_hint(client, nurse, rahmans):
    client.force_login(nurse)
    first = _search(client)
    assert "Showing 1–25 of 31 patients." in first  # the 30 Rahmans and Ann Jones
    assert "refine the search" not in first
    assert 'rel="next" href="?q=&amp;page=2">Next</a>' in first
    assert 'rel="prev"' not in first
    second = _search(client, page="2")
    assert "Showing 26–31 of 31 patients." in second
    assert 'rel="prev" href="?q=&amp;page=1">Previous</a>' in second
    assert "Page 2 of 2" in second
