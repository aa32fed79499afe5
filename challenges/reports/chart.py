"""The vitals chart: heart rate and blood pressure above, SpO2 below, against minutes from the first dose, with a
dashed vertical line at each dose. Series differ by marker shape and dash as well as colour (reports are printed in
grey). A line joins only readings taken close together; across a longer gap the chart shows markers only, because
nothing was measured there (clinical review R3).

Drawn with reportlab.graphics primitives (lines, polylines, markers) rather than the LinePlot widget: the widget
expands into some 1,800 validated nodes for a 7-dose challenge and took half the report's render time. The shapes
are then drawn straight onto the canvas (ChartDrawing), not through reportlab's node renderer, which saves and
restores the graphics state and re-applies every style around each marker.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from reportlab.graphics.shapes import Circle, Drawing, Group, Line, Polygon, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.pdfgen.canvas import Canvas

from challenges.reports import fonts
from challenges.reports.pdf.style import ACCENT, INK, MUTED, RULE, SMALL_SIZE
from challenges.reports.snapshot import ChartSeries, Point, VitalsChart

TOP_HEIGHT = 150  # points: heart rate and blood pressure panel
BOTTOM_HEIGHT = 62  # SpO2 panel
GAP = 22  # between the panels (x tick labels of the top one)
LEFT = 30
RIGHT = 100  # room for the legend
BOTTOM = 30
TOP = 16  # dose labels
MARKER = 3.2  # marker size, points
LABEL_SPACING = 16  # points between dose labels ("D12" is about 12 pt wide)
TextAnchor = Literal["start", "middle", "end", "numeric"]  # reportlab String.textAnchor
# Not clinical: the longest gap between two readings a line may cross. Readings are due before each dose and doses
# are usually 15-30 min apart, so a longer gap is time nobody measured; a line across it would show a trend (R3).
MAX_JOINED_GAP_MINUTES = 30
GAP_NOTE = f"Lines join readings at most {MAX_JOINED_GAP_MINUTES} min apart; a break means no readings."
SPO2_RANGE = (80, 100)  # %: the band where a fall matters (SpO2 <92 % is severe, docs/clinical-sources.md §7)


@dataclass(frozen=True)
class Look:
    colour: colors.Color
    marker: str  # "circle", "square", "open_square", "triangle"
    dash: tuple[float, ...] | None


CIRCULATION_LOOKS = (
    Look(colors.HexColor("#c0392b"), "circle", None),
    Look(colors.HexColor("#1f4e79"), "square", (3, 2)),
    Look(colors.HexColor("#5d8aa8"), "open_square", (1, 1.5)),
)
SPO2_LOOK = Look(colors.HexColor("#2e7d32"), "triangle", None)


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    width: float
    height: float
    y_min: int
    y_max: int

    def y_of(self, value: float) -> float:
        return self.y + (value - self.y_min) / (self.y_max - self.y_min) * self.height


def vitals_drawing(chart: VitalsChart, width: float) -> Drawing:
    """A Drawing (a flowable) as wide as the frame."""
    x_min, x_max, x_step = _x_range(chart)
    plot_width = width - LEFT - RIGHT

    def x_of(minute: float) -> float:
        return LEFT + (minute - x_min) / (x_max - x_min) * plot_width

    drawing = ChartDrawing(
        width,
        BOTTOM + BOTTOM_HEIGHT + GAP + TOP_HEIGHT + TOP,
        initialFontName=fonts.REGULAR,
        initialFontSize=SMALL_SIZE,
    )
    top_y = BOTTOM + BOTTOM_HEIGHT + GAP
    ticks = range(x_min, x_max + 1, x_step)
    if chart.circulation:
        low, high = _y_range([p.value for s in chart.circulation for p in s.points])
        box = Box(LEFT, top_y, plot_width, TOP_HEIGHT, low, high)
        _panel(drawing, box, x_of, ticks, 20, zip(chart.circulation, CIRCULATION_LOOKS, strict=False))
    if chart.oxygen:
        low = min(SPO2_RANGE[0], *(p.value for s in chart.oxygen for p in s.points))
        box = Box(LEFT, BOTTOM, plot_width, BOTTOM_HEIGHT, low, SPO2_RANGE[1])
        _panel(drawing, box, x_of, ticks, 5, ((s, SPO2_LOOK) for s in chart.oxygen))
        drawing.add(_text(LEFT + plot_width / 2, BOTTOM - 22, chart.x_label, anchor="middle"))
    _dose_marks(drawing, chart, x_of, top_y + TOP_HEIGHT)
    _legend(drawing, chart, LEFT + plot_width + 10, top_y + TOP_HEIGHT)
    return drawing


class ChartDrawing(Drawing):
    """The chart's Drawing, drawn by _Pen in one graphics state: a colour, width, dash or font is set when it
    changes, not around every shape. The picture is the node renderer's (same operators, same order)."""

    def draw(self, showBoundary: Any = None) -> None:  # noqa: N803 (reportlab's name)
        pen = _Pen(self.canv)
        self.canv.setLineCap(0)  # the node renderer's defaults (reportlab.graphics.shapes.STATE_DEFAULTS)
        self.canv.setLineJoin(0)
        pen.draw(self.contents)


