"""Protocol-library pages: foods and protocols. Thin: load through challenges.access, bind forms, call a service.

Staff (allergists and nurses) read the standard library and their clinic's own; only allergists create, edit
and clone. Anyone else gets 404 (see challenges.access).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, prefetch_related_objects
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from challenges import access
from challenges.library.forms.editor import ProtocolEditor
from challenges.library.forms.errors import error_lines, error_messages
from challenges.library.forms.filters import FoodFilterForm, ProtocolFilterForm
from challenges.library.forms.foods import FoodForm, food_initial
from challenges.library.forms.generator import GeneratorForm
from challenges.library.forms.header import ProtocolHeaderForm
from challenges.library.models import StepRole
from challenges.library.services.foods import FoodError, food_create, food_update
from challenges.library.services.protocols import (
    ProtocolDraft,
    ProtocolError,
    draft_from_protocol,
    draft_issues,
    food_spec,
    powder_alternatives,
    protocol_clone,
    protocol_create,
    protocol_in_use,
    protocol_update,
)
from challenges.models import Food, Protocol
from clinical import dosing, ladders, plan, step_checks, washout_rules
from clinical.checklist import CHECKLIST, ORGAN_LABELS, SEVERITY_LABELS, Organ
from clinical.display import amount_text
from clinical.durations import format_hours, format_minutes
from clinical.kinds import kind_defaults
from clinical.stop_rules import StopRuleError, StopRules
from clinical.units import QuantityError
from clinics.access import require_allergist, require_clinic_staff, staff_clinic
from clinics.http import AuthenticatedHttpRequest

# What can go wrong when a protocol is saved; each becomes a message on the page, never a 500.
SAVE_ERRORS = (ProtocolError, dosing.DosingError, ValidationError)


# --- protocols -----------------------------------------------------------------------------------------------


@require_GET
def protocol_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_clinic_staff(request.user)
    form = ProtocolFilterForm(request.GET, foods=access.foods_for(request.user))
    protocols = access.protocols_for(request.user).select_related("food").annotate(step_count=Count("steps"))
    filters = form.cleaned_data if form.is_valid() else {}
    if not filters.get("all_versions"):
        protocols = protocols.current()
    if filters.get("food"):
        protocols = protocols.filter(food=filters["food"])
    if filters.get("kind"):
        protocols = protocols.filter(kind=filters["kind"])
    context = {"form": form, "protocols": protocols, "can_create": request.user.is_allergist}
    return render(request, "challenges/protocol_list.html", context)


@require_GET
def protocol_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    protocol = access.get_protocol_for_staff(request.user, pk)
    prefetch_related_objects([protocol], "steps", "premedications")
    draft = draft_from_protocol(protocol)
    mine = request.user.is_allergist and protocol.clinic_id == request.user.clinic_id
    context = {
        "protocol": protocol,
        "steps": step_rows(protocol.food, draft.steps, clinic_id=request.user.clinic_id),
        "issues": draft_issues(draft, clinic_id=request.user.clinic_id),
        "checklist": checklist_groups(protocol.checklist_items),
        "stop_rules": stop_rule_sentences(protocol.stop_rules),
        "washout": washout_rows(protocol.washout_rules),
        "observation_text": format_minutes(protocol.observation_minutes),
        "versions": access.protocols_for(request.user).filter(lineage=protocol.lineage).order_by("-version"),
        "can_edit": mine and protocol.is_current,
        "can_clone": request.user.is_allergist,
    }
    return render(request, "challenges/protocol_detail.html", context)


_NEW_INITIAL = {"dose_basis": "protein", "kind": "open"}


@require_http_methods(["GET", "POST"])
def protocol_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_allergist(request.user)
    previewing = "preview" in request.POST  # the "Preview" button (the page without JavaScript): nothing is saved
    foods = access.foods_for(request.user)
    header = ProtocolHeaderForm(request.POST or None, foods=foods, initial=_NEW_INITIAL, preview=previewing)
    generator = GeneratorForm(request.POST or None, prefix="gen")
    context: dict[str, Any] = {"header": header, "generator": generator, "preview": None, "preview_stale": False}
    if previewing:
        context["preview"] = _new_preview(header, generator, clinic_id=request.user.clinic_id)
    elif request.method == "POST" and all([header.is_valid(), generator.is_valid()]):
        try:
            draft = _new_protocol_draft(header, generator)
            protocol = protocol_create(clinic=request.user.clinic, by=request.user, draft=draft)
        except dosing.DosingError as exc:
            generator.add_dosing_error(exc, header=header)
        except SAVE_ERRORS as exc:
            header.add_error(None, error_messages(exc))
        else:
            messages.success(request, _("Protocol created. Check the steps and the rules, then save."))
            _warn(request, protocol)
            return redirect("challenges:protocol-edit", pk=protocol.pk)
    return render(request, "challenges/protocol_new.html", context)


def protocol_new_preview(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The new-protocol page's dose table as typed (an HTML fragment for static/stepwise/protocol_builder.js).

    Read-only: the same forms validate the input and the same rules compute the doses; nothing is saved."""
    require_allergist(request.user)
    if request.method != "POST":  # checked after access, so a nurse learns nothing (404) from a GET either
        return HttpResponseNotAllowed(["POST"])
    header = ProtocolHeaderForm(request.POST, foods=access.foods_for(request.user), preview=True)
    generator = GeneratorForm(request.POST, prefix="gen")
    preview = _new_preview(header, generator, clinic_id=request.user.clinic_id)
    return render(request, "challenges/includes/_protocol_preview.html", {"preview": preview})


