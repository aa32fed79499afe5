"""Page latency with the small (demo) and the large data set, in-process with Django's test client; report vs floor.

Run: .venv/bin/python bench/page_latency.py --db sqlite-small=URL --db sqlite-large=URL [--rounds 4 --runs 8]
     [--page "patient search" ...]
     .venv/bin/python bench/page_latency.py --reports --db sqlite-small=URL [--runs 15]  (CPU time, see report_figures)

Each database gets its own worker process (Django is configured once per process); the parent runs the rounds in
turn on each worker, so background load on the machine falls on both data sets alike. A worker signs in as the demo
nurse and times the same pages on the same demo records in both data sets (the large one is the demo plus the
generated rows in the same clinic), after a warm-up. Medians and p95 are over all rounds, of the wall time and, in
`pages_cpu`, of the worker's CPU time (`time.process_time`: with SQLite the database's work too, with PostgreSQL
only the Django side), which a busy shared machine disturbs less. `--page` times only the pages named.

The report: when `challenges:report` is in the URLconf it is fetched like a page; until then the worker calls what
that view calls (access check, then `challenge_report_pdf`), and the figures say so.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import PYTHON, ROOT, bench_env, django_setup, summary_ms, write_json  # noqa: E402

SEARCH = "rahman"  # a family name in the demo and in the generated names (about 1 in 120 patients)
PAGES = (
    "dashboard: home",
    "dashboard: today's board",
    "home plans attention",
    "patient search",
    "patient detail",
    "challenge page",
    "report",
)


# --- worker: one database, one process ----------------------------------------------------------------------


class Pages:
    """The pages to time, for the demo nurse, on demo records present in both data sets."""

    def __init__(self) -> None:
        from django.test import Client
        from django.urls import NoReverseMatch, reverse

        from challenges.models import Challenge
        from clinics.models import User
        from patients.models import Patient

        self.nurse = User.objects.get(username="nurse")
        self.client = Client(HTTP_HOST="127.0.0.1")  # an allowed host (ALLOWED_HOSTS), as under gunicorn
        self.client.force_login(self.nurse)
        dosing = Challenge.objects.get(indication__startswith="[demo-dosing]")
        self.report_challenge = dosing  # unsigned: its report is built on every request (a signed one is stored)
        patient = Patient.objects.get(clinic=self.nurse.clinic, mrn="NS-1003")
        self.urls: dict[str, str] = {
            "dashboard: home": reverse("home"),
            "dashboard: today's board": reverse("challenges:board"),
            "home plans attention": reverse("challenges:home-attention"),
            "patient search": f"{reverse('patients:list')}?q={SEARCH}",
            "patient detail": reverse("patients:detail", args=[patient.pk]),
            "challenge page": reverse("challenges:detail", args=[dosing.pk]),
        }
        try:
            self.urls["report"] = reverse("challenges:report", args=[self.report_challenge.pk])
            self.report_how = "view"
        except NoReverseMatch:
            self.report_how = "builder"  # not in the URLconf yet: what the view calls, without the HTTP layer

    def action(self, name: str) -> Callable[[], int]:
        if name == "report" and self.report_how == "builder":
            return self._report_direct
        url = self.urls[name]

        def get() -> int:
            response = self.client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            if response.streaming:
                b"".join(response.streaming_content)
            return len(response.content) if not response.streaming else 0

        return get

    def _report_direct(self) -> int:
        from challenges import access
        from challenges.reports import challenge_report_pdf

        return len(challenge_report_pdf(access.get_challenge_for(self.nurse, self.report_challenge.pk)))

    def queries(self, name: str) -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            self.action(name)()
        return len(captured)


def worker(database_url: str, names: tuple[str, ...]) -> None:
    """Answer `round N` lines on stdin with one JSON line of timings (seconds) per page, wall then CPU; `quit` ends."""
    django_setup(database_url)
    pages = Pages()
    actions = {name: pages.action(name) for name in names}
    for action in actions.values():  # warm-up: templates, first queries, fonts, page cache
        for _ in range(3):
            action()
    info = {"report_how": pages.report_how, "queries": {name: pages.queries(name) for name in names}}
    print(json.dumps(info), flush=True)
    for line in sys.stdin:
        command = line.split()
        if not command or command[0] == "quit":
            break
        runs = int(command[1])
        wall: dict[str, list[float]] = {name: [] for name in names}
        cpu: dict[str, list[float]] = {name: [] for name in names}
        for _ in range(runs):
            for name, action in actions.items():  # interleaved, so a burst of load hits every page alike
                start, start_cpu = time.perf_counter(), time.process_time()
                action()
                wall[name].append(time.perf_counter() - start)
                cpu[name].append(time.process_time() - start_cpu)
        print(json.dumps({"wall": wall, "cpu": cpu}), flush=True)


# --- parent: rounds across the databases --------------------------------------------------------------------


def measure(databases: dict[str, str], *, rounds: int, runs: int, names: tuple[str, ...] = PAGES) -> dict[str, Any]:
    procs = {
        label: subprocess.Popen(
            [PYTHON, __file__, "--worker", url, *(f"--page={name}" for name in names)],
            cwd=ROOT,
            env=bench_env(url),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for label, url in databases.items()
    }
    try:
        info = {label: json.loads(_read(proc)) for label, proc in procs.items()}
        samples: dict[str, dict[str, list[float]]] = {label: {name: [] for name in names} for label in procs}
        cpu: dict[str, dict[str, list[float]]] = {label: {name: [] for name in names} for label in procs}
        for _round in range(rounds):
            for label, proc in procs.items():
                assert proc.stdin is not None
                proc.stdin.write(f"round {runs}\n")
                proc.stdin.flush()
                answer = json.loads(_read(proc))
                for name in names:
                    samples[label][name] += answer["wall"][name]
                    cpu[label][name] += answer["cpu"][name]
        for proc in procs.values():
            assert proc.stdin is not None
            proc.stdin.write("quit\n")
            proc.stdin.flush()
    finally:
        for proc in procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
    return {
        label: {
            "pages": {name: summary_ms(values) for name, values in samples[label].items()},
            "pages_cpu": {name: summary_ms(values) for name, values in cpu[label].items()},
            **info[label],
        }
        for label in procs
    }


def _read(proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        raise RuntimeError(f"latency worker stopped (exit {proc.wait()})")
    return line


# --- reports: the builder against reportlab's floor ---------------------------------------------------------


def report_figures(database_url: str, runs: int) -> dict[str, Any]:
    """CPU time (time.process_time, this process only: steadier than wall time on a shared machine) to build the
    7-step and a 30-step/200-finding report, snapshot and render apart, and the floor of each: the medians of `runs`
    rounds, each round timing the snapshot, the render, the floor and the render without the structure tree and
    PDF/A pass (archival.finish) one after the other, so background load falls on all four alike."""
    django_setup(database_url)
    from unittest import mock

    from challenges.models import Challenge
    from challenges.reports import archival, drafts, fonts
    from challenges.reports.build_challenge import challenge_report
    from challenges.reports.render_challenge import render_challenge_report

    def render(snapshot: Any) -> None:
        fonts.string_width.cache_clear()  # a first render: no cell text measured by an earlier round
        render_challenge_report(snapshot)

    def served(challenge: Any) -> None:
        """The draft downloaded again, unchanged: its page version read, its snapshot stored (drafts.draft)."""
        render(drafts.draft(challenge))

    def untagged(snapshot: Any) -> None:
        with mock.patch.object(archival, "finish", lambda pdf, structure: pdf):
            render(snapshot)

    cases = {
        "7-step": Challenge.objects.get(indication__startswith="[demo-failed]"),
        "30-step/200-observation": _long_challenge(),
    }
    results: dict[str, Any] = {}
    for name, challenge in cases.items():
        snapshot = challenge_report(challenge)
        times = _interleaved(
            {
                "snapshot_ms": lambda c=challenge: challenge_report(c),
                "render_ms": lambda s=snapshot: render(s),
                "floor_ms": lambda s=snapshot: bare_table_pdf(s),
                "untagged_render_ms": lambda s=snapshot: untagged(s),
                "served_ms": lambda c=challenge: served(c),
            },
            runs,
        )
        report = times["snapshot_ms"] + times["render_ms"]
        results[name] = {
            **times,
            "phases_ms": report_phases(challenge, runs),
            "report_ms": report,
            "ratio": report / times["floor_ms"],
            "render_ratio": times["render_ms"] / times["floor_ms"],
            "untagged_ratio": times["untagged_render_ms"] / times["floor_ms"],
            "served_ratio": times["served_ms"] / times["floor_ms"],
            "cells": _cells(snapshot),
            "measure": f"CPU time, median of {runs} interleaved rounds",
        }
    return results


def report_phases(challenge: Any, runs: int) -> dict[str, float]:
    """Where one report's CPU time goes, medians of `runs` builds: the snapshot and, inside it, Django compiling its
    queries to SQL; then the render's three steps: the flowables (render_challenge._story), reportlab laying them
    out and drawing them (pdf.document._build, the step the floor also does), and the structure tree with the
    PDF/A pass (archival.finish, which the floor does not do). Timed by wrapping each step, so the figures add up to
    about the build; the ratios are what to read."""
    import statistics
    from unittest import mock

    from django.db.models.sql.compiler import SQLCompiler

    from challenges.reports import archival, fonts, render_challenge
    from challenges.reports.build_challenge import challenge_report
    from challenges.reports.pdf import document

    spent: dict[str, float] = {}

    def timed(key: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                spent[key] = spent.get(key, 0.0) + (time.process_time() - start) * 1000

        return wrapper

    rounds: list[dict[str, float]] = []
    with (
        mock.patch.object(SQLCompiler, "as_sql", timed("sql_compilation_ms", SQLCompiler.as_sql)),
        mock.patch.object(render_challenge, "_story", timed("flowables_ms", render_challenge._story)),
        mock.patch.object(document, "_build", timed("layout_and_draw_ms", document._build)),
        mock.patch.object(document.archival, "finish", timed("tags_and_pdfa_ms", archival.finish)),
    ):
        for _ in range(runs + 1):  # the first is a warm-up
            spent.clear()
            start = time.process_time()
            snapshot = challenge_report(challenge)
            spent["snapshot_ms"] = (time.process_time() - start) * 1000
            fonts.string_width.cache_clear()
            render_challenge.render_challenge_report(snapshot)
            rounds.append(dict(spent))
    return {key: statistics.median(r.get(key, 0.0) for r in rounds[1:]) for key in rounds[-1]}


def _interleaved(actions: dict[str, Callable[[], object]], runs: int) -> dict[str, float]:
    """The median CPU time of each action in ms, over `runs` rounds that run every action once, in turn."""
    import statistics

    for action in actions.values():
        action()  # warm-up: fonts, first queries
    times: dict[str, list[float]] = {name: [] for name in actions}
    for _ in range(runs):
        for name, action in actions.items():
            start = time.process_time()
            action()
            times[name].append((time.process_time() - start) * 1000)
    return {name: statistics.median(values) for name, values in times.items()}


def _rows(snapshot: Any) -> list[list[str]]:
    """Every value of the snapshot as table rows of text: one row per record (dose, finding...) or line."""
    rows: list[list[str]] = []

    def cells(value: Any) -> list[str]:
        if dataclasses.is_dataclass(value):
            return [" ".join(cells(getattr(value, f.name))) for f in dataclasses.fields(value)]
        if isinstance(value, tuple | list):
            return [" ".join(cells(v)) for v in value]
        return [str(value)] if value not in (None, "") else []

    for f in dataclasses.fields(snapshot):
        value = getattr(snapshot, f.name)
        items = value if isinstance(value, tuple) and value and dataclasses.is_dataclass(value[0]) else [value]
        rows += [row for row in (cells(item) for item in items) if row]
    return rows


def _cells(snapshot: Any) -> int:
    return sum(len(row) for row in _rows(snapshot))


def bare_table_pdf(snapshot: Any) -> bytes:
    """The floor: reportlab laying out the same text as plain table cells, in the report's embedded font, one table."""
    from io import BytesIO

    from reportlab.platypus import SimpleDocTemplate, Table

    from challenges.reports import fonts

    fonts.register()
    rows = _rows(snapshot)
    width = max(len(row) for row in rows)
    data = [[cell[:60] for cell in row] + [""] * (width - len(row)) for row in rows]
    for row in rows:  # the text cut above is kept, on rows of its own, so the document holds all of it
        for cell in row:
            data += [[cell[n : n + 60]] + [""] * (width - 1) for n in range(60, len(cell), 60)]
    buffer = BytesIO()
    table = Table(data, repeatRows=0)
    table.setStyle([("FONT", (0, 0), (-1, -1), fonts.REGULAR, 7.8), ("GRID", (0, 0), (-1, -1), 0.25, (0.6, 0.6, 0.6))])
    SimpleDocTemplate(buffer, invariant=1).build([table])
    return buffer.getvalue()


