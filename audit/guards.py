"""Database triggers that make the audit trail and every history table append-only, and clinical rows undeletable.

These stop the app's own code, a stray `manage.py shell` or a SQL console from rewriting the record. They do not
stop someone who can drop triggers (the database owner); `verify_audit` and the hash chain catch that instead.

- APPEND_ONLY tables (audit events, every simple-history table): UPDATE and DELETE abort. One exception: an audit
  row inserted unsealed may be updated once, to fill in its seq, hashes and sealed_at, and nothing else
  (SEAL_ONCE below; docs/audit-chain.md).
- NO_DELETE tables (clinical records): DELETE aborts; rows still change, each change leaving a history row.
On PostgreSQL TRUNCATE aborts too (it fires no row triggers). Errors surface as IntegrityError on both engines.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager

from django.apps import apps as live_apps
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model

APPEND_ONLY = ("update", "delete")
NO_DELETE = ("delete",)
PREFIX = "sw_guard_"
MESSAGE = "is refused: clinical, history and audit rows are never deleted; history and audit rows never change"
AUDIT_TABLE = "audit_auditevent"

_PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION sw_guard_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% on % {MESSAGE}', TG_OP, TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
END
$$
"""

# The audit table's UPDATE guard lets one UPDATE through: an unsealed row getting its place in the chain, every
# other column unchanged. Keep this list in step with audit.models.AuditEvent's columns.
_AUDIT_CONTENT = (
    "id", "at", "user_id", "username", "clinic_id", "patient_id", "action", "object_type", "object_id", "ip",
    "user_agent", "details",
)  # fmt: skip
_SEAL_SET = ("seq", "previous_hash", "hash", "sealed_at")
SEAL_MESSAGE = "is refused: an audit row changes only once, when an unsealed row is sealed into the chain"


def _seal_once_condition(old: str, new: str, same: str) -> str:
    unchanged = " AND ".join(f"{new}.{name} {same} {old}.{name}" for name in _AUDIT_CONTENT)
    filled = " AND ".join(f"{new}.{name} IS NOT NULL" for name in _SEAL_SET)
    return f"{old}.hash IS NULL AND {filled} AND {unchanged}"


_PG_SEAL_FUNCTION = f"""
CREATE OR REPLACE FUNCTION sw_guard_audit_seal_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF {_seal_once_condition("OLD", "NEW", "IS NOT DISTINCT FROM")} THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '% on % {SEAL_MESSAGE}', TG_OP, TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
END
$$
"""

Guard = tuple[str, str]  # (table, operation)


def is_history_model(model: type[Model]) -> bool:
    """A simple-history table: named Historical..., keyed by history_id."""
    return model.__name__.startswith("Historical") and any(f.name == "history_id" for f in model._meta.fields)


def guarded_tables(models: Iterable[type[Model]]) -> dict[str, tuple[str, ...]]:
    """The operations to refuse on each table, for the app's current models."""
    from clinics.models import NoDeleteQuerySet

    tables: dict[str, tuple[str, ...]] = {AUDIT_TABLE: APPEND_ONLY}
    for model in models:
        if model._meta.proxy or not model._meta.managed:
            continue
        if is_history_model(model):
            tables[model._meta.db_table] = APPEND_ONLY
        elif isinstance(model._default_manager.all(), NoDeleteQuerySet):
            tables[model._meta.db_table] = NO_DELETE
    return tables


def install_for_registry(connection: BaseDatabaseWrapper) -> list[Guard]:
    """Add the missing guards for every current model whose table exists; returns the guards it added."""
    existing_tables = set(connection.introspection.table_names())
    wanted = {table: ops for table, ops in guarded_tables(live_apps.get_models()).items() if table in existing_tables}
    return install(connection, wanted)


