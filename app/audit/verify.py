"""Verifying the trail: every chain link, every payload, the ledger, and the chains against the ledger.

A municipality is checked in one pass over sorted streams (instances, events, sealed heads, payloads
merged by instance id), so memory stays constant however many cases there are. Each chain reports its
first broken link: which chain, which sequence number, and what does not match. Events and payloads are
turned into plain named tuples as they stream in: the dozen or more field reads a check makes cost more on
a SQLAlchemy row than hashing the event does.
"""
from __future__ import annotations

import contextlib
import itertools
import operator
from collections import namedtuple
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit.hashing import EVENT_FIELDS, entries_digest, event_hash, payload_hash, seal_hash
from app.audit.models import AuditEvent, AuditPayload, AuditSeal, AuditSealEntry
from app.directory.models import Municipality
from app.instances.models import ProcessInstance

BATCH = 1000
MAX_PROBLEMS = 100



class StoredEvent(NamedTuple):
    """An audit event row as hashed: the EVENT_FIELDS and the stored hash."""

    municipality_id: int
    instance_id: int | None
    seq: int
    occurred_at: datetime
    actor: str
    office: str | None
    kind: str
    element_id: str | None
    details: dict[str, Any]
    prev_hash: str
    hash: str


# The row must carry exactly what event_hash reads; fail at import if the two drift apart.
if StoredEvent._fields != (*EVENT_FIELDS, "hash"):
    raise RuntimeError("StoredEvent and app.audit.hashing.EVENT_FIELDS disagree")
StoredPayload = namedtuple("StoredPayload", ["instance_id", "sha256", "salt", "content"])
_EVENT_COLUMNS = [AuditEvent.__table__.c[name] for name in StoredEvent._fields]


@dataclass
class Problem:
    """The first broken link of one chain."""

    chain: str
    instance_id: int | None
    seq: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.chain}, seq {self.seq}" if self.seq is not None else self.chain
        return f"{where}: {self.message}"


@dataclass
class Report:
    """What verify checked and what it found."""

    chains: int = 0
    events: int = 0
    seals: int = 0
    sealed_seq: int | None = None
    ledger_heads: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing was found broken."""
        return not self.problems

    def add(self, problem: Problem | None) -> None:
        """Keep a problem (up to MAX_PROBLEMS)."""
        if problem is not None and len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)

    def merge(self, other: Report) -> None:
        """Add another report's counts and problems."""
        self.chains, self.events, self.seals = self.chains + other.chains, self.events + other.events, \
            self.seals + other.seals
        self.ledger_heads.update(other.ledger_heads)
        for problem in other.problems:
            self.add(problem)


def _payload_fault(row: Any, sha: str) -> str | None:
    """Why a referenced payload row is wrong, or None (an erased payload, content None, is not wrong)."""
    if row is None:
        return f"payload {sha[:12]}… is missing"
    if row.content is not None and (row.salt is None or payload_hash(row.salt, row.content) != sha):
        return "payload does not match its hash (changed after it was written)"
    return None


def check_chain(label: str, instance_id: int | None, events: Iterable[Any], *, head: tuple[int, str] | None,
                sealed: Iterable[Any] = (), payloads: dict[str, Any] | None = None,
                counter: Report | None = None, start: tuple[int, str] = (1, "")) -> Problem | None:
    """The first broken link of one chain (events in stored seq order), or None when it is intact.

    `head` is what the instance row records (None for the municipality chain); `sealed` are ledger entries
    (seq, hash, seal_seq); `payloads` maps payload hashes to rows (None: payloads are not checked);
    `start` is the first expected (seq, prev_hash), for a chain exported from the middle.
    """
    sealed_at = {s.seq: s for s in sealed}
    (expected, prev), erased, tombstone_seq = start, False, None

    def broken(seq: int | None, message: str) -> Problem:
        return Problem(label, instance_id, seq, message)

    for event in events:
        if counter is not None:
            counter.events += 1
        if event.seq != expected:
            what = (f"event missing (the next stored event has seq {event.seq})" if event.seq > expected
                    else f"out of order: found seq {event.seq} (duplicated or moved)")
            return broken(expected, what)
        if event.prev_hash != prev:
            return broken(event.seq, f"prev_hash does not match the hash of seq {event.seq - 1}")
        if event_hash(event) != event.hash:
            return broken(event.seq, "hash does not match the event's content (changed after it was written)")
        seal = sealed_at.get(event.seq)
        if seal is not None and seal.hash != event.hash:
            return broken(event.seq, f"hash differs from the one sealed in ledger seal {seal.seal_seq}")
        sha = (event.details or {}).get("payload_sha256") if payloads is not None else None
        if sha and payloads is not None:
            row = payloads.get(sha)
            fault = _payload_fault(row, sha)
            if fault:
                return broken(event.seq, fault)
            if row is not None and row.content is None:
                tombstone_seq = tombstone_seq or event.seq
        erased = erased or event.kind == "erased"
        prev, expected = event.hash, expected + 1
    last = expected - 1
    if tombstone_seq is not None and not erased:
        return broken(tombstone_seq, "payload erased without an 'erased' event in the chain")
    beyond = sorted(seq for seq in sealed_at if seq > last)
    if beyond:
        seal = sealed_at[beyond[0]]
        return broken(last + 1, f"missing: ledger seal {seal.seal_seq} sealed this chain up to seq {beyond[-1]}, "
                                f"but it ends at seq {last}")
    if head is not None and head[0] != last:
        return broken(last + 1 if head[0] > last else head[0] + 1,
                      f"the chain ends at seq {last} but the instance records its head at seq {head[0]}")
    if head is not None and head[1] != prev:
        return broken(last, "the last event's hash differs from the head recorded on the instance")
    return None


