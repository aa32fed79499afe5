"""Coordinates of the vitals chart: each valid reading in minutes from the first dose, and where the doses fall."""

from __future__ import annotations

from challenges.models import Challenge
from challenges.reports.snapshot import ChartSeries, DoseMark, Point, VitalsChart

# (series name, unit, VitalSigns field); circulation and oxygen are drawn on separate axes, because a fall of
# SpO2 from 98 to 90 % would be invisible on a heart-rate scale.
CIRCULATION = (
    ("Heart rate", "/min", "heart_rate"),
    ("Systolic BP", "mmHg", "systolic"),
    ("Diastolic BP", "mmHg", "diastolic"),
)
OXYGEN = (("SpO₂", "%", "spo2"),)


def vitals_chart(challenge: Challenge) -> VitalsChart | None:
    """None when no valid vital signs were recorded (entered-in-error readings are not plotted)."""
    readings = [v for v in challenge.vitals.all() if not v.entered_in_error]
    if not readings:
        return None
    doses = [d for d in challenge.doses.all() if not d.entered_in_error]
    origin = doses[0].given_at if doses else challenge.scheduled_at

    def minute(moment) -> int:  # type: ignore[no-untyped-def]
        return round((moment - origin).total_seconds() / 60)

    def series(spec: tuple[tuple[str, str, str], ...]) -> tuple[ChartSeries, ...]:
        out = []
        for name, unit, field in spec:
            points = tuple(
                Point(minute(v.taken_at), getattr(v, field)) for v in readings if getattr(v, field) is not None
            )
            if points:
                out.append(ChartSeries(name, unit, points))
        return tuple(out)

    marks = tuple(DoseMark(minute(d.given_at), f"D{d.sequence}") for d in doses)
    label = "minutes from dose 1" if doses else "minutes from the scheduled start"
    return VitalsChart(circulation=series(CIRCULATION), oxygen=series(OXYGEN), doses=marks, x_label=label)
