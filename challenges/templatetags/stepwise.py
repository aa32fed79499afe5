"""Template filters that format clinical numbers (templates only display)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from django import forms, template
from django.forms.boundfield import BoundField, BoundWidget
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from challenges.run.models import EventKind, Status
from clinical import plain_words
from clinical.adrenaline import adrenaline_dose_mg, emergency_text
from clinical.dates import format_day, format_when
from clinical.display import amount_text, mg_text
from clinical.durations import format_hours, format_minutes
from clinical.units import format_decimal, format_quantity
from clinics import page_cache

if TYPE_CHECKING:
    from typing_extensions import TypeIs

register = template.Library()


def _blank(value: object) -> TypeIs[Literal[""] | None]:
    """No value: None, or the "" a template passes for a variable it cannot resolve (string_if_invalid)."""
    return value is None or value == ""


@register.filter
def qty(value: Decimal | int | None, unit: str = "") -> str:
    """{{ dose.protein_mg|qty:"mg" }} renders "0.5 mg"; empty values render as an em dash."""
    if value is None or value == "":
        return "—"
    return format_quantity(Decimal(value), unit) if unit else format_decimal(Decimal(value))


@register.filter
def adrenaline_text(value: Decimal | Literal[""] | None) -> str:
    """{{ s.adrenaline_mg|adrenaline_text }}: "Adrenaline 0.24 mg = 0.24 mL of 1 mg/mL (1:1000) IM into the
    anterolateral thigh. Repeat after 5 minutes if no improvement." (clinical.adrenaline.emergency_text)."""
    return "—" if _blank(value) else emergency_text(Decimal(value))


@register.filter
def adrenaline_for_weight(weight_kg: Decimal | Literal[""] | None) -> str:
    """{{ patient.weight_kg|adrenaline_for_weight }}: the weight-based dose as adrenaline_text gives it."""
    return "—" if _blank(weight_kg) else emergency_text(adrenaline_dose_mg(Decimal(weight_kg)))


@register.filter
def mg(value: Decimal | Literal[""] | None) -> str:
    """{{ line.cumulative_protein_mg|mg }} renders "4,443 mg" (rounded for reading, see clinical.display)."""
    return mg_text(None if _blank(value) else Decimal(value))


@register.filter
def amount(value: Decimal | Literal[""] | None, unit: str) -> str:
    """{{ line.food_amount|amount:line.food_unit }} renders "13.51 g" or "95.2 mL"."""
    return amount_text(None if _blank(value) else Decimal(value), unit)


@register.filter
def minutes(value: int | Literal[""] | None) -> str:
    """{{ protocol.observation_minutes|minutes }} renders "2 h 30 min" (clinical.durations); "—" for no value."""
    return "—" if _blank(value) else format_minutes(int(value))


@register.filter
def hours(value: int | Literal[""] | None) -> str:
    """{{ protocol.watch_hours|hours }} renders "2 days" (clinical.durations); "—" for no value."""
    return "—" if _blank(value) else format_hours(int(value))


@register.filter
def day(value: date | Literal[""] | None) -> str:
    """{{ patient.date_of_birth|day }} renders "Thu 10 Dec 2026" (clinical.dates); "—" for no value."""
    if _blank(value):
        return "—"
    return format_day(timezone.localdate(value) if isinstance(value, datetime) else value)


@register.filter
def when(value: datetime | Literal[""] | None) -> str:
    """{{ challenge.scheduled_at|when }} renders "Thu 10 Dec 2026 09:30" in the current (clinic's) zone."""
    return "—" if _blank(value) else format_when(value, timezone.get_current_timezone())


@register.filter
def item_label(code: str) -> str:
    """A checklist item's label from its code ("skin_urticaria" → "Urticaria/angioedema")."""
    from clinical.checklist import ITEMS

    item = ITEMS.get(code)
    return item.label if item else code


@register.filter
def plain_item(code: str) -> str:
    """A checklist item in the patient's words ("skin_urticaria" → "Hives (raised, itchy bumps or welts) ...")."""
    return plain_words.symptom(code)


@register.filter
def plain_severity(grade: int) -> str:
    """ "mild", "moderate", "severe": how bad a symptom was, for the patient (not "1: mild")."""
    return plain_words.severity(grade)


@register.filter
def plain_medicine(item: object) -> str:
    """A planned premedication in everyday words ("usual antihistamine (allergy medicine ...)")."""
    return plain_words.medicine(str(getattr(item, "drug", "")), str(getattr(item, "med_class", "")))


