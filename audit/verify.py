"""Check the audit trail: recompute the hash chain, every chained history row, and that no row changed unseen.

Problems found (each names the chain position, `seq`, where it can):
- altered:    a row's content no longer matches its hash
- removed:    a sequence number is missing from the chain
- broken link / out of order: a row does not link to the row before it, or was moved to another place
- unsealed / sealed late: a row waited for the sealer longer than STEPWISE_AUDIT_SEAL_WINDOW (docs/audit-chain.md)
- history changed / missing / not chained: a simple-history row differs from the hash chained when it was
  written, is gone, or was never chained (written behind the app's back)
- no history / changed without history: a clinical row has no history, or differs from its latest history row
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db.models import Max, Model
from django.utils import timezone

from audit import chain, guards
from audit.models import Action, AuditEvent

CHUNK = 500


@dataclass(frozen=True)
class Problem:
    seq: int | None
    kind: str
    message: str

    def __str__(self) -> str:
        where = f"seq {self.seq}: " if self.seq is not None else ""
        return f"{where}{self.kind}: {self.message}"


@dataclass
class Report:
    events: int = 0
    head_seq: int = 0
    head_hash: str = chain.GENESIS
    unsealed: int = 0  # rows waiting for the sealer (part of `events`)
    history_rows: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def sorted_problems(self) -> list[Problem]:
        return sorted(self.problems, key=lambda p: (p.seq is None, p.seq or 0))


@dataclass(frozen=True)
class _HistoryRef:
    seq: int | None  # None while its audit row waits to be sealed
    history_id: int
    fields: tuple[str, ...]
    row_sha256: str


def verify_all() -> Report:
    report = Report()
    refs = _check_chain(report)
    _check_history(report, refs)
    _check_current_rows(report)
    _check_file_digests(report)
    return report


def _check_file_digests(report: Report) -> None:
    """Files kept out of the history (a signed PDF) must match the SHA-256 their history row chained.

    A model lists them as AUDIT_FILE_DIGESTS = {file field: digest field}; the digest field is tracked by the
    history, so _check_current_rows already proves it unchanged, and this proves the file matches it.
    """
    for model in apps.get_models():
        digests: dict[str, str] = getattr(model, "AUDIT_FILE_DIGESTS", {})
        for file_field, digest_field in digests.items():
            rows = model._base_manager.exclude(**{f"{file_field}__isnull": True}).values_list(
                "pk", file_field, digest_field
            )
            for pk, content, digest in rows.iterator(chunk_size=100):
                if hashlib.sha256(bytes(content)).hexdigest() != digest:
                    where = f"{model._meta.label_lower} id {pk}"
                    message = f"{where}: {file_field} does not match the SHA-256 recorded in its history"
                    report.problems.append(Problem(None, "file changed", message))


def _check_chain(report: Report) -> dict[str, list[_HistoryRef]]:
    """Walk the chain in seq order, then the rows still waiting to be sealed; return the history rows they vouch for.

    Rows chained in their writer's transaction (no `sealed_at`) were inserted under the chain lock, so their ids
    rise with their seq: an id going backwards means rows were moved. Rows sealed after commit carry their id and
    `sealed_at` under the hash instead, and must have been sealed within the window.
    """
    refs: dict[str, list[_HistoryRef]] = defaultdict(list)
    window = settings.STEPWISE_AUDIT_SEAL_WINDOW
    previous: dict[str, Any] | None = None
    last_in_transaction_id = 0
    fields = ("id", "previous_hash", "hash", "sealed_at", *chain.EVENT_FIELDS)
    rows = AuditEvent.objects.filter(seq__isnull=False).order_by("seq").values(*fields)
    for row in rows.iterator(chunk_size=2000):
        seq = row["seq"]
        if chain.link_hash(row["previous_hash"], chain.event_content(row)) != row["hash"]:
            report.problems.append(Problem(seq, "altered", f"audit row id {row['id']} does not match its hash"))
        expected_seq, expected_hash = (previous["seq"] + 1, previous["hash"]) if previous else (1, chain.GENESIS)
        for missing in range(expected_seq, seq):
            report.problems.append(Problem(missing, "removed", "this row of the chain is missing"))
        if row["previous_hash"] != expected_hash:
            message = "previous_hash is not the hash of the row before"
            report.problems.append(Problem(seq, "broken link", message))
        if row["sealed_at"] is None:
            if row["id"] < last_in_transaction_id:
                message = f"audit row id {row['id']} was written before id {last_in_transaction_id}, seq {seq - 1}"
                report.problems.append(Problem(seq, "out of order", message))
            last_in_transaction_id = row["id"]
        elif row["sealed_at"] - row["at"] > window:
            message = f"audit row id {row['id']} was sealed {row['sealed_at'] - row['at']} after it was written"
            report.problems.append(Problem(seq, "sealed late", message))
        previous = row
        report.events += 1
        _collect_ref(report, refs, row)
    if previous:
        report.head_seq, report.head_hash = previous["seq"], previous["hash"]
    _check_unsealed(report, refs, window)
    return refs


def _check_unsealed(report: Report, refs: dict[str, list[_HistoryRef]], window: timedelta) -> None:
    """Rows not sealed yet: a few seconds' worth is normal (the sealer runs right after commit); older is not."""
    overdue = timezone.now() - window
    rows = AuditEvent.objects.filter(hash__isnull=True).order_by("id").values("id", "sealed_at", *chain.EVENT_FIELDS)
    for row in rows.iterator(chunk_size=2000):
        report.events += 1
        report.unsealed += 1
        if row["at"] < overdue:
            message = f"audit row id {row['id']} ({row['action']}, written {row['at']:%Y-%m-%d %H:%M:%S}) is unsealed"
            report.problems.append(Problem(None, "unsealed", f"{message} after more than {window}"))
        _collect_ref(report, refs, row)