def _long_challenge() -> Any:
    """A finished 30-step clinic challenge with 200 findings and 30 vital-sign sets (bench rows, bulk-created)."""
    import uuid
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from challenges.library.facts import food_spec, protocol_steps
    from challenges.models import (
        Challenge,
        Dose,
        Observation,
        PreChallengeCheck,
        Protocol,
        ProtocolStep,
        VitalSigns,
    )
    from clinical.plan import step_lines
    from clinics.models import User

    existing = Challenge.objects.filter(indication="[bench-long-report]").first()
    if existing:
        return existing
    practall = Protocol.objects.get(clinic=None, name="PRACTALL 7-step peanut OFC", is_current=True)
    nurse, allergist = User.objects.get(username="nurse"), User.objects.get(username="allergist")
    protocol = Protocol.objects.create(
        name="Bench 30-step",
        kind=practall.kind,
        food=practall.food,
        clinic=nurse.clinic,
        checklist_items=practall.checklist_items,
        stop_rules=practall.stop_rules,
    )
    ProtocolStep.objects.bulk_create(
        [
            ProtocolStep(protocol=protocol, number=n, protein_mg=Decimal(2 * n), interval_minutes=15)
            for n in range(1, 31)
        ]
    )
    protocol = Protocol.objects.prefetch_related("steps").get(pk=protocol.pk)
    lines = step_lines(food_spec(protocol.food), protocol_steps(protocol))
    start = timezone.now().replace(microsecond=0) - timedelta(days=3)
    source = Challenge.objects.get(indication__startswith="[demo-failed]")
    challenge = Challenge.objects.create(
        clinic=nurse.clinic,
        patient=source.patient,
        protocol=protocol,
        scheduled_at=start,
        allergist=allergist,
        nurse=nurse,
        status="completed",
        indication="[bench-long-report]",
        outcome="passed",
        advice="eat_regularly",
        outcome_reason="All 30 doses tolerated.",
        observation_started_at=start + timedelta(minutes=15 * 30),
    )
    PreChallengeCheck.objects.create(
        challenge=challenge,
        recorded_by=nurse,
        recorded_at=start,
        **dict.fromkeys(
            (
                "no_illness",
                "asthma_eczema_controlled",
                "no_recent_exercise",
                "washout_confirmed",
                "premedication_taken",
                "consent_recorded",
                "emergency_ready",
            ),
            True,
        ),
    )
    Dose.objects.bulk_create(
        [
            Dose(
                challenge=challenge,
                sequence=line.number,
                step_number=line.number,
                planned_protein_mg=line.protein_mg,
                planned_food_amount=line.food_amount,
                food_amount=line.food_amount,
                protein_mg=line.protein_mg,
                given_at=start + timedelta(minutes=15 * line.number),
                given_by=nurse,
                idempotency_key=uuid.uuid4(),
            )
            for line in lines
        ]
    )
    items = practall.checklist_items
    Observation.objects.bulk_create(
        [
            Observation(
                challenge=challenge,
                item_code=items[n % len(items)],
                severity=n % 2,
                recorded_by=nurse,
                observed_at=start + timedelta(minutes=16 + n * 2),
                note="Bench finding" if n % 5 == 0 else "",
            )
            for n in range(200)
        ]
    )
    VitalSigns.objects.bulk_create(
        [
            VitalSigns(
                challenge=challenge,
                kind="baseline" if n == 0 else "during",
                taken_at=start + timedelta(minutes=15 * n),
                heart_rate=80 + n % 9,
                systolic=118 + n % 7,
                diastolic=72,
                spo2=98,
                recorded_by=nurse,
            )
            for n in range(30)
        ]
    )
    return challenge


