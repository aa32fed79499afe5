"""Dose posts with the audit chain linked in the writer's transaction against sealed after commit, side by side.

Run: .venv/bin/python bench/dose_audit_ab.py --database-url postgres://postgres@127.0.0.1:5432/h20_bench [--clients 16]
[--seconds 10] [--rounds 2]

The database must hold the demo data (it is written to). Each round starts one gunicorn per mode in turn
(STEPWISE_AUDIT_SEAL=in_transaction, then after_commit) and runs server_load.dose_blast against it; afterwards every
acknowledged dose must be in the database once, and the audit chain must verify (the bench's own setup rows, made
with `objects.create`, have no history, so only the chain's own problem kinds count here).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import _load_rows  # noqa: E402
from bench._load_doses import dose_blast  # noqa: E402
from bench._load_server import Server  # noqa: E402
from bench.common import django_setup, write_json  # noqa: E402

MODES = ("in_transaction", "after_commit")
CHAIN_KINDS = {"altered", "removed", "broken link", "out of order", "unsealed", "sealed late"}


def chain_problems() -> list[str]:
    from django.db import connection

    from audit import verify

    connection.close()
    return [str(p) for p in verify.verify_all().problems if p.kind in CHAIN_KINDS]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--json")
    args = parser.parse_args()
    django_setup(args.database_url)
    from django.db import connection

    _load_rows.DOSE_CLIENTS = args.clients  # setup_rows reads it from there
    runs: dict[str, list[dict[str, Any]]] = {mode: [] for mode in MODES}
    for _ in range(args.rounds):
        for mode in MODES:
            rows = _load_rows.setup_rows()  # fresh challenges, so each run starts at step 1
            connection.close()
            os.environ["STEPWISE_AUDIT_SEAL"] = mode
            with Server(args.database_url, 3, 4) as server:
                result = dose_blast(server.port, rows, args.seconds)
            runs[mode].append(
                {k: result[k] for k in ("rps", "acknowledged", "errors", "median_ms", "p95_ms", "verified")}
            )
            print(mode, json.dumps(runs[mode][-1]), flush=True)
    problems = chain_problems()
    summary = {
        mode: {
            "rps_median": statistics.median(r["rps"] for r in results),
            "errors": sum(r["errors"] for r in results),
            "all_verified": all(r["verified"]["ok"] for r in results),
        }
        for mode, results in runs.items()
    }
    summary["ratio_after_commit_vs_in_transaction"] = (
        summary["after_commit"]["rps_median"] / summary["in_transaction"]["rps_median"]
    )
    summary["chain_problems"] = problems[:10]
    print(json.dumps(summary, indent=2))
    write_json(args.json, {"runs": runs, "summary": summary})


if __name__ == "__main__":
    main()
