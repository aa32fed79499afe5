"""What the bench scripts share: where their databases live, the environment they run Django with, statistics.

Every bench database is a throwaway: a SQLite file under DATA_DIR (never db.sqlite3) or a PostgreSQL database named
stepwise_bench_* on 127.0.0.1 (trust auth, user postgres). Scripts that need Django call `django_setup()` after
setting DATABASE_URL; run_all.py starts each step as a child process so each gets its own database.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DATA_DIR = Path(os.environ.get("STEPWISE_BENCH_DIR", Path(tempfile.gettempdir()) / "stepwise-bench"))
PG_HOST = "127.0.0.1"
PG_USER = "postgres"
PG_PREFIX = os.environ.get("STEPWISE_BENCH_PG_PREFIX", "stepwise_bench")  # e.g. h20_bench on a shared server

# Production settings (DEBUG off), served over plain HTTP on 127.0.0.1: no HTTPS redirect. config.bench_settings is
# config.settings with only the plain static-files storage, so pages render without a collectstatic manifest (no
# static file is requested).
BASE_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.bench_settings",
    "DEBUG": "0",
    "SECRET_KEY": "stepwise-bench-only-not-a-secret",
    "STEPWISE_PROXY_COUNT": "0",
    "SECURE_SSL_REDIRECT": "0",
    "LOG_LEVEL": "ERROR",
    "PYTHONWARNINGS": "ignore:No directory at",  # whitenoise: no collected static files (none are requested)
}


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def pg_url(name: str) -> str:
    return f"postgres://{PG_USER}@{PG_HOST}:5432/{name}"


def bench_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment for a child process (manage.py, gunicorn, a bench script) on one bench database."""
    env = {**os.environ, **BASE_ENV, "DATABASE_URL": database_url, **extra}
    env.pop("TEST_SQLITE_FILE", None)
    return env


def django_setup(database_url: str | None = None) -> None:
    """Configure Django in this process on the given bench database (or the DATABASE_URL already set)."""
    for key, value in BASE_ENV.items():
        os.environ.setdefault(key, value)
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def manage(database_url: str, *args: str, timeout: float = 300) -> None:
    """Run a manage.py command on a bench database; raise with its output if it fails."""
    result = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=bench_env(database_url),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")


# --- databases ----------------------------------------------------------------------------------------------


def sqlite_remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def sqlite_copy(source: Path, target: Path) -> None:
    """Copy a bench SQLite database (checkpointed first, so the copy holds every committed row)."""
    import sqlite3

    with sqlite3.connect(source) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    sqlite_remove(target)
    shutil.copyfile(source, target)


def _pg(*command: str) -> None:
    subprocess.run([*command, "-h", PG_HOST, "-U", PG_USER], check=True, capture_output=True, timeout=120)


def pg_drop(name: str) -> None:
    assert name.startswith(PG_PREFIX), name  # only ever our own bench databases
    subprocess.run(
        ["dropdb", "-h", PG_HOST, "-U", PG_USER, "--if-exists", "--force", name],
        check=True,
        capture_output=True,
        timeout=120,
    )


def pg_create(name: str, template: str | None = None) -> None:
    pg_drop(name)
    _pg("createdb", *(["-T", template] if template else []), name)


def pg_available() -> bool:
    result = subprocess.run(["pg_isready", "-h", PG_HOST], capture_output=True, timeout=30, check=False)
    return result.returncode == 0


# --- figures ------------------------------------------------------------------------------------------------


def percentile(samples: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (fraction 0.95 for p95) of a non-empty list."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def summary_ms(samples_s: Sequence[float]) -> dict[str, float]:
    """Median and p95 of durations given in seconds, in milliseconds."""
    ms = [s * 1000 for s in samples_s]
    return {"median_ms": statistics.median(ms), "p95_ms": percentile(ms, 0.95), "n": len(ms)}


def write_json(path: str | None, data: Any) -> None:
    if path:
        Path(path).write_text(json.dumps(data, indent=2, default=str))


def read_json(path: Path) -> Any:
    return json.loads(path.read_text()) if path.exists() else None


def machine() -> dict[str, str]:
    """nproc, the CPU model and the RAM of this machine (for the README figures)."""
    model = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    mem_kb = next(
        (
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        0,
    )
    return {"nproc": str(os.cpu_count()), "cpu": model, "ram": f"{mem_kb / 1024 / 1024:.1f} GiB"}