def _load() -> str:
    return ", ".join(f"{value:.1f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", action="append", default=[], metavar="LABEL=URL", help="a bench database (repeat)")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--runs", type=int, default=8, help="timed requests per page per round")
    parser.add_argument("--page", action="append", choices=PAGES, help="time only this page (repeat; default: all)")
    parser.add_argument("--reports", action="store_true", help="time the challenge reports against the floor")
    parser.add_argument("--json", help="write the figures here")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    names = tuple(args.page or PAGES)
    if args.worker:
        worker(args.worker, names)
        return
    databases = dict(item.split("=", 1) for item in args.db)
    if args.reports:
        (url,) = databases.values()
        for key, value in bench_env(url).items():
            os.environ[key] = value
        result: dict[str, Any] = report_figures(url, args.runs)
        print(f"CPU time (time.process_time), median of {args.runs} interleaved rounds; load average {_load()}")
        for name, figures in result.items():
            print(
                f"report {name:24} {figures['report_ms']:7.1f} ms (snapshot {figures['snapshot_ms']:.1f} + render "
                f"{figures['render_ms']:.1f} ms), floor {figures['floor_ms']:6.1f} ms ({figures['cells']} cells): "
                f"{figures['ratio']:.2f}x; render alone {figures['render_ratio']:.2f}x, render without the structure "
                f"tree and PDF/A pass {figures['untagged_ratio']:.2f}x"
            )
            print(
                f"  the unchanged draft downloaded again (snapshot stored per page version): "
                f"{figures['served_ms']:.1f} ms, {figures['served_ratio']:.2f}x"
            )
            phases, floor = figures["phases_ms"], figures["floor_ms"]
            print(
                f"  where it goes, per floor: snapshot {phases['snapshot_ms'] / floor:.2f} (of it SQL compilation "
                f"{phases['sql_compilation_ms'] / floor:.2f}), flowables {phases['flowables_ms'] / floor:.2f}, layout "
                f"and draw {phases['layout_and_draw_ms'] / floor:.2f}, structure tree and PDF/A pass "
                f"{phases['tags_and_pdfa_ms'] / floor:.2f}"
            )
    else:
        result = measure(databases, rounds=args.rounds, runs=args.runs, names=names)
        for label, figures in result.items():
            for name, page in figures["pages"].items():
                cpu = figures["pages_cpu"][name]
                print(
                    f"{label:14} {name:26} median {page['median_ms']:7.1f} ms  p95 {page['p95_ms']:7.1f} ms  "
                    f"CPU median {cpu['median_ms']:6.1f} ms  {figures['queries'][name]:3} queries"
                )
    write_json(args.json, result)


if __name__ == "__main__":
    main()
