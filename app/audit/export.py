"""Exporting the trail as JSONL or CSV: streamed in batches (constant memory), the same shape as the API.

Every record carries the hashed fields, so an exported file can be checked on its own (`check_records`):
the JSONL export of an instance is exactly what GET /api/instances/{id}/audit shows.
"""
from __future__ import annotations

import csv
import io
import itertools
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from types import SimpleNamespace
from typing import IO, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit.hashing import canonical_json
from app.audit.models import AuditEvent
from app.audit.schemas import AuditEventSchema
from app.audit.service import event_view, payloads_by_hash
from app.audit.verify import Problem, Report, check_chain
from app.casefile.access import PayloadFilter
from app.directory.service import Principal

FORMATS = ("jsonl", "csv")
MIMETYPES = {"jsonl": "application/x-ndjson", "csv": "text/csv"}
COLUMNS = tuple(AuditEventSchema().fields)
_INT_COLUMNS = ("municipality_id", "instance_id", "seq")
_JSON_COLUMNS = ("details", "payload")
_NULLABLE = ("instance_id", "office", "element_id", "payload")  # an empty cell means null only here


def _filtered(query, *, municipality_id: int | None, instance_id: int | None, since: datetime | None):
    if municipality_id is not None:
        query = query.where(AuditEvent.municipality_id == municipality_id)
    if instance_id is not None:
        query = query.where(AuditEvent.instance_id == instance_id)
    if since is not None:
        query = query.where(AuditEvent.occurred_at >= since)
    return query


def count_events(session: Session, *, municipality_id: int | None = None, instance_id: int | None = None,
                 since: datetime | None = None) -> int:
    """How many events an export with these filters will write (for the progress bar)."""
    query = _filtered(select(func.count()).select_from(AuditEvent), municipality_id=municipality_id,
                      instance_id=instance_id, since=since)
    return session.scalar(query) or 0


def iter_records(session: Session, *, municipality_id: int | None = None, instance_id: int | None = None,
                 since: datetime | None = None, batch: int = 500,
                 reader: Principal | None = None) -> Iterator[dict[str, Any]]:
    """Events as API records, chain by chain (municipality chain first), fetched `batch` rows at a time.

    With a `reader` (a person downloading), case content goes through the case file's read rule.
    """
    cut = PayloadFilter(session, reader) if reader is not None else None
    query = _filtered(select(AuditEvent), municipality_id=municipality_id, instance_id=instance_id, since=since)
    query = query.order_by(AuditEvent.municipality_id, AuditEvent.instance_id.asc().nulls_first(),
                           AuditEvent.seq).execution_options(yield_per=batch)
    schema = AuditEventSchema()
    for events in session.scalars(query).partitions():
        hashes: dict[int, list[str]] = defaultdict(list)
        for event in events:
            if (event.details or {}).get("payload_sha256"):
                hashes[event.municipality_id].append(event.details["payload_sha256"])
        payloads = {}
        for mid, wanted in hashes.items():
            payloads.update(payloads_by_hash(session, mid, wanted))
        for event in events:
            view = event_view(event, payloads)
            yield schema.dump(cut(view) if cut is not None else view)


# A byte order mark before the CSV header: spreadsheet programs (Excel in particular) then read the file as
# UTF-8 instead of the Windows code page, so office names like "Ausländerbehörde" arrive intact. read_csv skips it.
BOM = "\ufeff"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return canonical_json(value)
    return str(value)


def _writer(fmt: str, out: IO[str]) -> Callable[[dict[str, Any]], object]:
    """Start a file of `fmt` on `out` (CSV: BOM and header) and return what writes one record to it."""
    if fmt == "csv":
        out.write(BOM)
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        return lambda record: writer.writerow([_cell(record.get(column)) for column in COLUMNS])
    if fmt == "jsonl":
        return lambda record: out.write(json.dumps(record, ensure_ascii=False) + "\n")
    raise ValueError(f"unknown export format '{fmt}'")


def _write(records: Iterable[dict[str, Any]], fmt: str, out: IO[str]) -> int:
    put = _writer(fmt, out)
    count = 0
    for record in records:
        put(record)
        count += 1
    return count


def write_jsonl(records: Iterable[dict[str, Any]], out: IO[str]) -> int:
    """One JSON object a line; returns the number of records."""
    return _write(records, "jsonl", out)


def write_csv(records: Iterable[dict[str, Any]], out: IO[str]) -> int:
    """A BOM, a header and one row per record (details and payload as JSON); returns the number of records."""
    return _write(records, "csv", out)


def iter_text(records: Iterable[dict[str, Any]], fmt: str, *, rows: int = 500) -> Iterator[str]:
    """What write_jsonl / write_csv would write, in pieces of `rows` records (for streamed HTTP responses)."""
    buffer = io.StringIO()
    put = _writer(fmt, buffer)
    for count, record in enumerate(records, start=1):
        put(record)
        if count % rows == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


def read_jsonl(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """Records from a JSONL export."""
    for line in lines:
        if line.strip():
            yield json.loads(line)


def _without_bom(lines: Iterable[str]) -> Iterator[str]:
    for number, line in enumerate(lines):
        yield line[len(BOM):] if number == 0 and line.startswith(BOM) else line


def read_csv(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """Records from a CSV export (with or without its BOM), with the types of the JSONL export."""
    for row in csv.DictReader(_without_bom(lines)):
        record: dict[str, Any] = {k: (None if v == "" and k in _NULLABLE else v) for k, v in row.items()}
        for column in _INT_COLUMNS:
            record[column] = int(record[column]) if record[column] is not None else None
        for column in _JSON_COLUMNS:
            record[column] = json.loads(record[column]) if record[column] is not None else None
        record["payload_erased"] = record["payload_erased"] == "true"
        yield record


def check_records(records: Iterable[dict[str, Any]], counter: Report | None = None) -> list[Problem]:
    """Re-check the chains of an exported file; a chain cut by --since is checked from its first record on.

    Payloads are not re-hashed (the salts stay in the database). `counter` counts the chains and events read.
    """
    problems = []

    def chain_key(record: dict[str, Any]) -> tuple[int, int | None]:
        return record["municipality_id"], record["instance_id"]

    for (mid, instance_id), group in itertools.groupby(records, key=chain_key):
        label = f"instance {instance_id}" if instance_id is not None else f"municipality {mid} chain"
        events = [SimpleNamespace(**record) for record in group]
        if counter is not None:
            counter.chains += 1
        problem = check_chain(label, instance_id, events, head=None, counter=counter,
                              start=(events[0].seq, events[0].prev_hash))
        if problem is not None:
            problems.append(problem)
    return problems
