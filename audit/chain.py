"""The audit chain's arithmetic: canonical JSON and the hashes that link each row to the one before. No ORM.

Each audit row stores `hash = sha256(previous_hash + canonical JSON of its content)`, so changing, removing or
moving any row breaks every link after it (the scheme of RFC 6962's hash chains, without the tree). Canonical
JSON: keys sorted, no whitespace, UTF-8, times as ISO-8601 in UTC, decimals as plain digits.

A row is chained either in the writer's own transaction (`sealed_at` empty: the content is EVENT_FIELDS) or by the
sealer right after the writer's commit (`sealed_at` set: the content also holds the row's `id` and `sealed_at`, so
the row cannot be moved to another id and the time it waited unsealed is itself under the hash). docs/audit-chain.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

GENESIS = "0" * 64  # the `previous_hash` of the first row

# What one audit row's hash covers: everything but its own id and the two hashes.
EVENT_FIELDS = (
    "seq",
    "at",
    "user_id",
    "username",
    "clinic_id",
    "patient_id",
    "action",
    "object_type",
    "object_id",
    "ip",
    "user_agent",
    "details",
)


def normalise(value: Any) -> Any:
    """A JSON-ready value that is the same whether it comes from Python or back from the database."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:  # USE_TZ is on, so a naive time is already UTC
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, Mapping):
        return {str(key): normalise(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [normalise(item) for item in value]
    return value


def canonical_json(data: Any) -> str:
    return json.dumps(normalise(data), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def digest(data: Any) -> str:
    """sha256 of the canonical JSON of `data` (a history row's field values, for instance)."""
    return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()


# Also covered when the row was sealed after its writer's commit.
SEALED_FIELDS = ("id", "sealed_at")


def event_content(values: Mapping[str, Any]) -> dict[str, Any]:
    """The part of an audit row its hash covers, from a model instance's or a `.values()` row's fields."""
    content = {name: values[name] for name in EVENT_FIELDS}
    if values.get("sealed_at") is not None:
        content.update((name, values[name]) for name in SEALED_FIELDS)
    return content


def link_hash(previous_hash: str, content: Mapping[str, Any]) -> str:
    return hashlib.sha256((previous_hash + canonical_json(content)).encode("utf-8")).hexdigest()
