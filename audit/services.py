"""Every write to the audit trail: append a link to the chain, log a chart read, a sign-in or a record change."""

from __future__ import annotations

import atexit
import datetime as dt
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypedDict

from django.conf import settings
from django.db import connection, connections, models, transaction
from django.http import HttpRequest
from django.utils import timezone
from simple_history.models import HistoricalRecords

from audit import chain
from audit.models import Action, AuditEvent
from clinics.http import client_ip
from clinics.models import User
from patients.models import Patient

logger = logging.getLogger(__name__)

USER_AGENT_MAX = 300
# Any constant will do: appenders on PostgreSQL queue on this advisory lock (see _chain_head).
CHAIN_LOCK_KEY = 0x5354_4550_5749_5345 & 0x7FFF_FFFF_FFFF_FFFF
SEAL_BATCH = 500
# The seal-once trigger (audit.guards) refuses any other UPDATE; `hash IS NULL` makes a second seal a no-op.
SEAL_SQL = (
    "UPDATE audit_auditevent SET seq = %s, previous_hash = %s, hash = %s, sealed_at = %s WHERE id = %s AND hash IS NULL"
)


@dataclass(frozen=True)
class Entry:
    """What one audit row says; `audit_append` adds the time, the sequence number and the hashes."""

    action: str
    user: User | None = None
    username: str = ""
    clinic_id: int | None = None
    patient_id: int | None = None
    object_type: str = ""
    object_id: str = ""
    ip: str = ""
    user_agent: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)


def audit_append(entry: Entry) -> AuditEvent:
    """Add one row to the audit trail, in the caller's transaction (or its own); chained now or after commit.

    No savepoint: if the append fails, the caller's whole transaction fails with it (nothing unaudited is kept).
    How the row joins the chain depends on `seal_after_commit()` (docs/audit-chain.md). A row sealed after commit is
    sealed by this process's background sealer a moment after the commit (STEPWISE_AUDIT_SEAL_DELAY), in one batch
    with every other row of that moment, so no request waits for the chain lock.
    """
    with transaction.atomic(savepoint=False):
        event = _new_event(entry)
        if seal_after_commit():
            event.save(force_insert=True)  # unsealed: no chain lock inside the caller's transaction
            _schedule_seal()
        else:
            event.seq, event.previous_hash = _chain_head()
            event.seq += 1
            event.hash = chain.link_hash(event.previous_hash, chain.event_content(_own_values(event)))
            event.save(force_insert=True)
    return event


def _new_event(entry: Entry) -> AuditEvent:
    user = entry.user if entry.user is not None and entry.user.pk else None
    return AuditEvent(
        at=timezone.now(),
        user=user,
        username=_clean(entry.username or (user.get_username() if user else ""), 150),
        clinic_id=entry.clinic_id if entry.clinic_id is not None else getattr(user, "clinic_id", None),
        patient_id=entry.patient_id,
        action=entry.action,
        object_type=entry.object_type,
        object_id=_clean(entry.object_id, 64),
        ip=entry.ip,
        user_agent=_clean(entry.user_agent, USER_AGENT_MAX),
        # Through JSON and back, so the hash sees what the database will give back (string keys, lists).
        details=json.loads(chain.canonical_json(entry.details)),
    )


_CHAIN_IN_TRANSACTION: ContextVar[bool] = ContextVar("chain_in_transaction", default=False)


@contextmanager
def chained_in_transaction() -> Iterator[None]:
    """Chain the audit rows written inside this block in their own transaction, whatever the setting: for one long
    transaction (loading the demo) whose rows, sealed after its commit, would read as "sealed late"."""
    token = _CHAIN_IN_TRANSACTION.set(True)
    try:
        yield
    finally:
        _CHAIN_IN_TRANSACTION.reset(token)


def seal_after_commit() -> bool:
    """Whether audit rows are written unsealed and chained after commit (the default on PostgreSQL).

    SQLite runs one writer at a time (every transaction begins IMMEDIATE), so a chain lock there costs nothing and a
    second transaction to seal would cost an extra fsync: rows are chained in their writer's transaction.
    """
    if _CHAIN_IN_TRANSACTION.get():
        return False
    mode = settings.STEPWISE_AUDIT_SEAL
    if mode == "auto":
        return connection.vendor == "postgresql"
    return mode == "after_commit"