def protocol_edit_preview(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The edit page's dose table for the rows as typed (an HTML fragment); read-only, like protocol_new_preview."""
    protocol = access.get_protocol_for_allergist(request.user, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    editor = ProtocolEditor(request.POST, protocol=protocol, foods=access.foods_for(request.user), preview=True)
    preview = _editor_preview(editor, clinic_id=request.user.clinic_id)
    return render(request, "challenges/includes/_protocol_preview.html", {"preview": preview})


def _new_protocol_draft(header: ProtocolHeaderForm, generator: GeneratorForm) -> ProtocolDraft:
    """What the two forms say, plus the kind's default checklist, stop rules and wash-out (clinical.kinds)."""
    fields = header.draft_fields()
    steps = generator.steps_from_generator(food=fields["food"], watch_hours=fields["watch_hours"])
    if generator.cleaned_data["generator"] == "fpies" and fields["fpies_protein_g_per_kg"] is None:
        # Generated per kg: booking regenerates the portions for the patient's own weight.
        fields["fpies_protein_g_per_kg"] = generator.cleaned_data["protein_g_per_kg"] or ladders.FPIES_DEFAULT_G_PER_KG
    return ProtocolDraft(**fields, steps=steps, **kind_defaults(fields["kind"]).as_data())


@require_http_methods(["GET", "POST"])
def protocol_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    protocol = access.get_protocol_for_allergist(request.user, pk)
    previewing = "preview" in request.POST
    foods = access.foods_for(request.user)
    editor = ProtocolEditor(request.POST or None, protocol=protocol, foods=foods, preview=previewing)
    if request.method == "POST" and "regenerate" in request.POST:
        if editor.regenerate_steps():
            messages.info(request, _("Steps replaced by the generator's. Nothing is saved until you save."))
    elif request.method == "POST" and not previewing and editor.is_valid():
        try:
            saved = protocol_update(protocol=protocol, by=request.user, draft=editor.draft())
        except SAVE_ERRORS as exc:
            editor.add_errors(exc)
        else:
            _report_saved(request, protocol, saved)
            return redirect("challenges:protocol-detail", pk=saved.pk)
    preview = _edit_page_preview(request, editor)
    context = {
        "protocol": protocol,
        "editor": editor,
        "in_use": protocol_in_use(protocol),
        "preview": preview,
        "preview_stale": preview is None,
    }
    return render(request, "challenges/protocol_form.html", context)


def _edit_page_preview(request: AuthenticatedHttpRequest, editor: ProtocolEditor) -> Preview | None:
    """The stored protocol's dose table on opening the page, the rows as posted after a preview or a refused save;
    None after "Generate steps" (the new rows are not posted yet: the page's script fills it in)."""
    clinic_id = request.user.clinic_id
    if request.method != "POST":
        return preview_of(draft_from_protocol(editor.protocol), clinic_id=clinic_id)
    if "regenerate" in request.POST:
        return None
    return _editor_preview(editor, clinic_id=clinic_id)


def protocol_clone_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    protocol = access.get_protocol_for_staff(request.user, pk)
    require_allergist(request.user)
    if request.method != "POST":  # checked after access, so a nurse learns nothing (404) from a GET either
        return HttpResponseNotAllowed(["POST"])
    try:
        copy = protocol_clone(protocol=protocol, clinic=staff_clinic(request.user), by=request.user)
    except SAVE_ERRORS as exc:
        for message in error_messages(exc):
            messages.error(request, message)
        return redirect("challenges:protocol-detail", pk=protocol.pk)
    messages.success(request, _("Cloned as “%(name)s”, your clinic's own copy.") % {"name": copy.name})
    return redirect("challenges:protocol-edit", pk=copy.pk)


def _report_saved(request: AuthenticatedHttpRequest, before: Protocol, saved: Protocol) -> None:
    if saved.pk != before.pk:
        text = _("Saved as version %(new)d; version %(old)d stays as it was for the challenges that used it.")
        messages.success(request, text % {"new": saved.version, "old": before.version})
    else:
        messages.success(request, _("Protocol saved."))
    _warn(request, saved)


def _warn(request: AuthenticatedHttpRequest, protocol: Protocol) -> None:
    """Warnings do not block a save; they are shown after it (and on the detail page)."""
    for issue in draft_issues(draft_from_protocol(protocol)):
        if issue.level == "warning":
            messages.warning(request, issue.message)


# --- the dose-table preview (what the step table would be; nothing is saved) -----------------------------------


@dataclass(frozen=True)
class Preview:
    """The dose table as typed: its rows (None when they cannot be computed yet), the warnings and errors the rules
    give, and what to correct first (field errors, each naming its field)."""

    rows: list[StepRow] | None = None
    issues: Sequence[step_checks.StepIssue] = ()
    corrections: Sequence[str] = ()
    observation_text: str = ""

    @property
    def summary(self) -> str:
        """One sentence for screen readers (announced when the preview changes)."""
        if self.rows is None:
            return _("The dose table cannot be computed yet: %(n)d entries to correct.") % {
                "n": len(self.corrections) or len(self.issues)
            }
        errors = sum(1 for issue in self.issues if issue.level == "error")
        total = self.rows[-1].line.cumulative_protein_mg if self.rows else None
        text = _("%(n)d steps") % {"n": len(self.rows)}
        if total is not None:
            text += _(", cumulative %(total)s") % {"total": amount_text(total, "mg")}
        return text + _("; %(errors)d errors, %(warnings)d warnings.") % {
            "errors": errors,
            "warnings": len(self.issues) - errors,
        }


def preview_of(draft: ProtocolDraft, *, clinic_id: int | None) -> Preview:
    """The step table and the issues of a draft, computed as the detail page computes them."""
    issues = draft_issues(draft, clinic_id=clinic_id)
    observation = format_minutes(draft.observation_minutes)
    # A row with neither protein nor food (nor a lip smear) has no dose to compute: the issues say what is missing.
    if any(s.protein_mg is None and s.food_amount is None and s.role != StepRole.LIP_SMEAR for s in draft.steps):
        return Preview(issues=issues, observation_text=observation)
    try:
        rows = step_rows(draft.food, draft.steps, clinic_id=clinic_id)
    except QuantityError:  # a dose the arithmetic refuses (zero, negative): draft_issues names it
        return Preview(issues=issues, observation_text=observation)
    return Preview(rows=rows, issues=issues, observation_text=observation)


def _new_preview(header: ProtocolHeaderForm, generator: GeneratorForm, *, clinic_id: int | None) -> Preview:
    if not all([header.is_valid(), generator.is_valid()]):
        return Preview(corrections=error_lines(header) + error_lines(generator))
    try:
        draft = _new_protocol_draft(header, generator)
    except dosing.DosingError as exc:
        generator.add_dosing_error(exc, header=header)
        return Preview(corrections=error_lines(header) + error_lines(generator))
    return preview_of(draft, clinic_id=clinic_id)


def _editor_preview(editor: ProtocolEditor, *, clinic_id: int | None) -> Preview:
    draft = editor.preview_draft()
    if draft is None:
        return Preview(corrections=error_lines(editor.header) + error_lines(editor.steps, row_word=_("Step")))
    corrections = [line for part in editor.rule_parts() for line in error_lines(part)]
    return replace(preview_of(draft, clinic_id=clinic_id), corrections=corrections)


# --- foods -------------------------------------------------------------------------------------------------


@require_GET
def food_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_clinic_staff(request.user)
    form = FoodFilterForm(request.GET)
    foods = access.foods_for(request.user)
    filters = form.cleaned_data if form.is_valid() else {}
    if filters.get("group"):
        foods = foods.filter(allergen_group=filters["group"])
    for word in filters.get("q", "").split():
        foods = foods.filter(Q(name__icontains=word) | Q(form__icontains=word))
    context = {"form": form, "foods": foods, "can_create": request.user.is_allergist}
    return render(request, "challenges/food_list.html", context)


@require_http_methods(["GET", "POST"])
def food_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_allergist(request.user)
    form = FoodForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            food = food_create(clinic=staff_clinic(request.user), by=request.user, draft=form.draft())
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("Added %(food)s to your clinic's foods.") % {"food": food})
            return redirect("challenges:food-list")
    return render(request, "challenges/food_form.html", {"form": form})


@require_http_methods(["GET", "POST"])
def food_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    food = access.get_food_for_allergist(request.user, pk)
    form = FoodForm(request.POST or None, initial=food_initial(food))
    if request.method == "POST" and form.is_valid():
        try:
            food = food_update(food=food, by=request.user, draft=form.draft())
        except FoodError as exc:
            form.add_error(None, exc.message)
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("Saved %(food)s.") % {"food": food})
            return redirect("challenges:food-list")
    return render(request, "challenges/food_form.html", {"form": form, "food": food})


