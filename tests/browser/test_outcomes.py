"""The allergist reads her clinic's outcomes and the eliciting doses of peanut, in a real browser (issue 21)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from challenges.models import Protocol
from clinics.models import Role
from tests.browser.axe import assert_accessible
from tests.browser.conftest import screenshot, sign_in
from tests.factories import ClinicFactory, PatientFactory, UserFactory
from tests.helpers import LONDON
from tests.outcomes.data import finished

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PRACTALL_MG = (3, 10, 30, 100, 300, 1000, 3000)
DAY = datetime(2026, 3, 2, 9, 0, tzinfo=LONDON)


@pytest.fixture
def clinic_with_challenges(library):
    clinic = ClinicFactory(name="Browser Clinic", phone="+44 113 496 0000")
    allergist = UserFactory(
        username="b-allergist", role=Role.ALLERGIST, clinic=clinic, first_name="Ada", last_name="Allergist"
    )
    practall = Protocol.objects.get(clinic=None, name="PRACTALL 7-step peanut OFC")
    patient = PatientFactory(clinic=clinic)
    for n, step in enumerate((1, 2, 3, 3, 4, 4, 4, 5, 5, 6)):
        finished(
            patient=patient,
            protocol=practall,
            allergist=allergist,
            when=DAY + timedelta(days=n),
            outcome="failed",
            doses_mg=PRACTALL_MG[:step],
            grade=str(1 + n % 3),
            adrenaline=n == 4,
            symptom_minutes=4 + 7 * n,
        )
    for n in range(14):
        finished(
            patient=patient,
            protocol=practall,
            allergist=allergist,
            when=DAY + timedelta(days=20 + n),
            outcome="passed" if n else "equivocal",
            doses_mg=PRACTALL_MG,
        )
    return allergist


def test_the_allergist_reads_outcomes_and_eliciting_doses(page, live_server, clinic_with_challenges):
    sign_in(page, "b-allergist")
    page.click("nav >> text=Outcomes")
    page.wait_for_selector("[data-testid=done]")
    assert page.inner_text("[data-testid=done]") == "24 challenges done"
    chart = page.locator("svg[data-testid=chart-0]")
    assert chart.get_attribute("role") == "img"
    assert "Failed (not tolerated): 10 challenges" in (chart.locator("desc").text_content() or "")
    assert page.locator("[data-testid=chart-2-table] >> text=Step 4").count() == 1
    # The page's own content (<main>): the shared menu bar's link colours fail axe's contrast rule on every page,
    # which is base.html's matter, reported to the lead, not this page's.
    assert_accessible(page, context="main")
    screenshot(page, "21-outcomes")

    page.select_option("#id_food", "peanut")
    page.fill("#id_date_from", "2026-03-01")
    page.click("button:has-text('Show')")
    page.wait_for_selector("[data-testid=done]")
    assert page.inner_text("[data-testid=done]") == "24 challenges done"

    page.click("text=Eliciting doses per food")
    page.wait_for_selector("[data-testid=ed-table]")
    assert "Few data: 10 challenges with a reaction" in page.inner_text("[data-testid=food-thresholds]")
    ed05 = page.locator("[data-testid=ed-table] tr:has-text('ED05')").inner_text()
    assert " mg" in ed05
    assert " to " in ed05
    assert_accessible(page, context="main")
    screenshot(page, "21-eliciting-doses")
