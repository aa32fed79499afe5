"""Fixed-shape SELECTs compiled to SQL once per process and database, then run again with other keys.

Django compiles a queryset to SQL every time it is evaluated. For the dose post's state (six small SELECTs, each
"this relation's rows of this one challenge") the compilation cost more of the app's CPU than running the query and
building the rows (bench/README.md, "Dose posts, seventh pass"). A `Compiled` query takes a function that builds the
queryset for given keys, compiles it once (per database alias and vendor) with sentinel keys, and from then on sends
the same SQL with the real keys, building the rows as the ORM builds them:

- the SQL and its layout (which columns belong to which model, and the `select_related` rows under each) come from
  Django's own compiler, never written by hand, so they are the ORM's for every database engine;
- each row's values go through the same converters the ORM applies (e.g. SQLite's text to Decimal, UUID, aware
  datetime), taken from the running connection, and each instance is made by `Model.from_db`, as the ORM does;
- a row selected through `select_related` is set on its parent as the ORM's populator sets it (None when the
  foreign key is empty).

What it refuses, at its first compilation, so that a change in Django's internals fails loudly instead of rows
silently differing: a parameter that is not one of the sentinel keys (a value Django inlined or added), a key it
does not find, a selected column that is not a plain field of the model it belongs to (an annotation, an extra
select, a deferred or composite field), and a reverse relation in `select_related`. A locking query
(`select_for_update`) is refused outside a transaction on every run, as Django refuses it at compilation.

Private Django API used (pinned by tests/run/test_compiled_queries.py, which compares every field of every row with
the ORM's on SQLite and PostgreSQL): `SQLCompiler.select`, `.klass_info`, `.annotation_col_map`, `.get_converters`
and `.apply_converters` (what `QuerySet.raw()` also uses), `connection.ops.compiler`, and
`django.db.models.query.get_related_populators` (the ORM's own `select_related` row builder).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model, QuerySet
from django.db.models.expressions import Col
from django.db.models.query import get_related_populators  # type: ignore[attr-defined]  # private: not in the stubs
from django.db.transaction import TransactionManagementError

M = TypeVar("M", bound=Model)

# Keys no table holds (ids are positive), one per parameter: compiled in, then found in the compiled parameters.
_SENTINELS = (-917_331, -917_332, -917_333)


@dataclass(frozen=True)
class _Plan:
    sql: str
    order: tuple[int, ...]  # the i-th SQL parameter is key number order[i]
    columns: tuple[Col, ...]  # every selected column, in order
    model: type[Model]
    model_names: tuple[str, ...]  # the model's attnames, columns[0:len(model_names)]
    related: tuple[Any, ...]  # the ORM's select_related populators, stateless per row
    locks: bool


class Compiled(Generic[M]):
    """A queryset of one fixed shape whose keys change: `build(*keys)` returns it for given keys (ints)."""

    def __init__(self, build: Callable[..., QuerySet[M]], keys: int = 1) -> None:
        if not 1 <= keys <= len(_SENTINELS):
            raise ValueError(f"1 to {len(_SENTINELS)} keys")
        self._build = build
        self._keys = keys
        self._plans: dict[tuple[str, str], _Plan] = {}
        self._lock = threading.Lock()
        self._local = threading.local()

    def rows(self, *keys: int, using: str = DEFAULT_DB_ALIAS) -> list[M]:
        """The rows of the queryset built for these keys, in the order the database returns them."""
        if len(keys) != self._keys:
            raise TypeError(f"{self._keys} keys expected, {len(keys)} given")
        connection = connections[using]
        plan = self._plan(connection)
        if plan.locks and connection.get_autocommit() and connection.features.supports_transactions:
            raise TransactionManagementError("select_for_update cannot be used outside of a transaction.")
        with connection.cursor() as cursor:
            cursor.execute(plan.sql, [int(keys[i]) for i in plan.order])
            fetched = cursor.fetchall()
        if not fetched:
            return []
        compiler, converters = self._converters(connection, plan)
        values = compiler.apply_converters(fetched, converters) if converters else fetched
        model, names, width = plan.model, plan.model_names, len(plan.model_names)
        found: list[M] = []
        for row in values:
            obj = cast("M", model.from_db(using, names, row[:width]))
            for populator in plan.related:
                populator.populate(row, obj)
            found.append(obj)
        return found

    def _converters(self, connection: BaseDatabaseWrapper, plan: _Plan) -> tuple[Any, dict[int, Any]]:
        """A compiler of this connection (what `QuerySet.raw()` makes to convert values) and the plan's converters,
        kept per thread while the thread's connection object is the same (they are bound to its operations)."""
        kept = getattr(self._local, "converters", None)
        if kept is None or kept[0] is not connection or kept[1] is not plan:
            compiler = connection.ops.compiler("SQLCompiler")(None, connection, connection.alias)  # type: ignore[arg-type]
            kept = self._local.converters = (connection, plan, compiler, compiler.get_converters(list(plan.columns)))
        return kept[2], kept[3]

    def sql(self, using: str = DEFAULT_DB_ALIAS) -> str:
        """The compiled SQL (for tests and benches)."""
        return self._plan(connections[using]).sql

    def _plan(self, connection: BaseDatabaseWrapper) -> _Plan:
        key = (connection.alias, connection.vendor)
        plan = self._plans.get(key)
        if plan is None:
            with self._lock:
                plan = self._plans.get(key) or _compile(self._build(*_SENTINELS[: self._keys]), self._keys, connection)
                self._plans[key] = plan
        return plan


