"""Reports drawn at the same moment by several threads of one process (gunicorn's gthread workers sign and download
in threads). reportlab's fonts are shared by the process and a font file is read through one cursor, so two builds
at once read each other's glyphs: the two-server bench of 29 Nov 2026 got a 500 (IndexError in makeSubset), and
this test, before the fix, got IndexError, KeyError or a PDF whose bytes differ from a build alone. The builds run
in a fresh interpreter, so the fonts are registered by the threads themselves, as in a worker just started."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

from challenges.reports.build_challenge import challenge_report

ROOT = Path(__file__).resolve().parents[2]
CHILD = """
import json, pickle, sys, threading
import django
django.setup()
from challenges.reports.render_challenge import render_challenge_report
snapshots = pickle.load(open(sys.argv[1], "rb"))
sys.setswitchinterval(1e-6)  # switch threads as often as the interpreter can, as on a loaded server
results, failures = {}, []
start = threading.Barrier(8)
def build(n):
    try:
        start.wait(timeout=60)
        results[n] = render_challenge_report(snapshots[n % 2])
    except BaseException as exc:
        failures.append(repr(exc))
threads = [threading.Thread(target=build, args=(n,)) for n in range(8)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join(timeout=300)
alone = [render_challenge_report(snapshot) for snapshot in snapshots]
differ = [n for n, pdf in sorted(results.items()) if pdf != alone[n % 2]]
print(json.dumps({"built": len(results), "failures": failures, "differ": differ}))
"""


def test_reports_built_at_once_in_threads_are_each_what_a_build_alone_gives(failed, long_challenge, tmp_path):
    snapshots = tmp_path / "snapshots.pickle"
    snapshots.write_bytes(pickle.dumps([challenge_report(failed), challenge_report(long_challenge)]))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.test_settings", "PYTHONPATH": str(ROOT)}
    child = subprocess.run(  # noqa: S603 - this interpreter, the script above
        [sys.executable, "-c", CHILD, str(snapshots)], capture_output=True, text=True, env=env, cwd=ROOT, timeout=600
    )
    assert child.returncode == 0, child.stderr[-3000:]
    outcome = json.loads(child.stdout.strip().splitlines()[-1])
    assert outcome == {"built": 8, "failures": [], "differ": []}
