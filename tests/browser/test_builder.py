"""Building protocols in a real browser (issue 16): the dose table follows what the allergist types, only the chosen
generator's fields show, the edit page shows grams and preparation, and "Change the plan" edits prefilled rows.

Expected figures come from the clinical functions (clinical.dosing, clinical.plan) formatted by the pages' own
template filters. Each flow runs at 1366x768 (a laptop) and 768x1024 (a tablet held upright)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from challenges.library.facts import food_spec, protocol_steps
from challenges.library.services.protocols import protocol_clone
from challenges.models import Food, Protocol
from challenges.run import services as runs
from challenges.templatetags.stepwise import amount, mg
from clinical import ladders, plan
from clinics.models import Role
from tests.browser.axe import assert_accessible
from tests.browser.conftest import screenshot, sign_in
from tests.factories import ClinicFactory, PatientFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
VIEWPORTS = [pytest.param((1366, 768), id="1366x768"), pytest.param((768, 1024), id="768x1024")]
PROTEIN_CELLS = "[data-preview-url] [data-testid=steps] tbody tr td:nth-child(2)"
FOOD_CELLS = "[data-preview-url] [data-testid=steps] tbody tr td:nth-child(3)"


@pytest.fixture(params=VIEWPORTS)
def sized_page(request, browser, live_server):
    width, height = request.param
    context = browser.new_context(viewport={"width": width, "height": height}, base_url=live_server.url)
    yield context.new_page()
    context.close()


@pytest.fixture
def allergist(library):
    clinic = ClinicFactory(name="Builder Clinic")
    return UserFactory(
        username="b-allergist", role=Role.ALLERGIST, clinic=clinic, first_name="Ada", last_name="Allergist"
    )


@pytest.fixture
def peanut_flour(library) -> Food:
    return Food.objects.get(clinic=None, name="Peanut flour", form="defatted")


def _size(page) -> str:
    return f"{page.viewport_size['width']}x{page.viewport_size['height']}"


def _lines(food: Food, params: plan.GeneratorInput) -> list[plan.StepLine]:
    spec = food_spec(food)
    return plan.step_lines(spec, plan.generate_steps(params, food=spec))


def _expect_table(page, lines: list[plan.StepLine]) -> None:
    """The preview's protein and food columns, as the clinical functions compute them (waits for the update)."""
    expect(page.locator(PROTEIN_CELLS)).to_have_text([mg(line.protein_mg) for line in lines])
    food_cells = page.locator(FOOD_CELLS)
    for index, line in enumerate(lines):
        expect(food_cells.nth(index)).to_contain_text(amount(line.food_amount, line.food_unit))


def test_the_dose_table_follows_what_is_typed(sized_page, allergist, peanut_flour):
    page = sized_page
    sign_in(page, "b-allergist")
    page.goto(reverse("challenges:protocol-create"))
    page.select_option("#id_food", str(peanut_flour.pk))
    page.select_option("#id_gen-generator", "geometric")
    # Only the geometric ladder's fields show.
    for name in ("start_mg", "top_mg", "steps", "factor", "exact", "interval_minutes"):
        expect(page.locator(f"#div_id_gen-{name}")).to_be_visible()
    for name in ("weight_kg", "protein_g_per_kg", "grams_per_measure", "serving", "days_between", "lip_smear"):
        expect(page.locator(f"#div_id_gen-{name}")).to_be_hidden()
    page.fill("#id_gen-start_mg", "10")
    page.fill("#id_gen-top_mg", "3000")
    page.fill("#id_gen-steps", "6")
    rounded = plan.GeneratorInput("geometric", start_mg=Decimal(10), top_mg=Decimal(3000), steps=6)
    lines = _lines(peanut_flour, rounded)
    assert [line.protein_mg for line in lines] == ladders.round_ladder_semilog(
        ladders.geometric_ladder(Decimal(10), Decimal(3000), steps=6)
    )  # rounded by default
    _expect_table(page, lines)
    expect(page.locator("[data-preview-url] [data-testid=cumulative]")).to_have_text(
        mg(lines[-1].cumulative_protein_mg)
    )
    for line in lines:
        expect(page.locator("[data-preview-url] [data-testid=steps]")).to_contain_text(line.instructions)
    screenshot(page, f"builder-01-geometric-preview-{_size(page)}")

    page.fill("#id_gen-top_mg", "1000")  # typing again redraws the table
    _expect_table(
        page,
        _lines(peanut_flour, plan.GeneratorInput("geometric", start_mg=Decimal(10), top_mg=Decimal(1000), steps=6)),
    )
    page.fill("#id_gen-interval_minutes", "5")  # the rules' errors show as they are met
    expect(page.locator("[data-preview-url] [data-testid=issues-error]")).to_contain_text(
        "allow at least 15 min between doses"
    )
    page.fill("#id_gen-interval_minutes", "30")
    expect(page.locator("[data-preview-url]")).not_to_contain_text("allow at least 15 min")
    page.fill("#id_gen-start_mg", "1,5")  # a typo names its field instead of a table
    expect(page.locator("[data-testid=preview-corrections]")).to_contain_text("Start dose (mg protein)")
    page.fill("#id_gen-start_mg", "10")

    page.select_option("#id_gen-generator", "fpies")
    expect(page.locator("#div_id_gen-start_mg")).to_be_hidden()
    expect(page.locator("#div_id_gen-weight_kg")).to_be_visible()
    page.fill("#id_gen-weight_kg", "8")
    _expect_table(page, _lines(peanut_flour, plan.GeneratorInput("fpies", weight_kg=Decimal(8))))
    screenshot(page, f"builder-02-fpies-preview-{_size(page)}")
    assert_accessible(page)
    assert not Protocol.objects.filter(clinic=allergist.clinic).exists()  # a preview saves nothing