@register.simple_tag
def new_key() -> str:
    """A fresh one-time key for a small form drawn by hand (clinics.services.once): one per form on the page."""
    return str(uuid.uuid4())


@register.filter
def tel(phone: str) -> str:
    """A telephone number as a tap-to-call address: "+44 20 7946 0000" → "tel:+442079460000"."""
    return "tel:" + "".join(char for char in phone if char.isdigit() or char == "+")


@register.filter
def outcome_label(code: str) -> str:
    from challenges.models import Outcome

    return str(Outcome(code).label) if code in Outcome.values else code


@register.filter
def scale_label(code: str) -> str:
    from clinical.grading import SCALES

    return SCALES.get(code, code)


@register.filter
def index(sequence: list, position: int) -> object:
    """{{ lines|index:forloop.counter0 }}: the item at a position (for walking two parallel lists)."""
    try:
        return sequence[position]
    except (IndexError, TypeError):
        return None


@register.filter
def timing(days_off: int | None) -> str:
    from clinical.home_plan import timing_label

    return timing_label(days_off)


@register.filter
def severity(value: int) -> str:
    from clinical.checklist import SEVERITY_LABELS

    return SEVERITY_LABELS.get(value, str(value))


EVENT_LABELS = dict(EventKind.choices)  # labels live next to the kinds, in challenges.run.models


@register.filter
def event_label(kind: str) -> str:
    """{{ event.kind|event_label }} renders "stop rule met"; an unknown kind reads as its words."""
    return str(EVENT_LABELS.get(kind, kind.replace("_", " ")))


@register.filter
def status_label(status: str) -> str:
    """{{ event.to_status|status_label }} renders "Checked in", never the stored code "checked_in" (UX walk)."""
    return str(Status(status).label) if status in Status.values else status.replace("_", " ")


@register.filter
def vitals_text(vitals: object) -> str:
    """{{ discharge.vitals|vitals_text }} renders "HR 88/min · BP 120/75 mmHg" (the values recorded)."""
    from challenges.reports.text import vitals_summary

    return vitals_summary(vitals)  # type: ignore[arg-type]


def _field_kind(field: BoundField) -> str:
    widget = field.field.widget
    if isinstance(widget, forms.RadioSelect):
        return "radio"
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    return "select" if isinstance(widget, forms.Select) else "input"


@register.filter
def field_kind(field: BoundField) -> str:
    """How templates/challenges/run/_fields.html draws a field: "input", "select", "checkbox" or "radio"."""
    return _field_kind(field)


_WIDGET_CLASS = {
    "input": "form-control",
    "select": "form-select",
    "checkbox": "form-check-input",
    "radio": "form-check-input",
}


@register.filter
def bootstrap_widget(field: BoundField) -> SafeString:
    """A field's widget with Bootstrap's class, and the ids of its help text and errors for screen readers."""
    kind = _field_kind(field)
    css = " ".join(c for c in (field.field.widget.attrs.get("class", ""), _WIDGET_CLASS.get(kind, "")) if c)
    attrs: dict[str, Any] = {"class": f"{css} is-invalid" if field.errors else css}
    described = [f"{field.auto_id}_helptext"] if field.help_text else []
    if field.errors:
        described.append(f"{field.auto_id}_error")
        attrs["aria-invalid"] = "true"
    if described:
        attrs["aria-describedby"] = " ".join(described)
    if kind != "radio":
        return field.as_widget(attrs=attrs)
    # each option its own Bootstrap check, labelled; the ids as Django gives them (id_decision_0, ...)
    widget = field.field.widget
    options = widget.subwidgets(
        field.html_name, field.value(), attrs=field.build_widget_attrs(attrs | {"id": field.auto_id})
    )
    return format_html_join(
        "",
        '<div class="form-check">{}<label for="{}" class="form-check-label">{}</label></div>',
        (
            (bound.tag(), bound.id_for_label, bound.choice_label)
            for bound in (BoundWidget(widget, option, field.form.renderer) for option in options)
        ),
    )


@register.simple_tag
def countdown(due: datetime, done: str = "", testid: str = "") -> SafeString:
    """{% countdown s.due_at %}: a live countdown that reads "19 min 25 s left", then "Due now", then "overdue 4 min"
    (amber) and "overdue 25 min" (red), worded by clinical.countdown now and kept running by countdown.js.

    With `done` (an observation's end), the time past reads `done` ("Observation complete") instead of overdue.
    The thresholds travel as data attributes, so the page and the script use the same ones. On a page rendered for
    the cache it is a hole, worded when the page is served (clinics.page_cache).
    """
    return page_cache.countdown(due, done, testid)