def _sealed_query(municipality_id: int):
    return (select(AuditSealEntry.instance_id, AuditSealEntry.seq, AuditSealEntry.hash,
                   AuditSeal.seq.label("seal_seq"))
            .join(AuditSeal, AuditSeal.id == AuditSealEntry.seal_id)
            .where(AuditSealEntry.municipality_id == municipality_id))


def _payload_query(municipality_id: int):
    return select(*[AuditPayload.__table__.c[name] for name in StoredPayload._fields]).where(
        AuditPayload.municipality_id == municipality_id)


def _event_query():
    return select(*_EVENT_COLUMNS)


def _payloads_by_hash(rows: Iterable[Any]) -> dict[str, Any]:
    return {p.sha256: p for p in map(StoredPayload._make, rows)}


def verify_instance(session: Session, instance: ProcessInstance) -> Report:
    """Check one instance's chain, its payloads and its sealed heads (the ledger itself: verify_municipality)."""
    report = Report(chains=1)
    mid = instance.municipality_id
    events = [StoredEvent._make(row) for row in session.execute(
        _event_query().where(AuditEvent.instance_id == instance.id).order_by(AuditEvent.seq))]
    sealed = session.execute(_sealed_query(mid).where(AuditSealEntry.instance_id == instance.id)
                             .order_by(AuditSealEntry.seq)).all()
    payloads = _payloads_by_hash(session.execute(_payload_query(mid).where(AuditPayload.instance_id == instance.id)))
    report.sealed_seq = max((s.seq for s in sealed), default=None)
    report.add(check_chain(f"instance {instance.id}", instance.id, events,
                           head=(instance.audit_seq, instance.audit_head), sealed=sealed, payloads=payloads,
                           counter=report))
    return report


def verify_municipality(session: Session, municipality: Municipality) -> Report:
    """Check the ledger, the municipality chain and every instance chain of a municipality."""
    report = Report()
    _check_ledger(session, municipality, report)
    mid = municipality.id
    own = [StoredEvent._make(row) for row in session.execute(_event_query().where(
        AuditEvent.municipality_id == mid, AuditEvent.instance_id.is_(None)).order_by(AuditEvent.seq))]
    own_sealed = session.execute(_sealed_query(mid).where(AuditSealEntry.instance_id.is_(None))).all()
    own_payloads = _payloads_by_hash(session.execute(_payload_query(mid).where(AuditPayload.instance_id.is_(None))))
    report.chains += 1
    report.add(check_chain(f"municipality {municipality.slug} chain", None, own, head=None, sealed=own_sealed,
                           payloads=own_payloads, counter=report))
    streams = {
        "instance": session.execute(select(ProcessInstance.id, ProcessInstance.audit_seq, ProcessInstance.audit_head)
                                    .where(ProcessInstance.municipality_id == mid).order_by(ProcessInstance.id)
                                    .execution_options(yield_per=BATCH)),
        "events": session.execute(_event_query().where(
            AuditEvent.municipality_id == mid, AuditEvent.instance_id.is_not(None))
            .order_by(AuditEvent.instance_id, AuditEvent.seq).execution_options(yield_per=BATCH)),
        "sealed": session.execute(_sealed_query(mid).where(AuditSealEntry.instance_id.is_not(None))
                                  .order_by(AuditSealEntry.instance_id, AuditSealEntry.seq)
                                  .execution_options(yield_per=BATCH)),
        "payloads": session.execute(_payload_query(mid).where(AuditPayload.instance_id.is_not(None))
                                    .order_by(AuditPayload.instance_id).execution_options(yield_per=BATCH)),
    }
    by_instance = operator.attrgetter("instance_id")
    keys: dict[str, Callable[[Any], int]] = {
        "instance": operator.attrgetter("id"), "events": by_instance, "sealed": by_instance, "payloads": by_instance}
    rows: dict[str, Iterable[Any]] = {**streams, "events": map(StoredEvent._make, streams["events"]),
            "payloads": map(StoredPayload._make, streams["payloads"])}
    with _closing(streams.values()):
        for instance_id, group in _merge({name: (rows[name], keys[name]) for name in streams}):
            row = group["instance"][0] if group["instance"] else None
            head = (row.audit_seq, row.audit_head) if row is not None else (0, "")
            report.chains += 1
            report.add(check_chain(f"instance {instance_id}", instance_id, group["events"], head=head,
                                   sealed=group["sealed"], payloads={p.sha256: p for p in group["payloads"]},
                                   counter=report))
    return report


