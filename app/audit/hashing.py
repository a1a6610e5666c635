"""Canonical serialization and the hashes of events, payloads and seals.

One place defines what is hashed, so that writing, `verify` and an exported file (JSONL/CSV read back)
all compute the same values. Events are read through attributes, so ORM objects, result rows and
`SimpleNamespace`s of exported records all work.
"""
from __future__ import annotations

import hashlib
import json
import operator
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

EVENT_FIELDS = ("municipality_id", "instance_id", "seq", "occurred_at", "actor", "office", "kind", "element_id",
                "details", "prev_hash")


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


# One encoder for every call: json.dumps(..., sort_keys=True, ...) would build an equal one each time, a
# good part of the cost of hashing an event. The encoder keeps no state between calls, so sharing it is safe.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_default)
_event_fields = operator.attrgetter(*EVENT_FIELDS)


def canonical_json(value: Any) -> str:
    """Deterministic JSON: sorted keys, no whitespace, UTF-8 kept as is."""
    return _CANONICAL.encode(value)


def normalize(value: Any) -> Any:
    """The value as a JSON column gives it back, so what is hashed is exactly what is stored."""
    return json.loads(canonical_json(value))


def iso_utc(value: datetime | str) -> str:
    """ISO 8601 in UTC; strings (from an exported file) are taken as they are."""
    if isinstance(value, str):
        return value
    if value.tzinfo is UTC:  # what the database gives back: no conversion needed
        return value.isoformat()
    return value.astimezone(UTC).isoformat()


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def event_body(event: Any) -> dict[str, Any]:
    """The hashed fields of an event; personal content enters only as details['payload_sha256']."""
    body = dict(zip(EVENT_FIELDS, _event_fields(event), strict=True))
    body["occurred_at"] = iso_utc(body["occurred_at"])
    return body


def event_hash(event: Any) -> str:
    """SHA-256 over the canonical serialization of an event (including the previous hash)."""
    return _sha256(canonical_json(event_body(event)))


def payload_hash(salt: str, content: Any) -> str:
    """Salted SHA-256 of a payload: binds the event to the content without revealing it once the salt is gone."""
    return _sha256(salt + ":" + canonical_json(content))


def entries_digest(entries: Iterable[tuple[int | None, int, str]]) -> str:
    """SHA-256 over (instance id, seq, hash) of sealed chain heads, in the order given (instance id, NULL first)."""
    digest = hashlib.sha256()
    for instance_id, seq, head in entries:
        digest.update(f"{'' if instance_id is None else instance_id}:{seq}:{head}\n".encode())
    return digest.hexdigest()


def seal_hash(seal: Any) -> str:
    """SHA-256 over a ledger seal: municipality, sequence, time, entry digest and the previous seal's hash."""
    return _sha256(canonical_json({
        "municipality_id": seal.municipality_id, "seq": seal.seq, "sealed_at": iso_utc(seal.sealed_at),
        "entry_count": seal.entry_count, "entries_sha256": seal.entries_sha256, "prev_hash": seal.prev_hash,
    }))
