"""The bedside and home flows in a real browser (issue 8): a nurse and an allergist run a PRACTALL challenge to a
stop and a signature; duplicates are impossible whatever the user or the network does; a patient on a phone
records a home step and a delayed symptom."""

from __future__ import annotations

import re
from datetime import timedelta
from io import BytesIO
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone
from pypdf import PdfReader

from challenges.models import Challenge, Dose, Protocol
from challenges.run import services as runs
from clinics.models import Role
from tests.browser.conftest import screenshot, sign_in
from tests.factories import ClinicFactory, PatientFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DOSE_KEY = "form:has([data-testid=record-dose]) input[name$=idempotency_key]"


@pytest.fixture
def cast(library):
    clinic = ClinicFactory(name="Browser Clinic", phone="+44 113 496 0000")
    nurse = UserFactory(username="b-nurse", role=Role.NURSE, clinic=clinic, first_name="Nia", last_name="Nurse")
    allergist = UserFactory(
        username="b-allergist", role=Role.ALLERGIST, clinic=clinic, first_name="Ada", last_name="Allergist"
    )
    patient = PatientFactory(clinic=clinic, given_name="Zoë", family_name="Ångström-Nguyễn", autoinjector_dose="0.3")
    return {"clinic": clinic, "nurse": nurse, "allergist": allergist, "patient": patient}


@pytest.fixture
def clock():
    with time_machine.travel(timezone.now().replace(second=0, microsecond=0), tick=True) as traveller:
        yield traveller


def _practall_today(cast) -> Challenge:
    protocol = Protocol.objects.get(name="PRACTALL 7-step peanut OFC")
    return runs.challenge_schedule(
        patient=cast["patient"],
        protocol=protocol,
        scheduled_at=timezone.now(),
        allergist=cast["allergist"],
        nurse=cast["nurse"],
        by=cast["nurse"],
    )