def _compile(queryset: QuerySet[Any], keys: int, connection: BaseDatabaseWrapper) -> _Plan:
    compiler = queryset.query.get_compiler(connection=connection)
    locks = bool(queryset.query.select_for_update) and connection.features.has_select_for_update
    sql, params = compiler.as_sql()  # a locking query outside a transaction is refused here, as by the ORM
    if compiler.annotation_col_map or compiler.has_extra_select:
        raise _refused(queryset, "selects more than the model's fields")
    order = tuple(_SENTINELS.index(p) if p in _SENTINELS else -1 for p in params)
    if -1 in order or sorted({*order}) != list(range(keys)):
        raise _refused(queryset, f"has parameters other than its {keys} keys: {params!r}")
    info = compiler.klass_info
    if info is None:
        raise _refused(queryset, "selects no model rows")
    columns = tuple(col for col, _sql, _alias in compiler.select)
    _check_layout(queryset, info, columns)
    start, end = info["select_fields"][0], info["select_fields"][-1] + 1
    if start != 0:
        raise _refused(queryset, "does not select its model's fields first")
    return _Plan(
        sql=sql,
        order=order,
        columns=columns,
        model=info["model"],
        model_names=tuple(col.target.attname for col in columns[start:end]),
        related=tuple(get_related_populators(info, compiler.select, connection.alias)),
        locks=locks,
    )


def _check_layout(queryset: QuerySet[Any], info: dict[str, Any], columns: tuple[Any, ...]) -> None:
    """Each model's columns are its concrete fields, plain, in their order (what `Model.from_db` takes them as), and
    only forward relations are selected."""
    model = info["model"]
    selected = [columns[position] for position in info["select_fields"]]
    if any(type(column) is not Col for column in selected) or [column.target for column in selected] != list(
        model._meta.concrete_fields
    ):
        raise _refused(queryset, f"selects {model.__name__} with other, deferred or reordered fields")
    for related in info.get("related_klass_infos", ()):
        if related.get("reverse"):
            raise _refused(queryset, "selects a reverse relation")
        _check_layout(queryset, related, columns)


def _refused(queryset: QuerySet[Any], why: str) -> ValueError:
    return ValueError(f"Compiled: the query of {queryset.model.__name__} {why}; run it through the ORM instead")


def prefetched(owner: Model, relation: str, rows: list[M]) -> None:
    """Give `owner`'s reverse foreign key `relation` these rows, as `prefetch_related` would: `owner.<relation>.all()`
    returns them without a query (a filter on it queries, as after a prefetch), and each row's foreign key to `owner`
    holds `owner` itself. Private Django API: the `_prefetched_objects_cache` the related manager reads, a
    queryset's `_result_cache` and `_prefetch_done` (prefetch_related_objects sets the same three)."""
    manager = getattr(owner, relation)
    field = manager.field  # the row model's foreign key to owner
    for row in rows:
        field.set_cached_value(row, owner)
    queryset = manager.get_queryset()
    queryset._result_cache = rows
    queryset._prefetch_done = True
    owner.__dict__.setdefault("_prefetched_objects_cache", {})[field.remote_field.cache_name] = queryset
