"""Writes to foods and protocols: create, edit (a new version once used), clone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from challenges.library.facts import (
    food_spec,
    powder_alternatives,
    protocol_steps,
)  # reads; imported here by library.views too
from challenges.models import Food, PremedicationItem, Protocol, ProtocolStep
from clinical import home_ladder, step_checks, stop_rules, washout_rules
from clinical.checklist import ITEMS
from clinical.errors import DomainError
from clinical.kinds import KINDS
from clinical.plan import PlannedStep, baked_food_issues, preparation_problems, validation_issues
from clinics.models import Clinic, User


class ProtocolError(DomainError):
    """A protocol could not be saved; `issues` lists every blocking problem."""

    def __init__(self, message: str, *, code: str, issues: Sequence[step_checks.StepIssue] = ()) -> None:
        super().__init__(message, code=code)
        self.issues = tuple(issues)


@dataclass(frozen=True)
class PremedSpec:
    drug: str
    med_class: str
    dose: str
    route: str = "oral"
    minutes_before: int = 30
    before_each_step: bool = False
    continue_regular: bool = False
    required: bool = True
    notes: str = ""
    established_weeks: int = 0
    dose_rule: str = ""
    if_not_taken: str = "refuse"


@dataclass(frozen=True)
class ProtocolDraft:
    """Everything the editor (or the standard library) says a protocol is."""

    name: str
    kind: str
    food: Food
    dose_basis: str
    steps: tuple[PlannedStep, ...]
    observation_minutes: int
    watch_hours: int = 0
    min_top_dose_mg: Decimal | None = None
    checklist_items: tuple[str, ...] = ()
    stop_rules: dict[str, Any] = field(default_factory=dict)
    washout_rules: list[dict[str, Any]] = field(default_factory=list)
    follow_up_hours: tuple[int, ...] = ()
    premeds: tuple[PremedSpec, ...] = ()
    notes: str = ""
    references: str = ""
    first_step_in_clinic: bool = True
    keep_eating_between_steps: bool = False
    fpies_protein_g_per_kg: Decimal | None = None


def draft_issues(draft: ProtocolDraft, *, clinic_id: int | None = None) -> list[step_checks.StepIssue]:
    """Errors and warnings for a draft: its steps (dosing rules) and its rule data.

    `clinic_id` is the clinic whose food list a refused dose's powder proposal comes from (default: the food's).
    """
    if draft.kind not in KINDS:
        return [step_checks.StepIssue("error", "unknown_kind", _("Choose a protocol kind."), None)]
    issues: list[step_checks.StepIssue] = []
    if not draft.steps:
        issues.append(step_checks.StepIssue("error", "no_steps", _("A protocol needs at least one step."), None))
    else:
        minimum = KINDS[draft.kind].min_interval_minutes
        issues += validation_issues(food_spec(draft.food), draft.steps, kind=draft.kind, min_interval_minutes=minimum)
        clinic = draft.food.clinic_id if clinic_id is None else clinic_id
        issues += preparation_problems(
            food_spec(draft.food), draft.steps, alternatives=powder_alternatives(draft.food, clinic)
        )
    issues += _rule_issues(draft)
    issues += _kind_issues(draft)
    food = draft.food
    issues += baked_food_issues(
        allergen=food.allergen_group,
        processing=food.processing,
        temperature_c=food.processing_temperature_c,
        minutes=food.processing_minutes,
        matrix=food.matrix,
    )
    return issues


# The draft issue about the watch window after each home step (home_ladder.watch_missing): the editor shows it next
# to the header's watch field.
WATCH_ISSUES = frozenset({"home_watch_missing"})


def _kind_issues(draft: ProtocolDraft) -> list[step_checks.StepIssue]:
    """Rules of a kind beyond the steps: an FPIES challenge observes at least 4 h (docs/clinical-sources.md §1.5);
    weight-based FPIES doses only on an FPIES protocol; a home reintroduction watches for delayed symptoms after
    each step (§5.4)."""
    issues = _watch_issues(draft)
    if draft.kind == "fpies" and draft.observation_minutes < KINDS["fpies"].default_observation_minutes:
        issues.append(
            step_checks.StepIssue(
                "warning",
                "fpies_observation_short",
                _("An FPIES challenge observes at least 4 h after the last dose."),
                None,
            )
        )
    if draft.fpies_protein_g_per_kg is not None and draft.kind != "fpies":
        issues.append(
            step_checks.StepIssue(
                "error", "per_kg_not_fpies", _("Doses per kg at booking are for FPIES challenges."), None
            )
        )
    return issues


def _watch_issues(draft: ProtocolDraft) -> list[step_checks.StepIssue]:
    if KINDS[draft.kind].setting != "home" or not home_ladder.watch_missing(draft.watch_hours):
        return []
    message = _(
        "A home plan watches for delayed symptoms after each step: give the watch window in hours (left blank it "
        "is 48 h)."
    )
    return [step_checks.StepIssue("error", "home_watch_missing", message, None)]


def _rule_issues(draft: ProtocolDraft) -> list[step_checks.StepIssue]:
    issues = []
    unknown = [code for code in draft.checklist_items if code not in ITEMS]
    if unknown or not draft.checklist_items:
        issues.append(step_checks.StepIssue("error", "checklist", _("Choose the checklist items to watch."), None))
    try:
        stop_rules.StopRules.from_dict(draft.stop_rules)
    except stop_rules.StopRuleError as exc:
        issues.append(step_checks.StepIssue("error", "stop_rules", exc.message, None))
    try:
        washout_rules.rules_from_data(draft.washout_rules)
    except washout_rules.WashoutError as exc:
        issues.append(step_checks.StepIssue("error", "washout_rules", exc.message, None))
    if any(hours <= 0 for hours in draft.follow_up_hours):
        issues.append(
            step_checks.StepIssue("error", "follow_up", _("Follow-up times must be hours after the last dose."), None)
        )
    return issues


def _raise_on_errors(draft: ProtocolDraft, clinic_id: int | None) -> None:
    errors = [issue for issue in draft_issues(draft, clinic_id=clinic_id) if issue.level == "error"]
    if errors:
        raise ProtocolError(_("The protocol has errors; nothing was saved."), code="invalid", issues=errors)


def protocol_in_use(protocol: Protocol) -> bool:
    """A version that a challenge points to is frozen: edits make a new version."""
    return protocol.challenges.exists()


@transaction.atomic
def protocol_create(*, clinic: Clinic | None, by: User | None, draft: ProtocolDraft) -> Protocol:
    _raise_on_errors(draft, clinic.pk if clinic else None)
    protocol = Protocol(clinic=clinic, created_by=by)
    write_protocol(protocol, draft, by)
    return protocol


@transaction.atomic
def protocol_update(*, protocol: Protocol, by: User, draft: ProtocolDraft) -> Protocol:
    """Edit in place while unused; once a challenge uses this version, save the edit as a new version."""
    protocol = Protocol.objects.select_for_update().get(pk=protocol.pk)
    if protocol.is_standard:
        raise ProtocolError(_("Standard protocols are read-only; clone one to change it."), code="standard")
    if not protocol.is_current:
        raise ProtocolError(_("Only the current version of a protocol can be edited."), code="not_current")
    _raise_on_errors(draft, protocol.clinic_id)
    if not protocol_in_use(protocol):
        protocol.steps.all().delete()
        protocol.premedications.all().delete()
        write_protocol(protocol, draft, by)
        return protocol
    protocol.is_current = False
    protocol._history_user = by  # type: ignore[attr-defined]
    protocol.save(update_fields=["is_current"])
    successor = Protocol(lineage=protocol.lineage, version=protocol.version + 1, clinic=protocol.clinic, created_by=by)
    write_protocol(successor, draft, by)
    return successor


@transaction.atomic
def protocol_clone(*, protocol: Protocol, clinic: Clinic, by: User) -> Protocol:
    """A clinic's own copy of any protocol it can see (a new lineage, version 1)."""
    draft = draft_from_protocol(protocol, name=_("%(name)s (copy)") % {"name": protocol.name})
    return protocol_create(clinic=clinic, by=by, draft=draft)