def _schedule_seal() -> None:
    """Seal after this transaction commits, once per transaction however many rows it appended: by this process's
    background sealer, or, with no delay set (the tests), right after the commit by the request itself."""
    background = settings.STEPWISE_AUDIT_SEAL_DELAY.total_seconds() > 0
    callback = _seal_in_background if background else _seal_committed
    pending = connection.run_on_commit if connection.in_atomic_block else []
    if any(entry[1] is callback for entry in pending):  # entries: (savepoint ids, callback, robust)
        return
    transaction.on_commit(callback, robust=True)


def _seal_committed() -> None:
    # robust=True: the clinical write has committed; a failure here is logged, and verify_audit reports the rows
    # it left unsealed once they pass STEPWISE_AUDIT_SEAL_WINDOW.
    audit_seal()


SEALER_IDLE_S = 60.0  # a sealer with nothing to seal for this long ends, and closes its database connection

_sealer_lock = threading.Lock()
_wake = threading.Condition(_sealer_lock)
_sealer: threading.Thread | None = None  # this process's sealer thread, while it runs
_requested_at: float | None = None  # when a commit first asked for a seal not yet begun (monotonic); None: none asked
_sealing = False  # the sealer is sealing now
_stop = False  # the sealer is asked to end (process exit, tests)


def _seal_in_background() -> None:
    """Ask this process's sealer to seal, STEPWISE_AUDIT_SEAL_DELAY after the first commit that asks, so a burst of
    requests costs one seal and none of them waits for it; start the sealer if it is not running.

    One long-lived sealer thread per process, with one database connection it keeps: a thread (and a connection)
    per seal cost PostgreSQL about 8 ms of CPU to start a backend for every seal, several times a second per
    process under load (bench/README.md, "Two app servers, each on its own CPU budget"). And never a thread per
    commit: while a seal waited for the chain lock, each would hold a connection of its own, until the server
    refused connections (the full bench's two-server run: PostgreSQL's "too many clients", 29 Nov 2026)."""
    global _sealer, _requested_at
    with _wake:
        if _sealer is None or not _sealer.is_alive():
            _sealer = threading.Thread(target=_run_sealer, name="audit-sealer", daemon=True)
            _sealer.start()
        if _requested_at is None:  # else the sealer is waiting out the delay of an earlier ask: nothing to wake
            _requested_at = time.monotonic()
            _wake.notify()


def _run_sealer() -> None:
    """The sealer's loop: wait for a request, let the delay pass, seal; end when idle for SEALER_IDLE_S or asked to."""
    global _sealer, _requested_at, _sealing
    try:
        while True:
            with _wake:
                while True:
                    if _stop:
                        _sealer = None
                        return
                    if _requested_at is None:
                        if not _wake.wait(SEALER_IDLE_S) and _requested_at is None:
                            _sealer = None  # decided under the lock: a commit from now on starts a new sealer
                            return
                        continue
                    delay = settings.STEPWISE_AUDIT_SEAL_DELAY.total_seconds()
                    remaining = _requested_at + delay - time.monotonic()
                    if remaining <= 0:
                        break
                    _wake.wait(remaining)
                # A commit from now on may come after the read below: it asks again, and the loop seals once more.
                _requested_at, _sealing = None, True
            try:
                connection.close_if_unusable_or_obsolete()  # as at a request's start: a broken connection replaced
                audit_seal()
            except Exception:  # logged; verify_audit reports rows left unsealed past STEPWISE_AUDIT_SEAL_WINDOW
                logger.exception("The background audit sealer failed")
            finally:
                with _wake:
                    _sealing = False
                connection.close_if_unusable_or_obsolete()  # as at a request's end: a failed one closed
    finally:
        connections.close_all()  # this thread's own connection


def stop_sealer(timeout: float = 30) -> None:
    """End this process's sealer (after the seal it is doing, if any) and close its connection; what it had not
    begun to seal stays asked for (`_seal_before_exit` seals it)."""
    global _stop
    with _wake:
        thread = _sealer
        _stop = True
        _wake.notify_all()
    try:
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
    finally:
        with _wake:
            _stop = False


@atexit.register
def _seal_before_exit() -> None:
    """A process that ends normally (a gunicorn worker restarted, a management command) seals what its sealer was
    still waiting to seal, rather than leave it for the next request or `manage.py seal_audit`."""
    global _requested_at
    stop_sealer()
    with _wake:
        waiting, _requested_at = _requested_at, None
    if waiting is None:
        return
    try:
        audit_seal()
    except Exception:
        logger.exception("The audit seal at process exit failed")


