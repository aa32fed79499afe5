"""The clinic's outcomes (allergists only, their own clinic): the page, its PDF and CSV; the eliciting-dose
distributions per food; the de-identified research export.

Thin: the access check, the filter form, the reads (selectors, facts), then a page or a download.
"""

from __future__ import annotations

from typing import TypeVar

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from audit.models import Action
from audit.services import log_access
from challenges import access
from challenges.outcomes import charts, facts, selectors
from challenges.outcomes import render as outcome_files
from challenges.outcomes.forms import OutcomeFilterForm, ThresholdFilterForm
from clinical import threshold_intervals, thresholds
from clinics.access import require_allergist, staff_clinic
from clinics.http import AuthenticatedHttpRequest

FormT = TypeVar("FormT", bound=OutcomeFilterForm)


def _form(request: AuthenticatedHttpRequest, form_class: type[FormT]) -> FormT:
    require_allergist(request.user)
    form = form_class(request.GET)
    form.is_valid()  # every field is optional: an invalid one is shown with its message and counts as "all"
    return form


def _filters(form: OutcomeFilterForm) -> selectors.Filters:
    return form.filters() if form.is_valid() else selectors.Filters()


def _scope(form: OutcomeFilterForm) -> str:
    return form.describe() if form.is_valid() else "All challenges"


def _download(content: bytes, *, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@require_safe
def outcomes(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = _form(request, OutcomeFilterForm)
    figures = selectors.figures(access.challenges_for(request.user), _filters(form))
    chart_list = [
        {"id": f"chart-{n}", "title": title, "bars": bars, "svg": charts.bar_chart(f"chart-{n}", title, bars)}
        for n, (title, bars, _unit) in enumerate(outcome_files.sections(figures))
    ]
    context = {"form": form, "figures": figures, "charts": chart_list, "query": request.GET.urlencode()}
    return render(request, "challenges/outcomes/outcomes.html", context)


@require_safe
def outcomes_pdf(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = _form(request, OutcomeFilterForm)
    figures = selectors.figures(access.challenges_for(request.user), _filters(form))
    log_access(request, patient=None, action=Action.PDF_DOWNLOAD)
    content = outcome_files.outcomes_pdf(
        figures, clinic=staff_clinic(request.user).name, scope=_scope(form), created=timezone.now().isoformat()
    )
    return _download(content, content_type="application/pdf", filename=_name("outcomes", "pdf"))


@require_safe
def outcomes_csv(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = _form(request, OutcomeFilterForm)
    figures = selectors.figures(access.challenges_for(request.user), _filters(form))
    log_access(request, patient=None, action=Action.EXPORT_DOWNLOAD)
    content = outcome_files.outcomes_csv(figures, _scope(form))
    return _download(content, content_type="text/csv; charset=utf-8", filename=_name("outcomes", "csv"))


@require_safe
def eliciting_doses(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = _form(request, ThresholdFilterForm)
    challenges, filters = access.challenges_for(request.user), _filters(form)
    food_rows = selectors.threshold_foods(challenges, filters)
    foods = facts.foods(food_rows)
    shown = request.GET.get("show", "")[:160]
    shown = shown if shown in dict(foods) else (foods[0][0] if foods else "")
    basis = form.basis_value() if form.is_valid() else threshold_intervals.CUMULATIVE
    result = (
        facts.food_thresholds(
            selectors.threshold_summaries(challenges, filters, facts.food_query(food_rows, shown)),
            food=shown,
            basis=basis,
            replicates=thresholds.BOOTSTRAP_REPLICATES,
        )
        if shown
        else None
    )
    context = {
        "form": form,
        "foods": foods,
        "shown": shown,
        "basis": basis,
        "food": result,
        "estimates": _estimates(result),
        "fits": _fits(result),
        "brackets": facts.bracket_bars(result.intervals) if result else (),
        "brackets_svg": charts.bar_chart("brackets", "Threshold intervals", facts.bracket_bars(result.intervals))
        if result
        else "",
        "query": request.GET.urlencode(),
    }
    return render(request, "challenges/outcomes/eliciting_doses.html", context)


def _estimates(result: facts.FoodThresholds | None) -> list[dict[str, object]]:
    if result is None or not isinstance(result.result, thresholds.Distribution):
        return []
    fits = result.result.fits
    return [
        {
            "estimate": e,
            "text": thresholds.estimate_text(e),
            "point": thresholds.dose_text(e.mg),
            "low": thresholds.dose_text(e.low_mg),
            "high": thresholds.dose_text(e.high_mg),
            "per_model": [thresholds.dose_text(f.ed(float(e.fraction))) for f in fits],
        }
        for e in result.result.estimates
    ]


def _fits(result: facts.FoodThresholds | None) -> list[dict[str, str]]:
    if result is None or not isinstance(result.result, thresholds.Distribution):
        return []
    return [
        {
            "label": thresholds.MODEL_LABELS[fit.model],
            "mu": f"{fit.mu:.3f}",
            "sigma": f"{fit.sigma:.3f}",
            "aic": f"{fit.aic:.1f}",
            "weight": f"{weight:.2f}",
        }
        for fit, weight in zip(result.result.fits, result.result.weights, strict=True)
    ]


@require_safe
def research_csv(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = _form(request, OutcomeFilterForm)
    rows = selectors.threshold_rows(access.challenges_for(request.user), _filters(form))
    log_access(request, patient=None, action=Action.EXPORT_DOWNLOAD)
    content = outcome_files.table_csv(facts.RESEARCH_HEADER, facts.research_rows(rows))
    return _download(content, content_type="text/csv; charset=utf-8", filename=_name("thresholds-deidentified", "csv"))


def _name(what: str, extension: str) -> str:
    return f"stepwise-{what}-{timezone.localdate().isoformat()}.{extension}"