def draft_from_protocol(protocol: Protocol, *, name: str | None = None) -> ProtocolDraft:
    return ProtocolDraft(
        name=name or protocol.name,
        kind=protocol.kind,
        food=protocol.food,
        dose_basis=protocol.dose_basis,
        steps=tuple(protocol_steps(protocol)),
        observation_minutes=protocol.observation_minutes,
        watch_hours=protocol.watch_hours,
        min_top_dose_mg=protocol.min_top_dose_mg,
        checklist_items=tuple(protocol.checklist_items),
        stop_rules=dict(protocol.stop_rules),
        washout_rules=list(protocol.washout_rules),
        follow_up_hours=tuple(protocol.follow_up_hours),
        premeds=tuple(
            PremedSpec(
                p.drug,
                p.med_class,
                p.dose,
                p.route,
                p.minutes_before,
                p.before_each_step,
                p.continue_regular,
                p.required,
                p.notes,
                p.established_weeks,
                p.dose_rule,
                p.if_not_taken,
            )
            for p in protocol.premedications.all()
        ),
        notes=protocol.notes,
        references=protocol.references,
        first_step_in_clinic=protocol.first_step_in_clinic,
        keep_eating_between_steps=protocol.keep_eating_between_steps,
        fpies_protein_g_per_kg=protocol.fpies_protein_g_per_kg,
    )


def write_protocol(protocol: Protocol, draft: ProtocolDraft, by: User | None) -> None:
    """Save a protocol row with the draft's fields, steps and premedications (a new row, or one emptied first)."""
    for name in (
        "name",
        "kind",
        "food",
        "dose_basis",
        "observation_minutes",
        "watch_hours",
        "min_top_dose_mg",
        "stop_rules",
        "washout_rules",
        "notes",
        "references",
        "first_step_in_clinic",
        "keep_eating_between_steps",
        "fpies_protein_g_per_kg",
    ):
        setattr(protocol, name, getattr(draft, name))
    protocol.checklist_items = list(draft.checklist_items)
    protocol.follow_up_hours = list(draft.follow_up_hours)
    protocol._history_user = by  # type: ignore[attr-defined]
    protocol.full_clean()
    protocol.save()
    for step in draft.steps:
        row = ProtocolStep(
            protocol=protocol,
            number=step.number,
            protein_mg=step.protein_mg,
            food_amount=step.food_amount,
            household_measure=step.household_measure,
            interval_minutes=step.interval_minutes,
            role=step.role,
            food_id=step.food_id,
        )
        row.full_clean()
        row.save()
    for spec in draft.premeds:
        item = PremedicationItem(protocol=protocol, **spec.__dict__)
        item.full_clean()
        item.save()
