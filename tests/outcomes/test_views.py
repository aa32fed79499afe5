"""The outcomes pages: allergists of the clinic only, the clinic's own challenges only, every figure as shown."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse
from pypdf import PdfReader

from challenges.models import Protocol
from challenges.outcomes import facts
from challenges.run.models import Setting
from tests.factories import PatientFactory
from tests.helpers import LONDON
from tests.outcomes.data import finished, pause_and_resume

PRACTALL_MG = (3, 10, 30, 100, 300, 1000, 3000)
DAY = datetime(2026, 3, 2, 9, 0, tzinfo=LONDON)


@pytest.fixture
def clinic_data(patient, practall, allergist):
    """Three finished challenges of clinic 1 (one passed, one failed at step 3 with adrenaline, one equivocal)."""
    finished(patient=patient, protocol=practall, allergist=allergist, when=DAY, outcome="passed", doses_mg=PRACTALL_MG)
    failed = finished(
        patient=patient,
        protocol=practall,
        allergist=allergist,
        when=DAY + timedelta(days=7),
        outcome="failed",
        doses_mg=PRACTALL_MG[:3],
        grade="2",
        adrenaline=True,
        symptom_minutes=10,
    )
    finished(
        patient=patient,
        protocol=practall,
        allergist=allergist,
        when=DAY + timedelta(days=14),
        outcome="equivocal",
        doses_mg=PRACTALL_MG[:4],
    )
    return failed


@pytest.fixture
def other_clinic_data(other_clinic_patient, practall, other_clinic_allergist):
    """Four failed challenges of the other clinic, grade 4, reacting at step 6: none may ever show in clinic 1."""
    for n in range(4):
        finished(
            patient=other_clinic_patient,
            protocol=practall,
            allergist=other_clinic_allergist,
            when=DAY + timedelta(days=n),
            outcome="failed",
            doses_mg=PRACTALL_MG[:6],
            grade="4",
            adrenaline=True,
            symptom_minutes=45,
        )


def _table(response, chart: str) -> dict[str, int]:
    """The rows of one chart's table as {label: count}, read from the page."""
    html = response.content.decode()
    start = html.index(f'data-testid="{chart}-table"')
    body = html[start : html.index("</table>", start)]
    rows = {}
    for row in body.split("<tr>")[2:]:
        if "</th>" in row:
            label = row.split("</th>")[0].rsplit(">", 1)[1]
            count = row.split('class="text-end">')[1].split("<")[0]
            rows[label] = int(count)
    return rows


def test_the_allergist_sees_her_clinics_figures_and_no_other(client, allergist, clinic_data, other_clinic_data):
    client.force_login(allergist)
    response = client.get(reverse("challenges:outcomes"))
    assert response.status_code == HTTPStatus.OK
    assert "3 challenges done" in response.content.decode()
    outcomes = _table(response, "chart-0")
    assert outcomes["Passed (tolerated)"] == 1
    assert outcomes["Failed (not tolerated)"] == 1
    assert outcomes["Equivocal"] == 1
    assert _table(response, "chart-1") == {"PRACTALL 2": 1}  # the other clinic's grade 4 is not here
    assert _table(response, "chart-2") == {"Step 3": 1}
    onset = _table(response, "chart-3")
    assert onset["5 to 14 min"] == 1
    assert onset["30 to 59 min"] == 0  # the other clinic's 45-minute onsets
    extra = _table(response, "chart-4")
    assert extra["Challenges with adrenaline"] == 1
    assert extra["Adrenaline doses given"] == 1
    assert 'role="img"' in response.content.decode()
    assert '<title id="chart-0-title">Outcomes</title>' in response.content.decode()


def test_the_other_clinics_allergist_sees_only_theirs(client, other_clinic_allergist, clinic_data, other_clinic_data):
    client.force_login(other_clinic_allergist)
    response = client.get(reverse("challenges:outcomes"))
    assert "4 challenges done" in response.content.decode()
    assert _table(response, "chart-1") == {"PRACTALL 4": 4}
    assert _table(response, "chart-2") == {"Step 6": 4}


@pytest.mark.parametrize("who", ["nurse", "patient_user", "other_clinic_nurse"])
@pytest.mark.parametrize(
    "name", ["outcomes", "outcomes-pdf", "outcomes-csv", "eliciting-doses", "outcomes-research-csv"]
)
def test_nurses_and_patients_are_refused(client, request, clinic_data, who, name):
    client.force_login(request.getfixturevalue(who))
    response = client.get(reverse(f"challenges:{name}"))
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert b"challenges done" not in response.content


