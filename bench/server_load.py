"""Server overhead, dose-post throughput and a clinic-sized load, under gunicorn on 127.0.0.1.

Run: .venv/bin/python bench/server_load.py --database-url URL [--seconds 10] [--dose-seconds 15] [--clinic-seconds 30]

The database must hold the demo data (a copy of a bench database: this script adds bench users, protocols and
challenges to it). Three parts, all aimed at 127.0.0.1 only, each bounded in time and in count:

1. Overhead (wrk): the challenge page against /health/, both requested with the same signed-in session cookie so
   the same middleware (session load and save, auth, CSP...) runs; latency with one connection, throughput at
   saturation (16 connections).
2. Dose recording: 50 clients (threads), each an allergist session on its own checked-in challenge of a 200-step
   protocol, post doses as fast as they can with the CSRF token, a fresh idempotency key and an override reason
   (an allergist may give a dose before the wait is over). Afterwards every acknowledged dose (HTTP 302) must be in
   the database exactly once, and nothing else.
3. Clinic load: 30 nurses and 20 patients, each acting every 2-5 s: board, patient search, patient detail and the
   challenge page, the occasional dose or finding (nurses, on challenges whose protocol has no wait); the home plan
   and the occasional step (patients). p95 latency per page.
4. `--two-servers` (only this): 50 clients (30 allergists posting doses, 12 patients taking home steps, 8 allergists
   signing finished challenges), each sending its requests to every app server in turn, as fast as answers come:
   first against one gunicorn, then against two (separate process groups and ports) on the same database. Each
   instance is held to its own CPU budget (`--two-cap` cores, a cgroup each), as two machines would be; with
   `--two-uncapped` the pair also runs without caps, sharing this machine's cores. Only the last `--two-seconds` of
   each run are measured, after `--two-warmup` seconds of the same load. Every acknowledged write is checked
   afterwards, and the audit chain verified.

The gunicorn server runs in its own process group and is always stopped (try/finally).

The parts live beside this script: _load_http.py (the browser), _load_server.py (gunicorn, part 1), _load_rows.py
(the bench rows), _load_doses.py (part 2), _load_clinic.py (part 3), _load_two.py (part 4).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._load_clinic import clinic_load  # noqa: E402
from bench._load_doses import audit_chain_check, dose_blast, insert_blast  # noqa: E402
from bench._load_rows import setup_rows  # noqa: E402
from bench._load_server import Server, overhead  # noqa: E402
from bench._load_two import two_servers  # noqa: E402
from bench.common import django_setup, write_json  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url", required=True, help="a bench database holding the demo data (it is written to)"
    )
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker (gthread)")
    parser.add_argument("--seconds", type=int, default=8, help="each wrk run (overhead)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of the overhead's wrk runs (interleaved)")
    parser.add_argument("--dose-seconds", type=float, default=15, help="the 50-client dose run (60 for the full run)")
    parser.add_argument("--clinic-seconds", type=float, default=30, help="the clinic-sized load (60 for the full run)")
    parser.add_argument("--json", help="write the figures here")
    parser.add_argument("--pages-only", action="store_true", help="only the page floors and ratios (wrk)")
    parser.add_argument(
        "--two-servers", action="store_true", help="only the mixed load on one, then two gunicorn instances"
    )
    parser.add_argument("--two-seconds", type=float, default=20, help="each run of the mixed load (measured)")
    parser.add_argument("--two-warmup", type=float, default=4, help="seconds of the mixed load before measuring")
    parser.add_argument(
        "--two-cap", type=float, default=0.5, help="cores each instance may use (a cgroup each, as its own machine)"
    )
    parser.add_argument("--two-uncapped", action="store_true", help="also the pair without caps, sharing the cores")
    parser.add_argument(
        "--doses-only", action="store_true", help="only the bare-INSERT floor and the dose posts at 16 clients"
    )
    args = parser.parse_args()
    django_setup(args.database_url)
    from django.db import connection

    if args.two_servers:
        result = {
            "two_servers": two_servers(
                args.database_url,
                args.workers,
                args.threads,
                args.two_seconds,
                args.two_warmup,
                args.two_cap,
                args.two_uncapped,
            )
        }
        result["audit_chain"] = audit_chain_check()
        print(json.dumps(result, indent=2))
        write_json(args.json, result)
        return

    rows = setup_rows(dose_clients=not args.pages_only)
    from bench.floor_views import ensure_floor_table

    ensure_floor_table()
    connection.close()
    result: dict[str, Any] = {
        "gunicorn": f"{args.workers} workers x {args.threads} threads (gthread)",
        "vendor": connection.vendor,
        "board_what": rows["board_what"],
    }
    with Server(args.database_url, args.workers, args.threads) as server:
        if shutil.which("wrk") and not args.doses_only:
            result["overhead"] = overhead(server.port, rows, args.seconds, server, args.rounds)
        else:
            print("wrk is missing (Debian package wrk): overhead not measured", file=sys.stderr)
        if args.pages_only:
            print(json.dumps(result, indent=2))
            write_json(args.json, result)
            return
        if args.doses_only:
            result["floor_insert16"] = insert_blast(server.port, rows, args.dose_seconds / 2, 16)
            result["doses16"] = dose_blast(server.port, rows, args.dose_seconds / 2, 16)
            result["audit_chain"] = audit_chain_check()
            print(json.dumps(result, indent=2))
            write_json(args.json, result)
            return
        # Dose posts against the write floor at 16 clients, side by side, then the 50-client run.
        result["floor_insert16"] = insert_blast(server.port, rows, args.dose_seconds / 2, 16)
        result["doses16"] = dose_blast(server.port, rows, args.dose_seconds / 2, 16)
        result["doses"] = dose_blast(server.port, rows, args.dose_seconds)
        result["clinic"] = clinic_load(server.port, rows, args.clinic_seconds)
    result["audit_chain"] = audit_chain_check()
    result["board_what"] = rows["board_what"]
    print(json.dumps(result, indent=2))
    write_json(args.json, result)


if __name__ == "__main__":
    main()