def audit_seal(*, batch: int = SEAL_BATCH) -> int:
    """Chain every unsealed row this transaction can see, in insertion (id) order; returns how many it sealed.

    The chain lock is held only for this short transaction: read the head, read the unsealed rows, write their
    seq, hashes and sealed_at. Runs after every commit that appended rows; `manage.py seal_audit` runs it by hand.
    """
    sealed = 0
    while True:
        with transaction.atomic():
            seq, head_hash = _chain_head()
            rows = list(
                AuditEvent.objects.filter(hash__isnull=True)
                .order_by("id")
                .values("id", *[name for name in chain.EVENT_FIELDS if name != "seq"])[:batch]
            )
            sealed_at = timezone.now()
            seals = []
            for row in rows:
                seq += 1
                row.update(seq=seq, sealed_at=sealed_at)
                row_hash = chain.link_hash(head_hash, chain.event_content(row))
                seals.append((seq, head_hash, row_hash, sealed_at, row["id"]))
                head_hash = row_hash
            if seals:
                with connection.cursor() as cursor:
                    cursor.executemany(SEAL_SQL, seals)
        sealed += len(seals)
        if len(rows) < batch:
            return sealed


def _chain_head() -> tuple[int, str]:
    """The last sealed row's (seq, hash), read so that appenders and sealers queue and each links to the true last row.

    PostgreSQL: sw_audit_chain_head() (migration 0004) takes a transaction-scoped advisory lock, then reads the head
    with a fresh snapshot, in one round trip. (Locking the last row with SELECT ... FOR UPDATE is not enough: under
    READ COMMITTED a waiter re-reads that same row after the holder commits, not the new last row, and would fork
    the chain; the unique `previous_hash` would then refuse its write.) SQLite: writers are already serialised,
    because every transaction begins IMMEDIATE (config/settings.py).
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT head_seq, head_hash FROM sw_audit_chain_head(%s)", [CHAIN_LOCK_KEY])
            row = cursor.fetchone()
    else:
        row = AuditEvent.objects.filter(seq__isnull=False).order_by("-seq").values_list("seq", "hash").first()
    return (row[0], row[1]) if row else (0, chain.GENESIS)


def _own_values(event: AuditEvent) -> dict[str, Any]:
    return {name: getattr(event, name) for name in chain.EVENT_FIELDS}


def _clean(text: str, limit: int) -> str:
    """Text as a column can hold it: no NUL (PostgreSQL refuses it), cut to the column's length."""
    return (text or "").replace("\x00", "")[:limit]


class _RequestFacts(TypedDict):
    ip: str
    user_agent: str


def _from_request(request: HttpRequest | None) -> _RequestFacts:
    if request is None:
        return {"ip": "", "user_agent": ""}
    return {"ip": client_ip(request) or "", "user_agent": request.META.get("HTTP_USER_AGENT", "")}


def _signed_in(request: HttpRequest) -> User | None:
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def log_access(
    request: HttpRequest, *, patient: Patient | None, action: str, obj: models.Model | None = None
) -> AuditEvent:
    """Record that the signed-in user opened a patient's chart, history or a PDF (call after the access check)."""
    target = obj if obj is not None else patient
    return audit_append(
        entry=Entry(
            action=action,
            user=_signed_in(request),
            clinic_id=patient.clinic_id if patient is not None else None,
            patient_id=patient.pk if patient is not None else None,
            object_type=target._meta.label_lower if target is not None else "",
            object_id=str(target.pk) if target is not None else "",
            details={"path": request.path},
            **_from_request(request),
        ),
    )


def log_sign_in_event(request: HttpRequest | None, *, action: str, user: User | None, username: str = "") -> AuditEvent:
    """A sign-in, sign-out, failed sign-in or lockout. A failed one names the account it tried, if there is one."""
    clinic_id = getattr(user, "clinic_id", None)
    if user is None and username:
        clinic_id = User.objects.filter(username=username).values_list("clinic_id", flat=True).first()
    return audit_append(
        Entry(action=action, user=user, username=username, clinic_id=clinic_id, **_from_request(request))
    )


def log_lockout_once(request: HttpRequest | None, *, username: str) -> AuditEvent | None:
    """A lockout, unless one for this username and address is already logged within the sign-in cool-off."""
    ip = _from_request(request).get("ip", "")
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    logged = AuditEvent.objects.filter(action=Action.LOCKOUT, username=username, ip=ip, at__gte=since).exists()
    return None if logged else log_sign_in_event(request, action=Action.LOCKOUT, user=None, username=username)