def _collect_ref(report: Report, refs: dict[str, list[_HistoryRef]], row: dict[str, Any]) -> None:
    if row["action"] != Action.RECORD_CHANGE or not isinstance(row["details"], dict):
        return
    details = row["details"]
    try:
        ref = _HistoryRef(row["seq"], int(details["history_id"]), tuple(details["fields"]), str(details["row_sha256"]))
        refs[str(details["model"])].append(ref)
    except (KeyError, TypeError, ValueError):
        report.problems.append(Problem(row["seq"], "altered", "record.change details are incomplete"))


def _check_history(report: Report, refs: dict[str, list[_HistoryRef]]) -> None:
    for model in _history_models():
        label = model._meta.label_lower
        chained = refs.pop(label, [])
        attnames = {f.attname for f in model._meta.concrete_fields}
        for chunk in _chunks(chained, CHUNK):
            wanted = sorted(set().union(*(ref.fields for ref in chunk)) & attnames)
            rows = model._base_manager.filter(pk__in=[ref.history_id for ref in chunk]).values(*wanted, "history_id")
            stored = {row["history_id"]: row for row in rows}
            for ref in chunk:
                _check_history_row(report, label, ref, stored.get(ref.history_id), attnames)
        chained_ids = {ref.history_id for ref in chained}
        all_ids = set(model._base_manager.values_list("pk", flat=True))
        report.history_rows += len(all_ids)
        for history_id in sorted(all_ids - chained_ids):
            message = f"{label} history_id {history_id} was never chained"
            report.problems.append(Problem(None, "history not chained", message))
    for label, chained in refs.items():
        report.problems.append(Problem(chained[0].seq, "history missing", f"{label}: no such history table"))


def _check_history_row(
    report: Report, label: str, ref: _HistoryRef, row: dict[str, Any] | None, attnames: set[str]
) -> None:
    where = f"{label} history_id {ref.history_id}"
    if row is None:
        report.problems.append(Problem(ref.seq, "history missing", f"{where} was removed"))
    elif not set(ref.fields) <= attnames:
        gone = sorted(set(ref.fields) - attnames)
        report.problems.append(Problem(ref.seq, "history changed", f"{where}: columns {gone} are gone"))
    elif chain.digest({name: row[name] for name in ref.fields}) != ref.row_sha256:
        report.problems.append(Problem(ref.seq, "history changed", f"{where} differs from what was written"))


def _check_current_rows(report: Report) -> None:
    """Each tracked row must equal its latest history row: a raw UPDATE or INSERT leaves no history and shows here."""
    for history_model in _history_models():
        model = history_model.instance_type  # type: ignore[attr-defined]
        history_fields = {
            f.attname for f in history_model._meta.concrete_fields if not f.attname.startswith("history_")
        }
        tracked = sorted(history_fields & {f.attname for f in model._meta.concrete_fields})
        manager = history_model._base_manager
        latest_ids = manager.order_by().values("id").annotate(last=Max("history_id")).values("last")
        latest = {r["id"]: r for r in manager.filter(history_id__in=latest_ids).values("history_type", *tracked)}
        label = model._meta.label_lower
        for current in model._base_manager.values(*tracked).iterator(chunk_size=2000):
            where = f"{label} id {current['id']}"
            snapshot = latest.pop(current["id"], None)
            if snapshot is None:
                report.problems.append(Problem(None, "no history", f"{where} has no history row"))
            elif chain.digest(current) != chain.digest({name: snapshot[name] for name in tracked}):
                message = f"{where} differs from its latest history row"
                report.problems.append(Problem(None, "changed without history", message))
        for row_id, snapshot in latest.items():
            if snapshot["history_type"] != "-":
                report.problems.append(Problem(None, "deleted without history", f"{label} id {row_id} is gone"))


def _history_models() -> list[type[Model]]:
    return [model for model in apps.get_models() if guards.is_history_model(model)]


def _chunks(items: list[_HistoryRef], size: int) -> Iterator[list[_HistoryRef]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def manifest_problems(report: Report, manifest: dict[str, Any], counts: dict[str, int]) -> list[Problem]:
    """Compare with a backup manifest: its head must still be in the chain, and no guarded table may have shrunk.

    Only the tables whose rows are never deleted (clinical records, their history, the audit log: audit.guards)
    count: sessions end, a successful sign-in clears its axes attempts, and a draft protocol's steps are replaced,
    so those tables shrink in normal use and would be false alarms (security review L9).
    """
    never_shrink = set(guards.guarded_tables(apps.get_models()))
    problems = []
    head = manifest.get("audit", {})
    if head.get("head_seq"):
        found = AuditEvent.objects.filter(seq=head["head_seq"]).values_list("hash", flat=True).first()
        if found != head.get("head_hash"):
            message = "the chain no longer holds the backup's head hash"
            problems.append(Problem(head["head_seq"], "manifest head", message))
    for table, count in sorted(manifest.get("tables", {}).items()):
        if table in never_shrink and counts.get(table, 0) < count:
            problems.append(Problem(None, "rows lost", f"{table}: {counts.get(table, 0)} rows, {count} at the backup"))
    return problems
