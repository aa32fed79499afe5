"""The patient's phone in a real browser (issue 17): a 390 px touch screen. A double tap, and Back and send again,
record one symptom; hives show "paused" in view; the clinic's decision arrives as a message and in "My steps";
the password-reset email reaches a real SMTP server and its link works once; axe-core finds no serious problem on
the patient's pages, at 360 px and with the text at 200 %."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone

from challenges.home import services as home
from challenges.models import Observation, Protocol, StopAlert
from challenges.run import services as runs
from clinics.models import Role
from tests.browser.axe import assert_accessible
from tests.browser.conftest import screenshot, sign_in
from tests.factories import ClinicFactory, PatientFactory, UserFactory
from tests.mailbox import mailbox_fixture  # noqa: F401 - the `mailbox` fixture (an SMTP server)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
SYMPTOM_KEY = "form:has([data-testid=record-symptom]) input[name=submission_key]"


@pytest.fixture
def clock():
    with time_machine.travel(timezone.now().replace(second=0, microsecond=0), tick=True) as traveller:
        yield traveller


@pytest.fixture
def zoe(library):
    """Zoë's MCAS cheesecake plan, started at home: her first step taken an hour ago."""
    clinic = ClinicFactory(name="Phone Clinic", phone="+44 113 496 0000")
    allergist = UserFactory(
        username="p-allergist", role=Role.ALLERGIST, clinic=clinic, first_name="Amira", last_name="Okafor"
    )
    user = UserFactory(username="p-patient", role=Role.PATIENT, clinic=clinic, email="zoe@example.org")
    patient = PatientFactory(
        clinic=clinic,
        given_name="Zoë",
        family_name="Ångström-Nguyễn",
        autoinjector_dose="0.3",
        user=user,
        emergency_contact_name="Sam",
        emergency_contact_phone="07700 900123",
    )
    plan = runs.challenge_schedule(
        patient=patient,
        protocol=Protocol.objects.get(name="MCAS slow home reintroduction: cheesecake"),
        scheduled_at=timezone.now() - timedelta(hours=2),
        allergist=allergist,
        nurse=None,
        by=allergist,
        first_step_in_clinic=False,
    )
    home.patient_dose(
        challenge=plan, by=user, given_at=timezone.now() - timedelta(hours=1), food_amount=None, key=uuid.uuid4()
    )
    return {"plan": plan, "user": user, "allergist": allergist}


def _phone(browser, live_server, **extra):
    context = browser.new_context(base_url=live_server.url, **PHONE, **extra)
    return context, context.new_page()


def _fill_symptom(page, item: str = "mcas_headache", severity: str = "1") -> None:
    page.locator("#record-symptom").scroll_into_view_if_needed()  # she is down at the form, as on a phone
    page.select_option("#id_item_code", item)
    page.check(f"input[name=severity][value='{severity}']")


def _in_view(page, selector: str) -> bool:
    box = page.locator(selector).first.bounding_box()
    return box is not None and 0 <= box["y"] < page.viewport_size["height"]


def test_a_double_tap_and_back_and_send_again_record_one_symptom(browser, live_server, zoe, clock):
    context, page = _phone(browser, live_server)
    sign_in(page, "p-patient")
    _fill_symptom(page)
    page.locator("[data-testid=record-symptom]").dblclick()  # a double tap
    page.wait_for_selector("[data-testid=flash]:has-text('Saved: A headache, mild.')")
    assert Observation.objects.filter(challenge=zoe["plan"]).count() == 1
    context.close()

    # Without JavaScript: the form posts, the answer page comes back; Back, and the same form sent again.
    context, page = _phone(browser, live_server, java_script_enabled=False)
    sign_in(page, "p-patient")
    _fill_symptom(page, "mcas_brain_fog")
    sent_key = page.input_value(SYMPTOM_KEY)
    page.click("[data-testid=record-symptom]")
    page.wait_for_selector("[data-testid=flash]:has-text('Saved: Brain fog')")
    page.go_back()
    page.wait_for_selector("[data-testid=record-symptom]")
    # The form as the browser restores it: the same choices and the same hidden one-time key.
    page.locator(SYMPTOM_KEY).evaluate("(input, key) => { input.value = key; }", sent_key)
    _fill_symptom(page, "mcas_brain_fog")
    page.click("[data-testid=record-symptom]")
    page.wait_for_selector("[data-testid=flash]:has-text('Already recorded')")
    assert Observation.objects.filter(challenge=zoe["plan"], item_code="mcas_brain_fog").count() == 1
    assert Observation.objects.filter(challenge=zoe["plan"]).count() == 2
    context.close()