def test_the_edit_page_shows_grams_and_preparation_as_you_type(sized_page, allergist, library):
    page = sized_page
    practall = Protocol.objects.get(clinic=None, name="PRACTALL 7-step peanut OFC")
    protocol = protocol_clone(protocol=practall, clinic=allergist.clinic, by=allergist)
    sign_in(page, "b-allergist")
    page.goto(reverse("challenges:protocol-edit", args=[protocol.pk]))
    spec = food_spec(protocol.food)
    stored = plan.step_lines(spec, protocol_steps(protocol))
    _expect_table(page, stored)  # on opening, before anything is typed
    expect(page.locator("[data-preview-url] [data-testid=steps]")).to_contain_text(stored[0].instructions)
    page.fill("#id_steps-1-protein_mg", "20")
    steps = protocol_steps(protocol)
    steps[1] = plan.PlannedStep(2, Decimal(20), None, "", steps[1].interval_minutes)
    _expect_table(page, plan.step_lines(spec, steps))
    screenshot(page, f"builder-03-edit-preview-{_size(page)}")
    assert_accessible(page)
    assert protocol.steps.get(number=2).protein_mg == stored[1].protein_mg  # nothing saved


def test_the_edit_page_adds_a_step_row_without_a_round_trip(sized_page, allergist, library):
    page = sized_page
    practall = Protocol.objects.get(clinic=None, name="PRACTALL 7-step peanut OFC")
    protocol = protocol_clone(protocol=practall, clinic=allergist.clinic, by=allergist)
    sign_in(page, "b-allergist")
    page.goto(reverse("challenges:protocol-edit", args=[protocol.pk]))
    rows = page.locator("[data-testid=step-editor] tbody tr[data-row]")
    before = rows.count()  # the 7 steps and the formset's blank rows
    page.click("[data-formset-add=steps]")
    expect(rows).to_have_count(before + 1)
    expect(page.locator(f"#id_steps-{before}-role")).to_be_focused()  # the new row's first field
    expect(rows.nth(before).locator("[data-row-number]")).to_have_text(str(before + 1))
    # Fill the new row only (the blank rows before it stay blank and are ignored): an 8th step of 4,000 mg.
    page.fill(f"#id_steps-{before}-protein_mg", "4000")
    page.fill(f"#id_steps-{before}-wait", "30")
    expect(page.locator(PROTEIN_CELLS).last).to_have_text(mg(Decimal(4000)))
    page.locator("button[name=save]").first.click()
    page.wait_for_load_state()
    current = Protocol.objects.get(lineage=protocol.lineage, is_current=True)
    assert [step.protein_mg for step in current.steps.order_by("number")][-1] == Decimal(4000)
    assert current.steps.count() == 8


def test_change_the_plan_edits_prefilled_rows(sized_page, allergist, library):
    page = sized_page
    patient = PatientFactory(clinic=allergist.clinic, given_name="Zoë", family_name="Ångström-Nguyễn")
    home = Protocol.objects.get(clinic=None, name="MCAS slow home reintroduction: cheesecake")
    challenge = runs.challenge_schedule(
        patient=patient,
        protocol=home,
        scheduled_at=timezone.now(),
        allergist=allergist,
        nurse=None,
        by=allergist,
        first_step_in_clinic=False,
    )
    steps = list(home.steps.order_by("number"))
    sign_in(page, "b-allergist")
    page.goto(reverse("challenges:home-change", args=[challenge.pk]))
    for index, step in enumerate(steps):  # every remaining step is a row, prefilled from the plan
        expect(page.locator(f"input[name=steps-{index}-amount]")).to_have_value(
            format(step.food_amount.normalize(), "f")
        )
        expect(page.locator(f"input[name=steps-{index}-household_measure]")).to_have_value(step.household_measure)
    assert_accessible(page)
    screenshot(page, f"builder-04-change-plan-rows-{_size(page)}")

    page.fill("input[name=steps-0-amount]", "0.2")
    page.check("input[name=steps-1-DELETE]")
    blank = len(steps)  # the blank row after the plan's steps
    page.fill(f"input[name=steps-{blank}-amount]", "90")
    page.click("[data-formset-add=steps]")  # a row added in the page, no round trip
    expect(page.locator(f"input[name=steps-{blank + 1}-amount]")).to_be_focused()
    page.fill(f"input[name=steps-{blank + 1}-amount]", "100")
    page.fill(f"input[name=steps-{blank + 1}-wait]", "2")
    page.fill("#id_reason", "Slower after flushing")
    page.click("text=Save the new plan")
    expect(page.locator(".alert-success")).to_contain_text("Plan changed")
    challenge.refresh_from_db()
    changed = list(challenge.protocol.steps.order_by("number"))
    expected = [Decimal("0.2"), *(s.food_amount for s in steps[2:]), Decimal(90), Decimal(100)]
    assert [s.food_amount for s in changed] == expected
    assert changed[-1].interval_minutes == 2 * 24 * 60
    assert home.steps.count() == len(steps)  # the library's plan is unchanged