_UNSET: Any = object()


class _Pen:
    """Draws the shapes the chart uses (lines, polylines, rectangles, circles, polygons, strings, plain groups)."""

    def __init__(self, canvas: Canvas) -> None:
        self.canvas = canvas
        self._stroke: Any = _UNSET
        self._fill: Any = _UNSET
        self._width: Any = _UNSET
        self._dash: Any = _UNSET
        self._font: Any = _UNSET

    def draw(self, shapes: Iterable[Any]) -> None:
        for shape in shapes:
            kind = type(shape)
            if kind is Line:
                if self._set_stroke(shape):
                    self.canvas.line(shape.x1, shape.y1, shape.x2, shape.y2)
            elif kind is String:
                self._string(shape)
            elif kind is PolyLine:
                if self._set_stroke(shape):
                    self.canvas.drawPath(self._path(shape.points, close=False), stroke=1, fill=0)
            elif kind is Rect:
                stroke, fill = self._set_stroke(shape), self._set_fill(shape)
                self.canvas.rect(shape.x, shape.y, shape.width, shape.height, stroke=stroke, fill=fill)
            elif kind is Circle:
                stroke, fill = self._set_stroke(shape), self._set_fill(shape)
                self.canvas.circle(shape.cx, shape.cy, shape.r, stroke=stroke, fill=fill)
            elif kind is Polygon:
                stroke, fill = self._set_stroke(shape), self._set_fill(shape)
                self.canvas.drawPath(self._path(shape.points, close=True), stroke=stroke, fill=fill)
            elif kind is Group and tuple(shape.transform) == (1, 0, 0, 1, 0, 0):
                self.draw(shape.contents)
            else:
                raise TypeError(f"the chart does not draw {kind.__name__}")

    def _path(self, points: Sequence[float], *, close: bool) -> Any:
        path = self.canvas.beginPath()
        path.moveTo(points[0], points[1])
        for i in range(2, len(points), 2):
            path.lineTo(points[i], points[i + 1])
        if close:
            path.close()
        return path

    def _set_stroke(self, shape: Any) -> int:
        colour = shape.strokeColor
        if colour is None:
            return 0
        if colour is not self._stroke:
            self.canvas.setStrokeColor(colour)
            self._stroke = colour
        if shape.strokeWidth != self._width:
            self.canvas.setLineWidth(shape.strokeWidth)
            self._width = shape.strokeWidth
        dash = shape.strokeDashArray
        if dash != self._dash:
            if dash:
                self.canvas.setDash(dash, 0)
            else:
                self.canvas.setDash()
            self._dash = dash
        return 1

    def _set_fill(self, shape: Any) -> int:
        colour = shape.fillColor
        if colour is None:
            return 0
        if colour is not self._fill:
            self.canvas.setFillColor(colour)
            self._fill = colour
        return 1

    def _string(self, shape: String) -> None:
        if not self._set_fill(shape):
            return
        font = (shape.fontName, shape.fontSize)
        if font != self._font:
            self.canvas.setFont(*font)
            self._font = font
        x = shape.x
        if shape.textAnchor in ("middle", "end"):
            width = fonts.string_width(shape.text, shape.fontName, shape.fontSize)
            x -= width / 2 if shape.textAnchor == "middle" else width
        self.canvas.drawString(x, shape.y, shape.text)


def joined_runs(points: Sequence[Point], max_gap: int = MAX_JOINED_GAP_MINUTES) -> list[tuple[Point, ...]]:
    """The readings in time order, cut wherever two consecutive ones are more than `max_gap` minutes apart: each
    run is drawn as one line, and a run of one reading as a marker alone (R3)."""
    runs: list[list[Point]] = []
    for point in sorted(points, key=lambda p: p.minute):
        if runs and point.minute - runs[-1][-1].minute <= max_gap:
            runs[-1].append(point)
        else:
            runs.append([point])
    return [tuple(run) for run in runs]


def _x_range(chart: VitalsChart) -> tuple[int, int, int]:
    """First and last minute of the axis and the tick step; both ends are multiples of the step."""
    minutes = [p.minute for s in (*chart.circulation, *chart.oxygen) for p in s.points]
    minutes += [m.minute for m in chart.doses]
    low, high = min([0, *minutes]), max([30, *minutes])
    step = _tick_step(high - low)
    low, high = math.floor(low / step) * step, math.ceil(high / step) * step
    return low, high, step


def _tick_step(span: int) -> int:
    for step in (15, 30, 60, 120, 240, 720, 1440, 2880, 10080):
        if span / step <= 12:
            return step
    return 20160


def _y_range(values: list[int]) -> tuple[int, int]:
    low, high = min(values), max(values)
    return max(0, math.floor((low - 10) / 20) * 20), math.ceil((high + 10) / 20) * 20


def _text(
    x: float, y: float, text: str, *, anchor: TextAnchor = "start", colour: colors.Color = MUTED, bold: bool = False
) -> String:
    return String(
        x,
        y,
        text,
        fontName=fonts.BOLD if bold else fonts.REGULAR,
        fontSize=SMALL_SIZE,
        fillColor=colour,
        textAnchor=anchor,
    )