def test_signed_out_is_sent_to_sign_in(client, clinic_data):
    response = client.get(reverse("challenges:outcomes"))
    assert response.status_code == HTTPStatus.FOUND
    assert reverse("login") in response["Location"]


def test_the_page_only_reads(client, allergist):
    client.force_login(allergist)
    assert client.post(reverse("challenges:outcomes")).status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_filters_by_date_age_food_and_kind(client, allergist, clinic, practall, clinic_data):
    child = PatientFactory(clinic=clinic, date_of_birth=date(2022, 6, 1))  # 3 years old in 2026
    finished(patient=child, protocol=practall, allergist=allergist, when=DAY, outcome="failed", doses_mg=(3,))
    client.force_login(allergist)

    def done(**query) -> str:
        return client.get(reverse("challenges:outcomes"), query).content.decode()

    assert "4 challenges done" in done()
    assert "1 challenge done" in done(age_band="2_5")
    assert "3 challenges done" in done(age_band="adult")
    assert "0 challenges done" in done(age_band="under_2")
    assert "2 challenges done" in done(date_from="2026-03-02", date_to="2026-03-02")
    assert "1 challenge done" in done(date_from="2026-03-16")
    assert "4 challenges done" in done(food="peanut")
    assert "0 challenges done" in done(food="milk")
    assert "4 challenges done" in done(kind=practall.kind)
    assert "0 challenges done" in done(kind="home")


def test_a_start_after_the_end_is_refused_with_a_message(client, allergist, clinic_data):
    client.force_login(allergist)
    response = client.get(reverse("challenges:outcomes"), {"date_from": "2026-05-01", "date_to": "2026-04-01"})
    assert "The start date is after the end date." in response.content.decode()
    assert "3 challenges done" in response.content.decode()  # the figures fall back to all challenges


def test_home_plans_paused_and_resumed(client, allergist, patient, library, clinic_data):
    home = Protocol.objects.filter(clinic=None, kind="home").first() or Protocol.objects.filter(clinic=None).first()
    plans = [
        finished(
            patient=patient,
            protocol=home,
            allergist=allergist,
            when=DAY + timedelta(days=n),
            outcome="passed",
            doses_mg=(10, 100),
            setting=Setting.HOME,
        )
        for n in range(3)
    ]
    pause_and_resume(plans[0], allergist, resumed=True)
    pause_and_resume(plans[0], allergist, resumed=False)
    pause_and_resume(plans[1], allergist, resumed=False)
    client.force_login(allergist)
    extra = _table(client.get(reverse("challenges:outcomes")), "chart-4")
    assert extra["Home plans"] == 3
    assert extra["Home plans paused"] == 2
    assert extra["Pauses"] == 3
    assert extra["Home plans resumed"] == 1


def test_the_pdf_holds_the_same_figures(client, allergist, clinic_data, other_clinic_data):
    client.force_login(allergist)
    response = client.get(reverse("challenges:outcomes-pdf"), {"food": "peanut"})
    assert response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Outcomes: Northside Test Clinic" in text
    assert "Food: Peanut" in text
    assert "Challenges done: 3" in text
    assert "PRACTALL 2" in text
    assert "PRACTALL 4" not in text


def test_the_csv_holds_the_same_figures(client, allergist, clinic_data, other_clinic_data):
    client.force_login(allergist)
    response = client.get(reverse("challenges:outcomes-csv"))
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert ["Challenges done", "all", "3"] in rows
    assert ["Outcomes", "Failed (not tolerated)", "1"] in rows
    assert ["Reactions by dose step (the step that elicited)", "Step 3", "1"] in rows
    assert not any("PRACTALL 4" in cell for row in rows for cell in row)


def _reactions(patient, practall, allergist, steps: list[int], passed: int) -> None:
    for n, step in enumerate(steps):
        finished(
            patient=patient,
            protocol=practall,
            allergist=allergist,
            when=DAY + timedelta(hours=n),
            outcome="failed",
            doses_mg=PRACTALL_MG[:step],
        )
    for n in range(passed):
        finished(
            patient=patient,
            protocol=practall,
            allergist=allergist,
            when=DAY + timedelta(days=1, hours=n),
            outcome="passed",
            doses_mg=PRACTALL_MG,
        )


