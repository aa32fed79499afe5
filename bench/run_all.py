"""`make bench`: build the bench databases, run every measurement, print one table (metric, value, target, result).

Run: .venv/bin/python bench/run_all.py [--full] [--scale 0.1] [--dose-seconds 10] [--clinic-seconds 20] [--no-pg]
[--keep]

Default scale 0.1 (2,000 patients, 5,000 challenges, 100,000 observations) and short load runs (wrk 3 s, one round
of them; doses 10 s, clinic 20 s, two servers 15 s after 4 s of warm-up, each instance capped at half a core) so
the whole run stays under 10 minutes on the 2-core reference machine (issue 9); --full is the issue's scale
(20,000 / 50,000 / 1,000,000; generation alone takes minutes per database) with 8 s wrk runs, two rounds
everywhere, 60 s load runs and the two servers uncapped as well. Databases live under DATA_DIR (SQLite files) and
in PostgreSQL as stepwise_bench_small / stepwise_bench_large on 127.0.0.1; all are removed at the end unless --keep.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    DATA_DIR,
    PG_PREFIX,
    PYTHON,
    ROOT,
    bench_env,
    machine,
    manage,
    pg_available,
    pg_create,
    pg_drop,
    pg_url,
    read_json,
    sqlite_copy,
    sqlite_remove,
    sqlite_url,
)

BENCH = Path(__file__).resolve().parent
PAGE_RATIO = 2.0
SEARCH_RATIO = 1.5  # issue 20: patient search at 20,000 patients within 1.5x of the demo's (--full)
OVERHEAD_RATIO = 3.0
THROUGHPUT_SHARE = 1 / 3
CLINIC_P95_MS = 100.0
REPORT_RATIO = 2.0


def step(title: str) -> None:
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"[{time.strftime('%H:%M:%S')}] {title} (load average {load})", flush=True)


def run(script: str, *args: str, database_url: str, timeout: float) -> None:
    """A bench script as a child process on one database; its own output goes to DATA_DIR/<script>.log."""
    log = DATA_DIR / f"{Path(script).stem}.log"
    with log.open("a") as out:
        result = subprocess.run(
            [PYTHON, str(BENCH / script), *args],
            cwd=ROOT,
            env=bench_env(database_url),
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=timeout,
            check=False,
        )
    if result.returncode:
        raise RuntimeError(f"{script} failed (exit {result.returncode}); see {log}")


# --- databases ------------------------------------------------------------------------------------------------


def reuse_databases(use_pg: bool) -> dict[str, Any]:
    """The databases a run with --keep left (brought up to the current migrations), with their generation figures."""
    urls = {f"sqlite-{name}": sqlite_url(DATA_DIR / f"{name}.sqlite3") for name in ("small", "large")}
    if use_pg:
        urls.update({f"pg-{name}": pg_url(f"{PG_PREFIX}_{name}") for name in ("small", "large")})
    step("reusing the kept databases: migrate")
    for url in urls.values():
        manage(url, "migrate", "--no-input", "-v0")
    return {"urls": urls, "timings": {"generate": {v: read_json(DATA_DIR / f"gen-{v}.json") for v in ("sqlite", "pg")}}}


def build_databases(args: argparse.Namespace, use_pg: bool) -> dict[str, Any]:
    """The demo data set (small) and the demo plus generated rows (large), on SQLite and, if it runs, PostgreSQL."""
    urls: dict[str, str] = {}
    timings: dict[str, Any] = {}
    small = DATA_DIR / "small.sqlite3"
    sqlite_remove(small)
    step("SQLite: migrate and load the demo data")
    began = time.perf_counter()
    manage(sqlite_url(small), "migrate", "--no-input", "-v0")
    manage(sqlite_url(small), "load_demo", "--force")
    timings["sqlite-demo_s"] = time.perf_counter() - began
    urls["sqlite-small"] = sqlite_url(small)
    large = DATA_DIR / "large.sqlite3"
    sqlite_copy(small, large)
    step(f"SQLite: generate the large data set (scale {args.scale})")
    run(
        "generate_data.py",
        "--scale",
        str(args.scale),
        "--json",
        str(DATA_DIR / "gen-sqlite.json"),
        database_url=sqlite_url(large),
        timeout=3600,
    )
    urls["sqlite-large"] = sqlite_url(large)
    if use_pg:
        step("PostgreSQL: migrate and load the demo data")
        began = time.perf_counter()
        pg_create(f"{PG_PREFIX}_small")
        manage(pg_url(f"{PG_PREFIX}_small"), "migrate", "--no-input", "-v0")
        manage(pg_url(f"{PG_PREFIX}_small"), "load_demo", "--force")
        timings["pg-demo_s"] = time.perf_counter() - began
        urls["pg-small"] = pg_url(f"{PG_PREFIX}_small")
        pg_create(f"{PG_PREFIX}_large", template=f"{PG_PREFIX}_small")
        step(f"PostgreSQL: generate the large data set (scale {args.scale})")
        run(
            "generate_data.py",
            "--scale",
            str(args.scale),
            "--json",
            str(DATA_DIR / "gen-pg.json"),
            database_url=pg_url(f"{PG_PREFIX}_large"),
            timeout=3600,
        )
        urls["pg-large"] = pg_url(f"{PG_PREFIX}_large")
    timings["generate"] = {vendor: read_json(DATA_DIR / f"gen-{vendor}.json") for vendor in ("sqlite", "pg")}
    return {"urls": urls, "timings": timings}


def server_loads(args: argparse.Namespace, urls: dict[str, str], use_pg: bool) -> dict[str, Any]:
    """Page floors and ratios on every database (a copy: the runs write); doses and clinic load on the large ones."""
    loads: dict[str, Any] = {}
    for label in [label for label in ("sqlite-small", "sqlite-large", "pg-small", "pg-large") if label in urls]:
        vendor, size = label.split("-")
        if vendor == "sqlite":
            sqlite_copy(DATA_DIR / f"{size}.sqlite3", DATA_DIR / f"load-{size}.sqlite3")
            url = sqlite_url(DATA_DIR / f"load-{size}.sqlite3")
        else:
            pg_create(f"{PG_PREFIX}_load_{size}", template=f"{PG_PREFIX}_{size}")
            url = pg_url(f"{PG_PREFIX}_load_{size}")
        step(f"server load under gunicorn, {label}" + (" (pages only)" if size == "small" else ""))
        out = DATA_DIR / f"load-{label}.json"
        try:
            run(
                "server_load.py",
                "--database-url",
                url,
                "--dose-seconds",
                str(args.dose_seconds),
                "--clinic-seconds",
                str(args.clinic_seconds),
                "--seconds",
                str(args.wrk_seconds),
                "--rounds",
                str(args.wrk_rounds_small if size == "small" else args.wrk_rounds_large),
                "--json",
                str(out),
                *(["--pages-only"] if size == "small" else []),
                database_url=url,
                timeout=1800,
            )
            loads[label] = read_json(out)
            if label == "pg-large":
                step("two gunicorn instances on one PostgreSQL: the mixed load on one, then on two")
                two = DATA_DIR / "two-servers.json"
                run("server_load.py", "--database-url", url, "--two-servers", "--two-seconds", str(args.two_seconds),
                    *(["--two-uncapped"] if args.full else []), "--json", str(two), database_url=url,
                    timeout=1800)  # fmt: skip
                loads["two-servers"] = read_json(two)
        finally:
            if vendor == "pg" and not args.keep:
                pg_drop(f"{PG_PREFIX}_load_{size}")
    return loads


# --- the table ----------------------------------------------------------------------------------------------


class Table:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str]] = []

    def add(self, metric: str, value: str, target: str = "", ok: bool | None = None) -> None:
        self.rows.append((metric, value, target, "" if ok is None else ("PASS" if ok else "FAIL")))

    def print(self) -> str:
        header = ("metric", "value", "target", "result")
        widths = [max(len(row[i]) for row in [header, *self.rows]) for i in range(4)]
        lines = [
            " | ".join(cell.ljust(widths[i]) for i, cell in enumerate(header)),
            "-+-".join("-" * width for width in widths),
        ]
        lines += [" | ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) for row in self.rows]
        text = "\n".join(lines)
        print(text)
        return text


def page_rows(table: Table, latency: dict[str, Any]) -> None:
    for vendor in ("sqlite", "pg"):
        small, large = latency.get(f"{vendor}-small"), latency.get(f"{vendor}-large")
        if not small or not large:
            table.add(f"{vendor}: page latency", "not measured (no PostgreSQL)" if vendor == "pg" else "not measured")
            continue
        for name, s in small["pages"].items():
            big = large["pages"][name]
            ratio = big["median_ms"] / s["median_ms"]
            limit = SEARCH_RATIO if name == "patient search" else PAGE_RATIO
            queries = f"{small['queries'][name]}/{large['queries'][name]} q"
            how = " (builder)" if name == "report" and small.get("report_how") == "builder" else ""
            table.add(
                f"{vendor}: {name}{how} median/p95 small -> large",
                f"{s['median_ms']:.1f}/{s['p95_ms']:.0f} -> {big['median_ms']:.1f}/{big['p95_ms']:.0f} ms, "
                f"{queries}, {ratio:.2f}x",
                f"median ratio < {limit:g}x, same queries",
                ratio < limit and small["queries"][name] == large["queries"][name],
            )


PAGES = ("challenge", "board", "patient")
BOARD_CORE_SHARE = 0.25  # 30 boards refreshing every 30 s: under a quarter of one core
BOARDS, BOARD_REFRESH_S = 30, 30


def page_floor_rows(table: Table, label: str, load: dict[str, Any] | None) -> None:
    """The two floors, then each page against the plain page (same base template): throughput and p50."""
    over = (load or {}).get("overhead")
    if not over:
        table.add(f"{label}: page floors", "not measured (wrk missing or no run)")
        return
    health, plain = over["health"], over["plain"]
    table.add(
        f"{label}: floors /health/ | plain page (base template)",
        f"p50 {health['latency']['p50_ms']:.1f} | {plain['latency']['p50_ms']:.1f} ms; "
        f"{health['saturation']['rps']:.0f} | {plain['saturation']['rps']:.0f} req/s (16 connections)",
    )
    for name in PAGES:
        page = over[name]
        share = page["saturation"]["rps"] / plain["saturation"]["rps"]
        ratio = page["latency"]["p50_ms"] / plain["latency"]["p50_ms"]
        errors = sum(page[m]["status_errors"] + page[m]["socket_errors"] for m in ("latency", "saturation"))
        what = f" ({load['board_what']})" if name == "board" and load.get("board_what") else ""
        table.add(
            f"{label}: {name}{what} / plain page",
            f"{page['saturation']['rps']:.0f} req/s = {share:.2f}; p50 {page['latency']['p50_ms']:.1f} ms = "
            f"{ratio:.1f}x; {errors} errors",
            f">= {THROUGHPUT_SHARE:.2f}, p50 <= {OVERHEAD_RATIO:g}x",
            share >= THROUGHPUT_SHARE and ratio <= OVERHEAD_RATIO and errors == 0,
        )


def server_rows(table: Table, label: str, load: dict[str, Any] | None) -> None:
    if not load:
        table.add(f"{label}: server load", "not measured")
        return
    table.add(f"{label}: gunicorn on 127.0.0.1", f"{load['gunicorn']}, {load['vendor']}")
    page_floor_rows(table, label, load)
    over = load.get("overhead")
    doses = load["doses"]
    check = doses["verified"]
    table.add(
        f"{label}: dose posts: {doses['clients']} clients x {doses['seconds']:.0f} s",
        f"{doses['acknowledged']} acknowledged, {doses['errors']} errors, {check['in_database']} in DB "
        f"({check['missing']} missing), p95 {doses.get('p95_ms', 0):.0f} ms",
        "0 errors, each acknowledged dose once",
        doses["errors"] == 0 and check["ok"],
    )
    d16, floor, chain = load["doses16"], load["floor_insert16"], load["audit_chain"]
    share = d16["rps"] / floor["rps"] if floor["rps"] else 0.0
    lost, doubled = d16["verified"]["missing"], d16["verified"]["unacknowledged_in_database"]
    table.add(
        f"{label}: dose posts / bare-INSERT view, 16 clients",
        f"{d16['rps']:.1f} / {floor['rps']:.1f} req/s = {share:.3f}; {lost} lost, {doubled} unacknowledged in DB, "
        f"{d16['errors'] + floor['errors']} errors; audit chain {chain['problems']} problems "
        f"({chain['events']} rows, {chain['unsealed']} unsealed)",
        f">= {THROUGHPUT_SHARE:.2f}, 0 lost, 0 doubled, chain clean",
        share >= THROUGHPUT_SHARE and d16["verified"]["ok"] and chain["problems"] == 0 and d16["errors"] == 0,
    )
    if over:
        cpu = over["board"]["latency"]["cpu_s_per_request"]
        core_share = BOARDS / BOARD_REFRESH_S * cpu
        table.add(
            f"{label}: live board, {BOARDS} boards every {BOARD_REFRESH_S} s ({load.get('board_what', 'board')})",
            f"{cpu * 1000:.1f} ms gunicorn CPU per refresh = {core_share:.1%} of one core (PostgreSQL's own CPU "
            "not counted)",
            f"< {BOARD_CORE_SHARE:.0%} of one core",
            core_share < BOARD_CORE_SHARE,
        )
    clinic = load["clinic"]
    table.add(
        f"{label}: clinic load: {NURSES_PATIENTS}, {clinic['seconds']:.0f} s",
        f"{clinic['errors']} errors",
        "0 errors",
        clinic["errors"] == 0,
    )
    for name, page in clinic["pages"].items():
        table.add(
            f"{label}: clinic load p95: {name}",
            f"{page['p95_ms']:.0f} ms (median {page['median_ms']:.0f}, n={page['n']})",
            f"< {CLINIC_P95_MS:g} ms",
            page["p95_ms"] < CLINIC_P95_MS,
        )


NURSES_PATIENTS = "30 nurses + 20 patients"
TWO_SERVER_RATIO = 1.6


def two_server_rows(table: Table, two: dict[str, Any] | None) -> None:
    """Two gunicorn instances on one PostgreSQL against one: errors, every write once, the chain, throughput; the
    capped pair (each instance its own CPU budget, as two machines) is the one held to the target."""
    label = "two gunicorn instances on one PostgreSQL, 50 clients"
    if not two:
        table.add(label, "not measured (no PostgreSQL)")
        return
    runs, chain = two["two_servers"], two["audit_chain"]
    measured = [run for pair in runs["pairs"].values() for run in (pair["one"], pair["two"])]
    ok = all(r["errors"] == 0 and r["verified"]["ok"] and r["signs_verified"]["ok"] for r in measured)
    lost = sum(r["verified"]["missing"] + r["signs_verified"]["missing"] for r in measured)
    doubled = sum(r["verified"]["unacknowledged_in_database"] for r in measured)
    table.add(
        f"{label}: errors, lost, doubled, audit chain",
        f"{sum(r['errors'] for r in measured)} errors, {lost} lost, {doubled} doubled; chain {chain['problems']} "
        f"problems ({chain['events']} rows, {chain['unsealed']} unsealed)",
        "0, 0, 0, chain clean",
        ok and chain["problems"] == 0,
    )
    for pair, figures in runs["pairs"].items():
        one, both = figures["one"], figures["two"]
        mix = ", ".join(f"{kind} {both[kind]['rps']:.1f}" for kind in ("dose", "home", "sign"))
        common = (
            f"{both['writes_per_s']:.1f} / {one['writes_per_s']:.1f} = {figures['ratio']:.2f}x ({mix}); app servers "
            f"{both['servers_cpu_ms_per_write']:.0f} / {one['servers_cpu_ms_per_write']:.0f} ms CPU per write; "
            f"machine busy {both['machine_cpu_busy']:.2f} / {one['machine_cpu_busy']:.2f} of {runs['cores']} cores"
        )
        if pair == "capped":
            table.add(
                f"{label}: writes/s two / one instance, each capped at {runs['cap_cores']:g} core (own machine)",
                f"{common}; app servers busy {both['servers_cpu_busy']:.2f} / {one['servers_cpu_busy']:.2f}",
                f">= {TWO_SERVER_RATIO:g}x",
                figures["ratio"] >= TWO_SERVER_RATIO,
            )
        else:
            why = f" (no cap: {runs['cap_unavailable']})" if runs["cap_unavailable"] else ""
            table.add(
                f"{label}: writes/s two / one instance sharing {runs['cores']} cores{why}",
                common,
                f">= {TWO_SERVER_RATIO:g}x" if why else "",
                figures["ratio"] >= TWO_SERVER_RATIO if why else None,
            )


def report_rows(table: Table, reports: dict[str, Any] | None) -> None:
    if not reports:
        table.add("reports", "not measured")
        return
    for name, figures in reports.items():
        table.add(
            f"report {name}: build / bare-table floor (CPU time)",
            f"{figures['report_ms']:.0f} (snapshot {figures.get('snapshot_ms', 0):.0f} + render "
            f"{figures.get('render_ms', 0):.0f}) / {figures['floor_ms']:.0f} ms = {figures['ratio']:.2f}x; "
            f"render alone {figures.get('render_ratio', 0):.2f}x",
            f"< {REPORT_RATIO:g}x",
            figures["ratio"] < REPORT_RATIO,
        )
        if "served_ms" in figures:
            table.add(
                f"report {name}: unchanged draft downloaded again / floor (CPU time)",
                f"{figures['served_ms']:.0f} / {figures['floor_ms']:.0f} ms = {figures['served_ratio']:.2f}x "
                "(snapshot stored per page version, PDF drawn afresh)",
                f"< {REPORT_RATIO:g}x",
                figures["served_ratio"] < REPORT_RATIO,
            )


def outcomes_lines(challenges: int) -> list[tuple[str, bool]]:
    """bench/outcomes.py on its own throwaway database: its "outcomes page" lines, each with PASS or FAIL."""
    done = subprocess.run(
        [str(PYTHON), str(BENCH / "outcomes.py"), "--challenges", str(challenges)],
        capture_output=True,
        text=True,
        timeout=3600,
        # Its own settings (config.test_settings) and throwaway SQLite test database: no bench database URL.
        env={key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")},
        cwd=ROOT,
    )
    (DATA_DIR / "outcomes.log").write_text(done.stdout + done.stderr, encoding="utf-8")
    lines = [line for line in done.stdout.splitlines() if line.startswith(("outcomes page", "eliciting-doses page"))]
    if not lines:
        return [(f"outcomes page: bench/outcomes.py failed (exit {done.returncode}, see outcomes.log)", False)]
    return [(line, line.endswith("PASS")) for line in lines]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="scale 1.0 and 60 s load runs (takes well over 10 min)")
    parser.add_argument(
        "--scale", type=float, default=0.1, help="1.0 = 20,000 patients, 50,000 challenges, 1M observations"
    )
    parser.add_argument("--dose-seconds", type=float, default=10)
    parser.add_argument("--clinic-seconds", type=float, default=20)
    parser.add_argument("--two-seconds", type=float, default=15, help="each run of the two-instance mixed load")
    parser.add_argument("--rounds", type=int, default=4, help="latency rounds per database")
    parser.add_argument("--wrk-seconds", type=int, default=3, help="each 16-connection wrk run (1 connection: half)")
    parser.add_argument("--wrk-rounds-small", type=int, default=1, help="rounds of wrk runs on the demo databases")
    parser.add_argument("--wrk-rounds-large", type=int, default=1, help="rounds of wrk runs on the large databases")
    parser.add_argument("--runs", type=int, default=6, help="requests per page per round")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    parser.add_argument("--keep", action="store_true", help="keep the bench databases")
    parser.add_argument("--reuse", action="store_true", help="measure on the databases a --keep run left")
    args = parser.parse_args()
    if args.full:
        args.scale, args.dose_seconds, args.clinic_seconds, args.two_seconds = 1.0, 60, 60, 60
        args.wrk_seconds, args.wrk_rounds_small, args.wrk_rounds_large = 8, 2, 2
    began = time.perf_counter()
    if not args.reuse:
        shutil.rmtree(DATA_DIR, ignore_errors=True)
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    use_pg = not args.no_pg and pg_available()
    info = machine()
    print(
        f"Stepwise bench: {info['nproc']} cores, {info['cpu']}, {info['ram']} RAM; scale {args.scale}; "
        f"logs in {DATA_DIR}",
        flush=True,
    )
    results: dict[str, Any] = {"machine": info, "scale": args.scale}
    try:
        dbs = reuse_databases(use_pg) if args.reuse else build_databases(args, use_pg)
        results["databases"] = dbs["timings"]
        step("page latency, in-process (Django test client)")
        run(
            "page_latency.py",
            *[f"--db={label}={url}" for label, url in dbs["urls"].items()],
            "--rounds",
            str(args.rounds),
            "--runs",
            str(args.runs),
            "--json",
            str(DATA_DIR / "latency.json"),
            database_url=dbs["urls"]["sqlite-small"],
            timeout=1800,
        )
        results["latency"] = read_json(DATA_DIR / "latency.json")
        step("reports against the reportlab floor")
        sqlite_copy(DATA_DIR / "small.sqlite3", DATA_DIR / "reports.sqlite3")
        reports_url = sqlite_url(DATA_DIR / "reports.sqlite3")
        run(
            "page_latency.py",
            "--reports",
            f"--db=reports={reports_url}",
            "--runs",
            "9",
            "--json",
            str(DATA_DIR / "reports.json"),
            database_url=reports_url,
            timeout=900,
        )
        results["reports"] = read_json(DATA_DIR / "reports.json")
        results["load"] = server_loads(args, dbs["urls"], use_pg)
        step("the clinic outcomes page (issue 21, bench/outcomes.py)")
        results["outcomes"] = outcomes_lines(int(50_000 * args.scale))
    finally:
        if not args.keep:
            for name in ("small", "large"):
                if use_pg:
                    pg_drop(f"{PG_PREFIX}_{name}")
            for path in DATA_DIR.glob("*.sqlite3*"):
                path.unlink(missing_ok=True)
    print()
    table = Table()
    gen = results["databases"]["generate"]
    for vendor in ("sqlite", "pg"):
        if gen.get(vendor):
            rows = gen[vendor]["rows"]
            table.add(
                f"{vendor}: generate (bulk_create, scale {args.scale})",
                f"{gen[vendor]['seconds']:.0f} s: {rows.get('Patient', 0):,} patients, {rows.get('Challenge', 0):,} "
                f"challenges, {rows.get('Observation', 0):,} observations, {rows.get('Dose', 0):,} doses",
            )
    page_rows(table, results.get("latency") or {})
    report_rows(table, results.get("reports"))
    for label, load in (results.get("load") or {}).items():
        if label == "two-servers":
            continue
        if label.endswith("-small"):
            page_floor_rows(table, label, load)
        else:
            server_rows(table, label, load)
    for line, passed in results.get("outcomes") or []:
        label, _, value = line.partition(": ")
        table.add(label, value.rsplit(";", 1)[0], "< 2 s, fixed queries", passed)
    two_server_rows(table, (results.get("load") or {}).get("two-servers"))
    elapsed = time.perf_counter() - began
    table.add(
        "make bench wall time",
        f"{elapsed / 60:.1f} min",
        "< 10 min" if not args.full else "",
        None if args.full else elapsed < 600,
    )
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    results["table"] = table.print()
    print(
        f"\n{info['nproc']} cores ({info['cpu']}, {info['ram']}); load average at the end {load}. "
        f"Figures: {DATA_DIR / 'results.json'}"
    )
    (DATA_DIR / "results.json").write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
