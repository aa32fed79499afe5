"""server_load's gunicorn (own process group, its CPU from /proc, always stopped) and part 1, the overhead: wrk on
the floors and the pages with one signed-in session."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench._cgroup import CpuCap
from bench._load_http import HOST, _get
from bench.common import ROOT, bench_env

WRK_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests": %d, "duration_us": %d, "status_errors": %d, "socket_errors": %d, '
    .. '"p50_ms": %.3f, "p95_ms": %.3f}\\n', summary.requests, summary.duration, e.status,
    e.connect + e.read + e.write + e.timeout, latency:percentile(50) / 1000, latency:percentile(95) / 1000))
end
"""


@dataclass
class Server:
    database_url: str
    workers: int
    threads: int
    cap: CpuCap | None = None  # a CPU budget of its own (bench/_cgroup.py), set by `adopt`
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        with socket.socket() as probe:
            probe.bind((HOST, 0))
            self.port = probe.getsockname()[1]
        command = [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi",
            "--bind",
            f"{HOST}:{self.port}",
            "--workers",
            str(self.workers),
            "--threads",
            str(self.threads),
            "--worker-class",
            "gthread",
            "--keep-alive",
            "5",
            "--graceful-timeout",
            "5",
            "--log-level",
            "warning",
        ]
        self.proc = subprocess.Popen(command, cwd=ROOT, env=bench_env(self.database_url), start_new_session=True)
        try:
            self._wait_for_workers(time.monotonic() + 120)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_for_workers(self, deadline: float) -> None:
        """Until every worker has booted and answered once. A worker imports the app and its URLs when it starts
        (about 3 s of CPU here): measured before all have, a run would count their start-up as the load's cost, the
        more so with two instances or a capped one."""
        seen: set[str] = set()
        while time.monotonic() < deadline:
            try:
                with ThreadPoolExecutor(self.workers * self.threads) as pool:
                    answers = list(pool.map(lambda _n: _get(self.port, "/bench/worker/"), range(self.workers * 8)))
                seen |= {body.decode() for status, body in answers if status == 200}
                if len(seen) >= self.workers:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn: {len(seen)} of {self.workers} workers answered within 120 s")

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def cpu_seconds(self) -> float:
        """User + system CPU of every gunicorn process (its own process group), from /proc; not PostgreSQL's."""
        return sum(ticks for _pid, ticks in self._processes()) / os.sysconf("SC_CLK_TCK")

    def adopt(self, cap: CpuCap) -> None:
        """Hold every gunicorn process (master and workers; workers it starts later too) to `cap`'s CPU budget."""
        self.cap = cap
        for pid, _ticks in self._processes():
            cap.add(pid)

    def _processes(self) -> list[tuple[int, int]]:
        """(pid, user + system CPU ticks) of each process in the server's process group."""
        assert self.proc is not None
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == self.proc.pid:  # pgrp
                found.append((int(stat.parent.name), int(fields[11]) + int(fields[12])))
        return found

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=15)


# --- 1. overhead with wrk -------------------------------------------------------------------------------------


def wrk(port: int, path: str, cookie: str, *, connections: int, seconds: int) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    try:
        threads = min(2, connections)
        result = subprocess.run(
            [
                "wrk",
                f"-t{threads}",
                f"-c{connections}",
                f"-d{seconds}s",
                "--timeout",
                "10s",
                "-s",
                script.name,
                "-H",
                f"Cookie: {cookie}",
                f"http://{HOST}:{port}{path}",
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            check=True,
        )
    finally:
        os.unlink(script.name)
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    figures["rps"] = figures["requests"] / (figures["duration_us"] / 1e6)
    return figures


FLOOR_PAGES = ("health", "plain")


def overhead(port: int, rows: dict[str, Any], seconds: int, server: Server, rounds: int = 2) -> dict[str, Any]:
    """wrk on the two floors and the three pages, interleaved per round so load on the machine falls on all alike:
    per page and round a one-connection run of `seconds` / 2 (2 s at least) and a 16-connection run of `seconds`
    (3 s at least)."""
    cookie = f"sessionid={rows['overhead_cookie']}"
    paths = {
        "health": "/health/",
        "plain": "/bench/plain/",
        "challenge": rows["challenge_url"],
        "board": rows["board_url"],
        "patient": rows["patient_url"],
    }
    for path in paths.values():
        status, _body = _get(port, path, cookie)
        assert status == 200, (path, status)
        wrk(port, path, cookie, connections=2, seconds=1)  # warm-up
    out: dict[str, Any] = {name: {"latency": [], "saturation": []} for name in paths}
    for _round in range(rounds):
        for name, path in paths.items():
            # CPU per request from the one-connection run: at most one request is in flight at either end.
            cpu_before = server.cpu_seconds()
            figures = wrk(port, path, cookie, connections=1, seconds=max(2, seconds // 2))
            figures["cpu_s_per_request"] = (server.cpu_seconds() - cpu_before) / max(figures["requests"], 1)
            out[name]["latency"].append(figures)
            out[name]["saturation"].append(wrk(port, path, cookie, connections=16, seconds=max(3, seconds)))
    return {name: _median_runs(runs) for name, runs in out.items()}


def _median_runs(runs: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Each figure as the median over the rounds (two rounds: their mean); errors summed."""
    merged: dict[str, Any] = {}
    for kind, figures in runs.items():
        keys = [k for k in figures[0] if isinstance(figures[0][k], int | float)]
        merged[kind] = {k: sorted(f[k] for f in figures)[len(figures) // 2] for k in keys}
        if len(figures) == 2:
            merged[kind].update({k: (figures[0][k] + figures[1][k]) / 2 for k in keys})
        for k in ("status_errors", "socket_errors"):
            merged[kind][k] = sum(f[k] for f in figures)
    return merged