# --- what the detail page shows (display only; the figures come from plan, checklist, stopping, washout) -------


@dataclass(frozen=True)
class StepRow:
    line: plan.StepLine
    instructions: str
    problem: bool  # the dose cannot be prepared as planned; `instructions` says why


def step_rows(food: Food, steps: Sequence[plan.PlannedStep], *, clinic_id: int | None) -> list[StepRow]:
    """The step table: plan.step_lines, plus how to prepare each dose (or why it cannot be prepared)."""
    lines = plan.step_lines(food_spec(food), steps, alternatives=powder_alternatives(food, clinic_id))
    return [StepRow(line, line.instructions, bool(line.problem)) for line in lines]


def checklist_groups(codes: Sequence[str]) -> list[dict[str, Any]]:
    """The protocol's checklist items by organ, each with its 1-3 anchors."""
    chosen = set(codes)
    groups = []
    for organ in Organ:
        items = [
            {"item": item, "anchors": [(n, SEVERITY_LABELS[n], text) for n, text in enumerate(item.anchors, start=1)]}
            for item in CHECKLIST
            if item.organ == organ and item.code in chosen
        ]
        if items:
            groups.append({"organ": ORGAN_LABELS[organ], "items": items})
    return groups


def stop_rule_sentences(data: Any) -> list[str]:
    """The stop rules in words, with the comparisons the evaluator makes (clinical.stopping)."""
    try:
        rules = StopRules.from_dict(data)
    except StopRuleError as exc:
        return [_("These stop rules cannot be read: %(error)s") % {"error": exc.message}]

    def grade(n: int) -> str:
        return f"{SEVERITY_LABELS[n]} ({n})"

    sentences = [
        _("Any objective sign graded %(g)s or worse.") % {"g": grade(rules.objective_min_severity)},
        _("The same subjective symptom, graded %(g)s or worse, after %(n)d doses in a row.")
        % {"g": grade(rules.subjective_min_severity), "n": rules.subjective_consecutive_doses},
        _("Hold (a clinician decides): a subjective symptom graded %(g)s or worse, or one lasting more than %(n)d min.")
        % {"g": grade(rules.subjective_hold_severity), "n": rules.subjective_hold_minutes},
        _("Observe only: redness round the mouth or where the food touched."),
        _("Systolic blood pressure more than %(n)d mmHg below baseline.") % {"n": rules.sbp_drop_mmhg},
        _("Systolic blood pressure more than %(n)d %% below baseline.") % {"n": rules.sbp_drop_pct},
    ]
    if rules.use_age_hypotension:
        sentences.append(_("Systolic blood pressure below the limit for age (NIAID/FAAN)."))
    sentences += [
        _("Advisory on its own: heart rate more than %(n)d %% above baseline.") % {"n": rules.hr_rise_pct},
        _("Peak flow more than %(n)d %% below baseline.") % {"n": rules.pef_drop_pct},
        _("FEV1 more than %(n)d %% below baseline.") % {"n": rules.fev1_drop_pct},
        _("SpO2 below %(n)d %%.") % {"n": rules.spo2_below},
    ]
    if rules.fpies_rule:
        sentences.append(_("FPIES: vomiting 1-4 h after the food plus at least 2 minor criteria (Leonard 2018)."))
    return sentences


def washout_rows(data: Any) -> dict[str, Any]:
    try:
        rules = washout_rules.rules_from_data(data)
    except washout_rules.WashoutError as exc:
        return {"error": exc.message, "rows": []}
    rows = [
        {
            "label": rule.label,
            "how_long": _washout_duration(rule.hours),
            "note": rule.note,
            "source": rule.source,
        }
        for rule in rules
    ]
    return {"error": "", "rows": rows}


def _washout_duration(hours: int) -> str:
    """ "7 days", "1 day 12 h" (clinical.durations), or "keep taking it" for 0."""
    return format_hours(hours) if hours else _("keep taking it")
