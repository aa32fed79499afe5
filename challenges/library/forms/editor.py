"""The whole protocol edit page.

The edit page is several forms at once (header, step rows, premedication rows, checklist, stop rules,
wash-out); `ProtocolEditor` keeps them together, builds the `ProtocolDraft` and puts the service's errors next
to the part of the page they are about.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Any, TypeVar

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from challenges.library.facts import food_spec
from challenges.library.forms.errors import error_messages
from challenges.library.forms.generator import GeneratorForm
from challenges.library.forms.header import ProtocolHeaderForm, header_initial
from challenges.library.forms.premeds import PremedFormSet
from challenges.library.forms.steps import StepForm, StepFormSet, step_initial
from challenges.library.forms.stop_rules import ChecklistForm, StopRulesForm, stop_rules_initial
from challenges.library.forms.washout import WashoutForm, washout_initial
from challenges.library.services.protocols import (
    WATCH_ISSUES,
    PremedSpec,
    ProtocolDraft,
    ProtocolError,
    draft_from_protocol,
)
from challenges.models import Food, Protocol
from clinical import dosing, step_checks
from clinical.plan import PlannedStep, with_household_amounts

_F = TypeVar("_F", bound=forms.Form)


def _kept_forms(formset: forms.BaseFormSet[_F]) -> list[_F]:
    """Rows that are neither removed nor left blank (a blank extra row has empty cleaned_data)."""
    return [form for form in formset.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")]


class ProtocolEditor:
    """Every form on the edit page, bound together; `errors` lists blocking problems for the summary."""

    def __init__(self, data: Any, *, protocol: Protocol, foods: QuerySet[Food], preview: bool = False) -> None:
        draft = draft_from_protocol(protocol)
        self.protocol = protocol
        self.header = ProtocolHeaderForm(data, foods=foods, initial=header_initial(draft), preview=preview)
        # Posted rows are read as posted: the stored rows as "initial" would make a blank extra row look
        # changed whenever the page's rows differ from the stored ones (after "Generate steps", say).
        rows_from_db = data is None
        self.foods = foods
        self.steps = StepFormSet(
            data,
            prefix="steps",
            initial=[step_initial(step) for step in draft.steps] if rows_from_db else None,
            form_kwargs={"foods": foods},
        )
        self.premeds = PremedFormSet(
            data, prefix="premeds", initial=[asdict(spec) for spec in draft.premeds] if rows_from_db else None
        )
        self.checklist = ChecklistForm(data, prefix="checklist", initial={"items": list(draft.checklist_items)})
        self.stop_rules = StopRulesForm(
            data, prefix="stop", initial=stop_rules_initial(protocol.stop_rules, protocol.kind)
        )
        self.washout = WashoutForm(
            data,
            prefix="washout",
            initial=washout_initial(protocol.washout_rules),
            existing=protocol.washout_rules if isinstance(protocol.washout_rules, list) else (),
        )
        self.generator = GeneratorForm(data, prefix="gen")
        self.errors: list[str] = []
        self._step_forms: dict[int, StepForm] = {}

    def is_valid(self) -> bool:
        parts = (self.header, self.steps, self.premeds, self.checklist, self.stop_rules, self.washout)
        valid = all([part.is_valid() for part in parts])  # a list, so every part shows its errors
        if not valid:
            self.errors.append(str(_("Some entries need correcting; nothing was saved.")))
        return valid

    def draft(self) -> ProtocolDraft:
        header, steps = self._header_and_steps()
        premeds = [
            {name: value for name, value in form.cleaned_data.items() if name != "DELETE"}
            for form in _kept_forms(self.premeds)
        ]
        return ProtocolDraft(
            **header,
            steps=steps,
            checklist_items=tuple(self.checklist.cleaned_data["items"]),
            stop_rules=dict(self.stop_rules.cleaned_data),
            washout_rules=self.washout.rules_data(self.protocol.washout_rules),
            premeds=tuple(PremedSpec(**spec) for spec in premeds),
        )

    def _header_and_steps(self) -> tuple[dict[str, Any], tuple[PlannedStep, ...]]:
        kept_steps = _kept_forms(self.steps)
        self._step_forms = {number: form for number, form in enumerate(kept_steps, start=1)}
        header = self.header.draft_fields()
        steps = [_own_food_only(form.planned_step(number), header["food"]) for number, form in self._step_forms.items()]
        return header, tuple(with_household_amounts(food_spec(header["food"]), steps))

    def preview_draft(self) -> ProtocolDraft | None:
        """The draft the dose-table preview shows: the header and the step rows as typed (None while either has
        errors); the pre-medication, checklist, stop rules and wash-out as typed when valid, else as stored."""
        if not all([self.header.is_valid(), self.steps.is_valid()]):
            return None
        if all([part.is_valid() for part in self.rule_parts()]):
            return self.draft()
        header, steps = self._header_and_steps()
        return replace(draft_from_protocol(self.protocol), **header, steps=steps)

    def rule_parts(self) -> tuple[forms.Form | forms.BaseFormSet[Any], ...]:
        return (self.premeds, self.checklist, self.stop_rules, self.washout)

    def add_errors(self, exc: Exception) -> None:
        """Put a refused save's problems in the summary and, where they belong to one part, next to it."""
        issues = exc.issues if isinstance(exc, ProtocolError) else ()
        if not issues:
            self.errors += error_messages(exc)
        for issue in issues:
            self.errors.append(issue.message)
            self._place(issue)

    def _place(self, issue: step_checks.StepIssue) -> None:
        if issue.code == "checklist":
            self.checklist.add_error("items", issue.message)
        elif issue.code == "stop_rules":
            self.stop_rules.add_rule_error(issue.message)
        elif issue.code == "washout_rules":
            self.washout.add_error(None, issue.message)
        elif issue.code == "follow_up":
            self.header.add_error("follow_up_hours", issue.message)
        elif issue.code in WATCH_ISSUES:
            self.header.add_error("watch_hours", issue.message)
        elif issue.step_number in self._step_forms:
            self._step_forms[issue.step_number].add_error(None, issue.message)

    def regenerate_steps(self) -> bool:
        """Replace the step rows with a generator's steps (not saved until the page is saved)."""
        if not self.generator.is_valid():
            return False
        header = self.header.draft_fields() if self.header.is_valid() else None
        food = header["food"] if header else self.protocol.food
        watch = header["watch_hours"] if header else self.protocol.watch_hours
        try:
            steps = self.generator.steps_from_generator(food=food, watch_hours=watch)
        except dosing.DosingError as exc:
            self.generator.add_dosing_error(exc, header=self.header)
            return False
        self.steps = StepFormSet(
            prefix="steps", initial=[step_initial(step) for step in steps], form_kwargs={"foods": self.foods}
        )
        return True


def _own_food_only(step: PlannedStep, protocol_food: Food) -> PlannedStep:
    """A step whose chosen food is the protocol's own is a plain step of the protocol's food."""
    if step.food_id is not None and step.food_id == protocol_food.pk:
        return replace(step, food=None, food_id=None)
    return step
