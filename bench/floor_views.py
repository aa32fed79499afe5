"""The bench's two floors, served only under config.bench_settings (config/bench_urls.py), never in production.

- `plain`: a signed-in page that renders the same base template as every app page, with one ORM count: the floor
  for the page ratios (issue 20: a page's throughput against this one's, measured side by side).
- `insert`: a signed-in, CSRF-checked POST that INSERTs one row in its own transaction and redirects (302): the
  floor for dose posts. Its table, bench_floor_row, is created by the bench (`ensure_floor_table`).

And `worker`, the answering worker's process id, so the bench can wait until every gunicorn worker has started.
"""

from __future__ import annotations

import os

from django.contrib.auth.decorators import login_not_required
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_POST

from patients.models import Patient

FLOOR_TABLE = "bench_floor_row"


def ensure_floor_table() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            columns = "id bigserial PRIMARY KEY, at timestamptz, note text"
            cursor.execute(f"CREATE TABLE IF NOT EXISTS {FLOOR_TABLE} ({columns})")
        else:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {FLOOR_TABLE} (id integer PRIMARY KEY AUTOINCREMENT, at text, note text)"
            )


def plain(request: HttpRequest) -> HttpResponse:
    return render(request, "bench/plain.html", {"patients": Patient.objects.count()})


@require_POST
def insert(request: HttpRequest) -> HttpResponse:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {FLOOR_TABLE} (at, note) VALUES (CURRENT_TIMESTAMP, %s)",  # noqa: S608 - a constant name
            [request.POST.get("note", "")[:100]],
        )
    return HttpResponseRedirect("/bench/plain/")


@login_not_required
def worker(request: HttpRequest) -> HttpResponse:
    return HttpResponse(str(os.getpid()), content_type="text/plain")