def _panel(
    drawing: Drawing,
    box: Box,
    x_of: Callable[[float], float],
    ticks: range,
    y_step: int,
    series: Iterable[tuple[ChartSeries, Look]],
) -> None:
    right, top = box.x + box.width, box.y + box.height
    for value in range(box.y_min, box.y_max + 1, y_step):
        y = box.y_of(value)
        drawing.add(Line(box.x, y, right, y, strokeColor=RULE, strokeWidth=0.25))
        drawing.add(_text(box.x - 3, y - 2.5, str(value), anchor="end"))
    for minute in ticks:
        x = x_of(minute)
        drawing.add(Line(x, box.y, x, top, strokeColor=RULE, strokeWidth=0.15))
        drawing.add(_text(x, box.y - 9, str(minute), anchor="middle"))
    # The ignore: types-reportlab types Rect's **kw without Unpack[...], so no style keyword type-checks.
    drawing.add(Rect(box.x, box.y, box.width, box.height, strokeColor=RULE, strokeWidth=0.6, fillColor=None))  # type: ignore[arg-type]
    for one, look in series:
        for run in joined_runs(one.points):
            points = [(x_of(p.minute), box.y_of(p.value)) for p in run]
            if len(points) > 1:
                drawing.add(
                    PolyLine(
                        [c for point in points for c in point],
                        strokeColor=look.colour,
                        strokeWidth=1.1,
                        strokeDashArray=look.dash,  # type: ignore[arg-type]  # None (solid, the default) is valid; the stub leaves it out
                    )
                )
            for x, y in points:
                drawing.add(_marker(look, x, y))


def _marker(look: Look, x: float, y: float) -> Circle | Rect | Polygon:
    half = MARKER / 2
    if look.marker == "circle":
        return Circle(x, y, half, fillColor=look.colour, strokeColor=look.colour, strokeWidth=0.5)
    if look.marker == "triangle":
        return Polygon(
            [x - half, y - half, x + half, y - half, x, y + half],
            fillColor=look.colour,
            strokeColor=look.colour,
            strokeWidth=0.5,
        )
    fill = colors.white if look.marker == "open_square" else look.colour
    # The ignore: types-reportlab types Rect's **kw without Unpack[...] (see _panel).
    return Rect(x - half, y - half, MARKER, MARKER, fillColor=fill, strokeColor=look.colour, strokeWidth=0.7)  # type: ignore[arg-type]


def _dose_marks(drawing: Drawing, chart: VitalsChart, x_of: Callable[[float], float], top: float) -> None:
    labelled_at: float = -LABEL_SPACING
    for mark in chart.doses:
        x = x_of(mark.minute)
        drawing.add(Line(x, BOTTOM, x, top, strokeColor=ACCENT, strokeWidth=0.6, strokeDashArray=(2, 2)))
        if x - labelled_at >= LABEL_SPACING:  # crowded doses: label only those with room, the lines show all
            labelled_at = x
            drawing.add(_text(x, top + 4, mark.label, anchor="middle", colour=ACCENT, bold=True))


def _legend(drawing: Drawing, chart: VitalsChart, x: float, top: float) -> None:
    entries: list[tuple[Look | None, str]] = [
        (look, f"{s.name} ({s.unit})") for s, look in zip(chart.circulation, CIRCULATION_LOOKS, strict=False)
    ]
    entries += [(SPO2_LOOK, f"{s.name} ({s.unit})") for s in chart.oxygen]
    entries.append((None, "Dose given"))
    for index, (look, label) in enumerate(entries):
        y = top - 4 - index * 11
        sample = Group()
        if look is None:
            sample.add(Line(x + 6, y - 3, x + 6, y + 5, strokeColor=ACCENT, strokeWidth=0.6, strokeDashArray=(2, 2)))
        else:
            sample.add(
                Line(x, y + 1, x + 12, y + 1, strokeColor=look.colour, strokeWidth=1.1, strokeDashArray=look.dash)  # type: ignore[arg-type]  # as in _panel
            )
            sample.add(_marker(look, x + 6, y + 1))
        drawing.add(sample)
        drawing.add(_text(x + 16, y - 1.5, label, colour=INK))


def describe(chart: VitalsChart) -> str:
    """The chart in words, for screen readers (the Figure's /Alt): each series' readings, range and last value, and
    where the doses fall. The table under the chart lists every reading."""
    parts = [f"Chart of vital signs against {chart.x_label}."]
    for series in (*chart.circulation, *chart.oxygen):
        values = [p.value for p in sorted(series.points, key=lambda p: p.minute)]
        count = f"{len(values)} reading{'s' if len(values) != 1 else ''}"
        unit = series.unit
        parts.append(f"{series.name}: {count}, from {min(values)} to {max(values)} {unit}, last {values[-1]} {unit}.")
    if chart.doses:
        marks = ", ".join(f"{mark.label} at {mark.minute} min" for mark in chart.doses)
        parts.append(f"Doses: {marks}.")
    parts.append("Every reading is listed in the table below.")
    return " ".join(parts)