def _wait_for_next_dose(page, clock, minutes: int = 30) -> None:
    """Let the interval pass: the clock moves in 10-min hops with a reload each, as a nurse checking the page."""
    for _ in range(minutes // 10):
        clock.shift(timedelta(minutes=10))
        page.reload()


def _complete_checks(page) -> None:
    page.click("text=Pre-challenge checks")
    for name in (
        "no_illness",
        "asthma_eczema_controlled",
        "no_recent_exercise",
        "washout_confirmed",
        "consent_recorded",
        "emergency_ready",
    ):
        page.check(f"#id_{name}")
    assert page.locator("#id_premedication_taken").count() == 0  # none planned: not asked (clinical review P13)
    for name, value in {
        "heart_rate": "84",
        "systolic": "118",
        "diastolic": "72",
        "resp_rate": "16",
        "spo2": "98",
        "temperature_c": "36.7",
    }.items():
        page.fill(f"#id_{name}", value)
    page.click("text=Save the checks")
    page.wait_for_selector("text=Pre-challenge checks passed")


CHECKER = "form:has([data-testid=record-dose]) select[name=checked_by]"


def _choose_checker(page) -> None:
    """The second person who checked the dose (required for a diluted dose, docs/clinical-sources.md §12)."""
    page.select_option(CHECKER, label="Ada Allergist")


def _record_dose(page) -> None:
    _choose_checker(page)
    page.click("[data-testid=record-dose]")
    page.wait_for_selector(".alert:has-text('Dose recorded.')")


def test_nurse_runs_practall_to_a_stop_and_the_allergist_signs(page, live_server, cast, clock):
    challenge = _practall_today(cast)
    sign_in(page, "b-nurse")
    page.click("text=Today")
    page.click(f"text={cast['patient'].full_name}")
    _complete_checks(page)
    screenshot(page, "01-checks-passed")
    _record_dose(page)
    countdown = page.locator("[data-testid=countdown]")
    first = countdown.inner_text()
    page.wait_for_timeout(2100)
    assert countdown.inner_text() != first  # the countdown runs without a reload
    assert re.fullmatch(r"\d+ min( \d\d s)? left", first)  # words, never a bare "19:25" (issue 16)
    screenshot(page, "02-countdown")
    for _dose in (2, 3, 4):
        _wait_for_next_dose(page, clock)
        assert page.locator("[data-testid=countdown]").inner_text() == "Due now"
        _record_dose(page)
    assert Dose.objects.filter(challenge=challenge).count() == 4
    clock.shift(timedelta(minutes=8))
    page.reload()
    page.select_option("#id_item_code", "skin_urticaria")
    page.select_option("#id_severity", "2")
    page.fill("#id_note", "5 hives on the neck")
    page.click("[data-testid=record-finding]")
    banner = page.locator("[data-testid=stop-alert]")
    banner.wait_for()
    assert "Urticaria/angioedema" in banner.inner_text()
    assert page.locator("[data-testid=record-dose]").count() == 0
    assert page.locator("[data-testid=countdown]").count() == 0  # no "next dose" countdown while on hold
    assert "blocked by the stop rule" in page.inner_text("[data-testid=next-dose]")
    screenshot(page, "03-stop-banner")

    sign_in(page, "b-allergist")
    page.goto(f"/challenges/{challenge.pk}/")
    page.check("input[name=decision][value=stop]")
    page.fill("#id_reason", "Objective urticaria after 100 mg")
    page.click("text=Record the decision")
    page.wait_for_selector("[data-testid=status]:has-text('Stopped')")
    suggested = page.inner_text("[data-testid=suggested-grade]")
    assert suggested.startswith("1")  # one organ system (skin): WAO grade 1
    assert "WAO 2010" in suggested
    page.fill("#id_reason", "Urticaria at step 4")
    page.select_option("#id_advice", "strict_avoidance")
    page.click("[data-testid=confirm-outcome]")
    page.wait_for_selector("[data-testid=confirmed-outcome]")
    # The observation stays on the page once the outcome is confirmed, and sign-off waits for it (ux-walk 3, O5).
    waiting = "Observation starts when the symptoms have resolved"
    assert waiting in page.inner_text("[data-testid=observation]")
    page.click("[data-testid=sign]")
    assert waiting in page.inner_text("[data-testid=error]")
    page.click("[data-testid=symptoms-resolved]")
    ends = page.locator("[data-testid=observation-end]")
    ends.wait_for()
    assert "2 h after the symptoms resolved (no adrenaline)" in ends.inner_text()
    page.click("[data-testid=sign]")
    assert "to run (until" in page.inner_text("[data-testid=error]")
    screenshot(page, "04-observation-running")
    clock.shift(timedelta(hours=2, minutes=1))
    sign_in(page, "b-allergist")  # two hours on, the session has timed out
    page.goto(f"/challenges/{challenge.pk}/")
    assert "Observation complete" in page.inner_text("[data-testid=observation]")
    page.click("[data-testid=sign]")
    page.wait_for_selector("text=Locked.")
    screenshot(page, "05-signed")
    challenge.refresh_from_db()
    assert challenge.is_signed
    assert challenge.outcome == "failed"
    assert challenge.grade.startswith("1")
    with page.expect_download() as download_info:
        page.click("[data-testid=report]")
    pdf = Path(download_info.value.path()).read_bytes()
    text = " ".join(p.extract_text() for p in PdfReader(BytesIO(pdf)).pages)
    assert "Zoë Ångström-Nguyễn" in text
    # Steps 1-4 are mixes of peanut flour: the cumulative counts what they delivered, 2.871 + 9.918 + 29.232 +
    # 100.224 = 142.245 mg (not the 143 mg planned).
    assert "142.2 mg" in text
    assert "Ada Allergist" in text
    assert "UNSIGNED DRAFT" not in text
    assert pdf == bytes(challenge.signed_pdf)  # the stored, signed PDF exactly


def test_duplicates_are_impossible_and_failures_are_explained(page, live_server, cast, clock):
    challenge = _practall_today(cast)
    sign_in(page, "b-nurse")
    page.goto(f"/challenges/{challenge.pk}/")
    _complete_checks(page)
    # A double tap on the button.
    _choose_checker(page)
    page.dblclick("[data-testid=record-dose]")
    page.wait_for_selector(".alert:has-text('Dose recorded.')")
    assert Dose.objects.filter(challenge=challenge).count() == 1
    # The network fails during the next submit: the page says nothing was saved.
    _wait_for_next_dose(page, clock)
    page.route("**/dose/", lambda route: route.abort())
    _choose_checker(page)
    page.click("[data-testid=record-dose]")
    failure = page.locator("[data-testid=not-saved]")
    failure.wait_for()
    assert "Not saved" in failure.inner_text()
    assert Dose.objects.filter(challenge=challenge).count() == 1
    screenshot(page, "05-network-failure")
    # The connection is back: pressing again records it, once.
    page.unroute("**/dose/")
    sent_key = page.input_value(DOSE_KEY)
    page.click("[data-testid=record-dose]")
    page.wait_for_selector(".alert:has-text('Dose recorded.')")
    assert Dose.objects.filter(challenge=challenge).count() == 2
    # The session ends while the nurse fills in a finding: it is not saved, she is told, and what she typed stays.
    page.fill("#id_note", "itchy palms")
    page.context.clear_cookies(name="sessionid")  # the session ended; the CSRF cookie outlives it
    page.click("[data-testid=record-finding]")
    signed_out = page.locator("form:has([data-testid=record-finding]) [data-testid=not-saved]")
    signed_out.wait_for()
    assert "you were signed out" in signed_out.inner_text()
    assert page.input_value("#id_note") == "itchy palms"
    assert challenge.observations.count() == 0
    sign_in(page, "b-nurse")
    page.goto(f"/challenges/{challenge.pk}/")
    # The dose form sent again as it was before the last dose (a second tab opened earlier, a restored tab; the
    # back button cannot bring it back: the pages are no-store and the post replaces the page): nothing is added,
    # and it says so.
    assert page.input_value(DOSE_KEY) != sent_key  # the fresh page has a fresh key...
    page.locator(DOSE_KEY).evaluate("(input, key) => { input.value = key; }", sent_key)  # ...this is the old form
    _choose_checker(page)
    page.click("[data-testid=record-dose]")
    page.wait_for_selector(".alert:has-text('already recorded')")
    assert Dose.objects.filter(challenge=challenge).count() == 2


def test_patient_on_a_phone_records_a_step_and_a_delayed_symptom(browser, live_server, cast, clock):
    patient_user = UserFactory(username="b-patient", role=Role.PATIENT, clinic=cast["clinic"])
    cast["patient"].user = patient_user
    cast["patient"].save()
    protocol = Protocol.objects.get(name="MCAS slow home reintroduction: cheesecake")
    plan = runs.challenge_schedule(
        patient=cast["patient"],
        protocol=protocol,
        scheduled_at=timezone.now(),
        allergist=cast["allergist"],
        nurse=None,
        by=cast["allergist"],
        first_step_in_clinic=False,  # the allergist lets her start at home (the default is a supervised first step)
    )
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, base_url=live_server.url, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    sign_in(page, "b-patient")
    page.wait_for_selector("[data-testid=today]")
    assert "crumb" in page.inner_text("[data-testid=amount]")
    screenshot(page, "06-phone-today")
    page.click("text=Record premedication")
    page.wait_for_selector(".alert:has-text('Saved: your premedication')")
    clock.shift(timedelta(minutes=25))  # cromolyn 25-30 min before the food
    page.reload()
    page.click("[data-testid=take-step]")
    page.wait_for_selector(".alert:has-text('Saved: you ate step')")
    assert page.locator("[data-testid=watch]").count() == 1
    # 30 hours later: flushing. (The session has expired meanwhile; she signs in again.)
    clock.shift(timedelta(hours=30))
    sign_in(page, "b-patient")
    page.select_option("#id_item_code", "mcas_flushing")
    page.check("input[name=severity][value='2']")
    page.fill("#id_note", "Face and chest, hot")
    page.click("[data-testid=record-symptom]")
    paused = page.locator("[data-testid=paused]")
    paused.wait_for()
    assert "Your plan is paused" in paused.inner_text()
    assert "0.3 mg" in paused.inner_text()
    screenshot(page, "07-phone-paused")
    plan.refresh_from_db()
    assert plan.status == "paused"
    assert plan.doses.count() == 1
    assert plan.treatments.count() == 1
    context.close()