def test_eliciting_doses_with_few_reactions_show_intervals_and_a_warning(client, allergist, patient, practall):
    _reactions(patient, practall, allergist, [1, 2, 3, 3, 4, 4, 5, 6], passed=6)
    client.force_login(allergist)
    response = client.get(reverse("challenges:eliciting-doses"))
    html = response.content.decode()
    assert "Peanut (14)" in html
    assert "1 reacted to the first dose (left-censored), 7 between two doses, 6 tolerated every dose" in html
    assert "Few data: 8 challenges with a reaction" in html
    brackets = html[html.index('data-testid="brackets-table"') :].split("</table>")[0]
    assert 'up to 3 mg</th><td class="text-end">1<' in brackets
    assert '43 mg to 143 mg</th><td class="text-end">2<' in brackets
    assert 'over 4,443 mg</th><td class="text-end">6<' in brackets
    assert 'aria-labelledby="brackets-title brackets-desc"' in html
    table = html[html.index('data-testid="ed-table"') :]
    assert "ED05" in table
    assert " to " in table.split("ED05", 1)[1].split("</tr>")[0]  # never a bare number: its interval beside it


def test_eliciting_doses_refuse_a_number_below_five_reactions(client, allergist, patient, practall):
    _reactions(patient, practall, allergist, [2, 3, 4, 5], passed=10)
    client.force_login(allergist)
    html = client.get(reverse("challenges:eliciting-doses")).content.decode()
    assert "Not estimated: 4 challenge(s) with a reaction" in html
    assert 'data-testid="ed-table"' not in html


def test_discrete_basis_and_placebo_and_equivocal_are_explained(client, allergist, patient, practall, clinic_data):
    finished(
        patient=patient,
        protocol=practall,
        allergist=allergist,
        when=DAY,
        outcome="failed",
        doses_mg=(3, 3, 10),
        placebo=(0, 2),
    )
    client.force_login(allergist)
    html = client.get(reverse("challenges:eliciting-doses"), {"basis": "discrete"}).content.decode()
    assert "Peanut: discrete dose" in html
    assert "1 equivocal outcome" in html
    assert "1 reaction after a placebo dose" in html


def test_the_research_export_is_de_identified(client, allergist, patient, clinic_data):
    client.force_login(allergist)
    response = client.get(reverse("challenges:outcomes-research-csv"))
    content = response.content.decode()
    rows = list(csv.DictReader(io.StringIO(content)))
    assert len(rows) == 3
    for secret in (patient.family_name, patient.given_name, patient.mrn, "1990-05-01", "2026-03-02", "2026-03-09"):
        assert secret not in content
    assert set(rows[0]) == set(facts.RESEARCH_HEADER)  # no name, record number, challenge id or true date column
    failed = next(r for r in rows if r["outcome"] == "failed")
    assert failed["cumulative_lower_mg"] == "13"
    assert failed["cumulative_upper_mg"] == "43"
    assert failed["cumulative_censoring"] == "interval"
    assert failed["discrete_lower_mg"] == "10"
    assert failed["age_years"] == "35"
    assert [r["record"] for r in rows] == ["1", "2", "3"]
    shifted = sorted(date.fromisoformat(r["shifted_date"]) for r in rows)
    assert shifted[1] - shifted[0] == timedelta(days=7)  # the true gaps are kept
    assert shifted[0] != date(2026, 3, 2)
    equivocal = next(r for r in rows if r["outcome"] == "equivocal")
    assert "equivocal outcome" in equivocal["excluded_because"]


def test_the_pdf_is_archival_and_its_charts_are_described(client, allergist, clinic_data):
    """The outcomes PDF is built like every report: PDF/A-2b, qpdf finds no error, each chart a Figure in words."""
    from tests.reports.test_pdf_archival import assert_pdfa_2b, qpdf_check

    client.force_login(allergist)
    pdf = client.get(reverse("challenges:outcomes-pdf")).content
    assert_pdfa_2b(pdf)
    assert qpdf_check(pdf).returncode == 0
    reader = PdfReader(io.BytesIO(pdf))
    alts = [str(node.get_object().get("/Alt")) for node in _struct_nodes(reader) if node.get_object().get("/Alt")]
    assert (
        "Bar chart, Outcomes: Passed (tolerated): 1; Failed (not tolerated): 1; Equivocal: 1; Dose not reached: 0."
        in alts
    )


def _struct_nodes(reader):
    stack = [reader.trailer["/Root"]["/StructTreeRoot"]]
    while stack:
        node = stack.pop().get_object()
        yield node
        kids = node.get("/K")
        if kids is None:
            continue
        for kid in kids if isinstance(kids, list) else [kids]:
            if hasattr(kid.get_object(), "get"):
                stack.append(kid)