def install(connection: BaseDatabaseWrapper, tables: Mapping[str, Iterable[str]]) -> list[Guard]:
    """Create each guard that is not there yet (idempotent)."""
    if connection.vendor not in ("sqlite", "postgresql"):
        return []
    present = set(existing(connection))
    wanted = [(table, op) for table, ops in tables.items() for op in _ops(connection, ops)]
    missing = [guard for guard in wanted if guard not in present]
    with connection.cursor() as cursor:
        if missing and connection.vendor == "postgresql":
            cursor.execute(_PG_FUNCTION)
            cursor.execute(_PG_SEAL_FUNCTION)
        for table, op in missing:
            cursor.execute(_create_sql(connection, table, op))
    return missing


def drop(connection: BaseDatabaseWrapper, guards: Iterable[Guard]) -> None:
    with connection.cursor() as cursor:
        for table, op in guards:
            cursor.execute(_drop_sql(connection, table, op))


def existing(connection: BaseDatabaseWrapper) -> list[Guard]:
    """The guards now in the database, as (table, operation)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'sw_guard_%'")
        elif connection.vendor == "postgresql":
            cursor.execute(
                "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE t.tgname LIKE 'sw_guard_%%' AND c.relnamespace = current_schema()::regnamespace"
            )
        else:
            return []
        rows = cursor.fetchall()
    return [(table, name[len(PREFIX) :].split("__")[0]) for table, name in rows]


@contextmanager
def suspended(connection: BaseDatabaseWrapper) -> Iterator[list[Guard]]:
    """Drop every guard, then put the same guards back. For the test suite's flush only (tests/plugins/guards.py)."""
    guards = existing(connection)
    drop(connection, guards)
    try:
        yield guards
    finally:
        install(connection, as_tables(guards))


def _ops(connection: BaseDatabaseWrapper, ops: Iterable[str]) -> list[str]:
    ops = list(ops)
    if connection.vendor == "postgresql":
        ops.append("truncate")  # PostgreSQL's TRUNCATE fires no row triggers
    return list(dict.fromkeys(ops))


def _name(connection: BaseDatabaseWrapper, table: str, op: str) -> str:
    # SQLite trigger names are global, PostgreSQL's are per table (and at most 63 characters).
    return f"{PREFIX}{op}__{table}" if connection.vendor == "sqlite" else f"{PREFIX}{op}"


def _create_sql(connection: BaseDatabaseWrapper, table: str, op: str) -> str:
    name, quoted = connection.ops.quote_name(_name(connection, table, op)), connection.ops.quote_name(table)
    if table == AUDIT_TABLE and op == "update":
        return _seal_once_sql(connection, name, quoted)
    if connection.vendor == "sqlite":
        message = f"{op.upper()} on {table} {MESSAGE}"
        return f"CREATE TRIGGER {name} BEFORE {op.upper()} ON {quoted} BEGIN SELECT RAISE(ABORT, '{message}'); END"
    level = "STATEMENT" if op == "truncate" else "ROW"
    return f"CREATE TRIGGER {name} BEFORE {op.upper()} ON {quoted} FOR EACH {level} EXECUTE FUNCTION sw_guard_refuse()"


def _seal_once_sql(connection: BaseDatabaseWrapper, name: str, quoted: str) -> str:
    if connection.vendor == "sqlite":
        message = f"UPDATE on {AUDIT_TABLE} {SEAL_MESSAGE}"
        condition = _seal_once_condition("OLD", "NEW", "IS")
        refuse = f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
        return f"CREATE TRIGGER {name} BEFORE UPDATE ON {quoted} WHEN NOT ({condition}) {refuse}"
    return f"CREATE TRIGGER {name} BEFORE UPDATE ON {quoted} FOR EACH ROW EXECUTE FUNCTION sw_guard_audit_seal_once()"


def _drop_sql(connection: BaseDatabaseWrapper, table: str, op: str) -> str:
    name = connection.ops.quote_name(_name(connection, table, op))
    if connection.vendor == "sqlite":
        return f"DROP TRIGGER IF EXISTS {name}"
    return f"DROP TRIGGER IF EXISTS {name} ON {connection.ops.quote_name(table)}"


def as_tables(guards: Iterable[Guard]) -> dict[str, list[str]]:
    tables: dict[str, list[str]] = {}
    for table, op in guards:
        tables.setdefault(table, []).append(op)
    return tables