@contextlib.contextmanager
def _closing(results: Iterable[Any]) -> Iterator[None]:
    """Close streamed results (server-side cursors on PostgreSQL) even when a check stops early."""
    try:
        yield
    finally:
        for result in results:
            result.close()


def _merge(streams: dict[str, tuple[Iterable[Any], Callable[[Any], int]]]) -> Iterator[tuple[int, dict[str, list]]]:
    """Merge streams sorted by the same key: for each key, the rows every stream has for it."""
    groups = {name: ((k, list(g)) for k, g in itertools.groupby(rows, key=key))
              for name, (rows, key) in streams.items()}
    current = {name: next(it, None) for name, it in groups.items()}
    while any(c is not None for c in current.values()):
        key = min(c[0] for c in current.values() if c is not None)
        out: dict[str, list] = {}
        for name, item in current.items():
            if item is not None and item[0] == key:
                out[name], current[name] = item[1], next(groups[name], None)
            else:
                out[name] = []
        yield key, out


def _check_ledger(session: Session, municipality: Municipality, report: Report) -> None:
    label = f"municipality {municipality.slug} ledger"
    seals = session.execute(select(AuditSeal).where(AuditSeal.municipality_id == municipality.id)
                            .order_by(AuditSeal.seq).execution_options(yield_per=BATCH)).scalars()
    entries = session.execute(
        select(AuditSeal.seq, AuditSealEntry.instance_id, AuditSealEntry.seq.label("chain_seq"), AuditSealEntry.hash)
        .join(AuditSeal, AuditSeal.id == AuditSealEntry.seal_id)
        .where(AuditSealEntry.municipality_id == municipality.id)
        .order_by(AuditSeal.seq, func.coalesce(AuditSealEntry.instance_id, 0)).execution_options(yield_per=BATCH))
    with _closing([seals, entries]):
        _check_seals(_merge({"seal": (seals, lambda s: s.seq), "entries": (entries, lambda e: e.seq)}),
                     label, municipality, report)


def _check_seals(merged: Iterator[tuple[int, dict[str, list]]], label: str, municipality: Municipality,
                 report: Report) -> None:
    expected, prev = 1, ""
    for seq, group in merged:
        if not group["seal"]:
            report.add(Problem(label, None, seq, "entries belong to a seal that is missing"))
            return
        seal = group["seal"][0]
        report.seals += 1
        problem = None
        if seal.seq != expected:
            problem = f"seal {expected} is missing (the next stored seal is {seal.seq})"
            seq = expected
        elif seal.prev_hash != prev:
            problem = f"prev_hash does not match the hash of seal {seal.seq - 1}"
        elif seal.entry_count != len(group["entries"]) or seal.entries_sha256 != entries_digest(
                (e.instance_id, e.chain_seq, e.hash) for e in group["entries"]):
            problem = "the sealed chain heads do not match the seal (an entry was changed, added or removed)"
        elif seal_hash(seal) != seal.hash:
            problem = "hash does not match the seal's content (changed after it was written)"
        if problem:
            report.add(Problem(label, None, seq, problem))
            return
        prev, expected = seal.hash, expected + 1
    if prev:
        report.ledger_heads[municipality.slug] = prev
        report.sealed_seq = expected - 1


def verify(session: Session, *, municipality: Municipality | None = None) -> Report:
    """Verify one municipality or all of them."""
    report = Report()
    targets = [municipality] if municipality is not None else list(
        session.scalars(select(Municipality).order_by(Municipality.id)))
    for target in targets:
        report.merge(verify_municipality(session, target))
    return report