def log_record_change(*, instance: models.Model, history_instance: models.Model) -> AuditEvent:
    """Chain a new simple-history row: its model, id, type, user and the sha256 of its stored field values."""
    history_model = type(history_instance)
    fields = [f.attname for f in history_model._meta.concrete_fields]
    # What the database stored, so `verify_audit` later hashes exactly the same values.
    stored = stored_values(history_instance)
    user = history_instance.history_user  # type: ignore[attr-defined]
    clinic_id, patient_id = _scope(instance)
    request = getattr(HistoricalRecords.context, "request", None)
    details = {
        "model": history_model._meta.label_lower,
        "history_id": history_instance.pk,
        "history_type": history_instance.history_type,  # type: ignore[attr-defined]
        "fields": fields,
        "row_sha256": chain.digest(stored),
    }
    return audit_append(
        Entry(
            action=Action.RECORD_CHANGE,
            user=user,
            clinic_id=clinic_id,
            patient_id=patient_id,
            object_type=instance._meta.label_lower,
            object_id=str(instance.pk),
            details=details,
            **_from_request(request),
        )
    )


class _Unsure(Exception):
    """A value whose stored form cannot be told from memory for certain."""


def stored_values(row: models.Model) -> dict[str, Any]:
    """The row's field values as the database gives them back: from memory when each one is certain to come back
    the same (perf-review §3: re-reading every history row cost one SELECT per change), else read back.

    Certain: None, an aware datetime, a date, a bool, an int, a str, a UUID, a Decimal with no more places than its
    column, JSON that survives its own encoder and decoder. Anything else (an expression, a naive time, a float, a
    string for a number, a Decimal the column would round) is read back from the database.
    """
    model = type(row)
    fields = list(model._meta.concrete_fields)
    try:
        return {field.attname: _as_stored(field, getattr(row, field.attname)) for field in fields}
    except _Unsure:
        return model._base_manager.filter(pk=row.pk).values(*[f.attname for f in fields]).get()


# Field kinds whose value comes back from the database as it was written, when it has the type checked here. Order
# matters: a DateTimeField is a DateField too.
_FieldKinds = type[models.Field] | tuple[type[models.Field], ...]
_COMES_BACK_AS_WRITTEN: tuple[tuple[_FieldKinds, Callable[[Any], bool]], ...] = (
    (models.DateTimeField, lambda v: isinstance(v, dt.datetime) and v.tzinfo is not None),
    (models.DateField, lambda v: isinstance(v, dt.date) and not isinstance(v, dt.datetime)),
    (models.BooleanField, lambda v: isinstance(v, bool)),
    (
        (models.IntegerField, models.AutoField, models.ForeignKey),
        lambda v: isinstance(v, int) and not isinstance(v, bool),
    ),
    (models.UUIDField, lambda v: isinstance(v, uuid.UUID)),
    ((models.CharField, models.TextField), lambda v: isinstance(v, str)),
)


def _as_stored(field: models.Field, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(field, models.DecimalField):
        return _decimal_as_stored(field, value)
    if isinstance(field, models.JSONField):
        try:
            return json.loads(json.dumps(value, cls=field.encoder), cls=field.decoder)
        except (TypeError, ValueError) as exc:
            raise _Unsure(field.attname) from exc
    for kinds, certain in _COMES_BACK_AS_WRITTEN:
        if isinstance(field, kinds):
            if certain(value):
                return value
            break
    raise _Unsure(field.attname)


def _decimal_as_stored(field: models.DecimalField, value: Any) -> Decimal:
    if isinstance(value, Decimal) and value.is_finite() and field.decimal_places is not None:
        stored = value.quantize(Decimal(1).scaleb(-field.decimal_places))
        if stored == value:  # nothing for the column to round (PostgreSQL and SQLite round halves differently)
            return stored
    raise _Unsure(field.attname)


def _scope(instance: models.Model) -> tuple[int | None, int | None]:
    """(clinic id, patient id) of a clinical or library row, through its patient, challenge or protocol."""
    if isinstance(instance, Patient):
        return instance.clinic_id, instance.pk
    clinic_id = getattr(instance, "clinic_id", None)
    patient_id = getattr(instance, "patient_id", None)
    for parent_name in ("patient", "challenge", "protocol"):
        if getattr(instance, f"{parent_name}_id", None) is None:
            continue
        parent = getattr(instance, parent_name)
        clinic_id = clinic_id or getattr(parent, "clinic_id", None)
        patient_id = patient_id or getattr(parent, "patient_id", None)
    return clinic_id, patient_id