def test_hives_show_paused_in_view_and_the_clinics_decision_arrives(browser, live_server, zoe, clock):
    context, page = _phone(browser, live_server)
    sign_in(page, "p-patient")
    _fill_symptom(page, "skin_urticaria", "1")
    page.fill("#id_note", "A few hives on my neck and arms")
    page.tap("[data-testid=record-symptom]")
    flash = page.locator("[data-testid=flash]:has-text('Saved: Hives')")
    flash.wait_for()
    assert "Do not take the next step: your plan is paused" in flash.inner_text()
    # The answer page brings its message into view (whichever script scrolls it there).
    page.wait_for_function(
        "() => { const r = document.querySelector('[data-testid=flash]').getBoundingClientRect();"
        " return r.top >= 0 && r.top < window.innerHeight; }",
        timeout=5000,
    )
    assert _in_view(page, "[data-testid=flash]")
    assert _in_view(page, "[data-testid=paused]")
    assert "Hives (raised, itchy bumps or welts)" in page.inner_text("[data-testid=pause-reasons]")
    screenshot(page, "h17-phone-hives-paused-viewport")
    assert_accessible(page)

    alert = StopAlert.objects.get(challenge=zoe["plan"])
    runs.alert_decide(
        alert=alert, by=zoe["allergist"], decision="repeat", reason="A few hives only: repeat 1/8 with cromolyn"
    )
    page.reload()
    message = page.locator("[data-testid=clinic-message]")
    assert "Message from Phone Clinic" in message.inner_text()
    assert "take the same step again" in message.inner_text()
    assert "Why: A few hives only: repeat 1/8 with cromolyn" in message.inner_text()
    assert "take step 1 again" in message.inner_text()
    assert _in_view(page, "[data-testid=clinic-message]")
    assert "Step 1 (again)" in page.inner_text("[data-testid=my-next-step]")
    assert page.locator("[data-testid=paused]").count() == 0
    screenshot(page, "h17-phone-clinic-message")
    context.close()


def test_the_password_reset_email_arrives_and_its_link_works_once(browser, live_server, zoe, mailbox):
    cache.clear()
    context, page = _phone(browser, live_server)
    page.goto("/accounts/login/")
    page.tap("[data-testid=forgot-password]")
    page.fill("#id_email", "zoe@example.org")
    page.tap("button[type=submit]")
    page.wait_for_selector("[data-testid=reset-sent]")
    assert_accessible(page)
    [mail] = mailbox.wait_for(1)
    assert mail["To"] == "zoe@example.org"
    link = re.search(r"https?://\S+/accounts/password/reset/\S+/", mailbox.body(mail)).group(0)
    page.goto(link)
    page.fill("#id_new_password1", "a-new-long-passphrase-for-zoe")
    page.fill("#id_new_password2", "a-new-long-passphrase-for-zoe")
    page.tap("button[type=submit]")
    page.wait_for_selector("[data-testid=reset-complete]")
    page.goto(link)
    page.wait_for_selector("[data-testid=reset-invalid]")  # once only
    sign_in(page, "p-patient", password="a-new-long-passphrase-for-zoe")
    page.wait_for_selector("[data-testid=today]")
    context.close()


def _overflowing(page) -> list[str]:
    """Elements of the page wider than their box, or running past the screen's right edge."""
    return page.evaluate(
        """() => {
          const width = document.documentElement.clientWidth;
          const found = [];
          for (const el of document.querySelectorAll("main .card, main .alert, main section, main .countdown")) {
            const box = el.getBoundingClientRect();
            if (box.right > width + 1 || el.scrollWidth > el.clientWidth + 1) {
              const wide = [...el.querySelectorAll("*")].filter((c) => c.getBoundingClientRect().right > box.right);
              found.push(el.className + " " + wide.map((c) => c.tagName + "." + c.className).join(","));
            }
          }
          if (document.documentElement.scrollWidth > width + 1) { found.push("page"); }
          return found;
        }"""
    )


@pytest.mark.parametrize("width", [360, 390])
def test_the_patients_pages_fit_the_phone_pass_axe_and_work_at_200_percent_text(
    browser, live_server, zoe, clock, width
):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 800}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    sign_in(page, "p-patient")
    page.wait_for_selector("[data-testid=locked]")  # the long countdown: "23 h 59 min" and more
    assert page.get_attribute("[data-testid=clinic-phone]", "href") == "tel:+441134960000"
    assert page.locator("a[href='tel:07700900123']").count() == 1
    assert _overflowing(page) == []
    assert_accessible(page)
    # The browser's text size at 200 % (as a phone's accessibility setting does): still nothing runs off.
    page.evaluate("() => { document.documentElement.style.fontSize = '200%'; }")
    assert _overflowing(page) == []
    page.locator("[data-testid=record-symptom]").scroll_into_view_if_needed()
    assert page.locator("[data-testid=record-symptom]").is_visible()
    # The symptom form for one thumb: targets at least 44 px high.
    for selector in ("#id_item_code", "[data-testid=record-symptom]"):
        assert page.locator(selector).bounding_box()["height"] >= 44, selector
    observation = home.patient_symptom(
        challenge=zoe["plan"], by=zoe["user"], item_code="mcas_itch", severity=1, observed_at=timezone.now()
    )
    page.goto(f"/challenges/{zoe['plan'].pk}/plan/symptom/{observation.pk}/correct/")
    assert_accessible(page)
    assert _overflowing(page) == []
    context.close()
