"""What to watch for and when to stop: the checklist and stop-rule forms of the protocol editor."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from challenges.library.forms.fields import whole_number
from clinical.checklist import CHECKLIST, ORGAN_LABELS, SEVERITY_LABELS, Organ
from clinical.kinds import KINDS, kind_defaults
from clinical.stop_rules import StopRuleError, StopRules
from clinics.forms import PlainTextForm, crispy_helper


def _checklist_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    groups = []
    for organ in Organ:
        items = [
            (item.code, f"{item.label} ({_('objective') if item.objective else _('subjective')})")
            for item in CHECKLIST
            if item.organ == organ
        ]
        groups.append((ORGAN_LABELS[organ], items))
    return groups


class ChecklistForm(PlainTextForm):
    items = forms.MultipleChoiceField(
        label=_("Watch for"), choices=_checklist_choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = crispy_helper()


_GRADES = [(grade, f"{SEVERITY_LABELS[grade]} ({grade})") for grade in (1, 2, 3)]


class StopRulesForm(PlainTextForm):
    """One field per StopRules setting; the field names are the setting names."""

    objective_min_severity = forms.TypedChoiceField(
        label=_("Stop on an objective sign graded at least"), choices=_GRADES, coerce=int
    )
    subjective_consecutive_doses = whole_number(
        _("Stop when the same subjective symptom is present after this many doses in a row")
    )
    subjective_min_severity = forms.TypedChoiceField(
        label=_("…counting subjective symptoms graded at least"), choices=_GRADES, coerce=int
    )
    subjective_hold_severity = forms.TypedChoiceField(
        label=_("Hold the next dose for a subjective symptom graded at least"), choices=_GRADES, coerce=int
    )
    subjective_hold_minutes = whole_number(_("…or one that lasts more than (min)"), unit="min")
    sbp_drop_mmhg = whole_number(_("Systolic BP drop from baseline of more than (mmHg)"), unit="mmHg")
    sbp_drop_pct = whole_number(_("Systolic BP drop from baseline of more than (%)"), unit="%")
    use_age_hypotension = forms.BooleanField(
        label=_("Systolic BP below the limit for age (NIAID/FAAN)"), required=False
    )
    hr_rise_pct = whole_number(_("Heart-rate rise from baseline of more than (%) (advisory on its own)"), unit="%")
    pef_drop_pct = whole_number(_("Peak-flow drop from baseline of more than (%)"), unit="%")
    fev1_drop_pct = whole_number(_("FEV1 drop from baseline of more than (%)"), unit="%")
    spo2_below = whole_number(_("SpO2 below (%)"), unit="%")
    fpies_rule = forms.BooleanField(
        label=_("FPIES: vomiting 1-4 h after the food plus at least 2 minor criteria (Leonard 2018)"), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = crispy_helper()

    def add_rule_error(self, message: str) -> None:
        """A StopRules complaint names the setting ("sbp_drop_pct must be…"): put it on that field, in words."""
        name = message.split(" ", 1)[0]
        if name in self.fields:
            self.add_error(name, message.replace(name, f"“{self.fields[name].label}”", 1))
        else:
            self.add_error(None, message)


def stop_rules_initial(data: dict[str, Any], kind: str) -> dict[str, Any]:
    try:
        return StopRules.from_dict(data).to_dict()
    except StopRuleError:
        return kind_defaults(kind).stop_rules.to_dict() if kind in KINDS else {}
