"""Before the first dose: each pre-challenge check with its baseline examination, an override of failed items, the
medication conflicts with their decisions, and the baseline vital signs. Follows docs/clinical-sources.md §6.4
items 3 and 4, §5.1 (medication wash-out) and §5.2 (the day-of checklist)."""

from __future__ import annotations

from challenges.models import Challenge, PreChallengeCheck, VitalsKind
from challenges.reports.challenge_sections.context import Context, capital
from challenges.reports.snapshot import CheckBlock, ConflictRow, Line
from challenges.reports.text import DASH, person, vitals_summary, when, yes_no


def check(ctx: Context, check: PreChallengeCheck) -> CheckBlock:
    items = tuple(
        Line(capital(PreChallengeCheck.check_label(name)), yes_no(getattr(check, name)))
        for name in check.asked_fields()
    )
    if check.iv_access_ready is not None:
        items += (Line(capital(PreChallengeCheck.check_label("iv_access_ready")), yes_no(check.iv_access_ready)),)
    baseline = (
        Line("Skin", check.baseline_skin or DASH),
        Line("Mouth/oropharynx", check.baseline_mouth or DASH),
        Line("Chest", check.baseline_chest or DASH),
    )
    recorded = f"{when(check.recorded_at, ctx.zone)} by {ctx.names.get(check.recorded_by_id, DASH)}"
    failed = tuple(capital(item) for item in check.failed_items())
    return CheckBlock(recorded, items, failed, baseline, check.notes, check.entered_in_error, ctx.error(check))


def check_override(c: Challenge) -> str:
    if not c.checks_override_reason:
        return ""
    return f"Failed items overridden by {person(c.checks_override_by)}: {c.checks_override_reason}"


def conflicts(ctx: Context) -> tuple[ConflictRow, ...]:
    """Each medication conflict with its status and, where one was recorded, the decision (who, when, why)."""
    return tuple(
        ConflictRow(r.status, r.conflict.medication, f"{r.conflict.message} {r.decision_text}".strip())
        for r in ctx.state.conflicts
    )


def baseline(ctx: Context) -> tuple[Line, ...]:
    baselines = [v for v in ctx.challenge.vitals.all() if v.kind == VitalsKind.BASELINE and not v.entered_in_error]
    if not baselines:
        return (Line("Vital signs", "not recorded"),)
    latest = baselines[-1]
    return (Line("Vital signs", f"{vitals_summary(latest)} ({ctx.clock(latest.taken_at)})"),)
