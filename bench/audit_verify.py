"""Audit verify: `lotse audit verify` over 1M audit events in PostgreSQL (20k in quick mode; SQLite smaller).

Valid chains are bulk-generated with the app's own hashing (`app.audit.hashing`): pathway-like cases of
20–60 events each (a third of them with a salted payload), spread over two municipalities, their events
interleaved in the table as concurrent cases would be; the heads are written on the instance rows, and
the real sealer then seals every chain into the ledger. Timed is `app.audit.verify.verify` — what the
command runs — over everything; it must report every event intact. Then one event's actor is changed
behind the triggers' back, and a second full verify must name exactly that chain and sequence number.
"""
from __future__ import annotations

import contextlib
import os
import random
import secrets
import threading
import time
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any, Iterator

from sqlalchemy import insert, text

from bench import bulk, harness

FULL = {"pg": 1_000_000, "sqlite": 200_000}
QUICK = {"pg": 20_000, "sqlite": 5_000}
MUNICIPALITIES = 2
CHUNK_CASES = 400  # cases generated, written and forgotten at a time (memory stays flat)
TASKS = bulk.PATHWAY_TASKS
T0 = datetime(2025, 1, 6, 8, 0, tzinfo=timezone.utc)


class ChainWriter:
    """Generates valid chains case by case and writes them in chunks (COPY on PostgreSQL, executemany on SQLite)."""

    def __init__(self, session, worlds: list[harness.World], definitions: list[int], seed: int = 11):
        self.session, self.worlds, self.definitions = session, worlds, definitions
        self.rng = random.Random(seed)
        self.pg = session.get_bind().dialect.name == "postgresql"
        self.cases = self.events = self.payloads = 0

    def write(self, events: int) -> None:
        """Write cases until `events` events exist (the last case may be cut short to hit the number)."""
        while self.events < events:
            budget = events - self.events
            sizes: list[int] = []
            while len(sizes) < CHUNK_CASES and budget > 0:
                size = min(budget, self.rng.randint(20, 60))
                sizes.append(size)
                budget -= size
            self._chunk(sizes)
        self.session.commit()

    def _ids(self, count: int) -> list[int]:
        if self.pg:
            return list(self.session.scalars(text(
                "SELECT nextval(pg_get_serial_sequence('process_instance', 'id')) FROM generate_series(1, :n)"),
                {"n": count}))
        start = (self.session.scalar(text("SELECT COALESCE(MAX(id), 0) FROM process_instance")) or 0) + 1
        return list(range(start, start + count))

    def _chunk(self, sizes: list[int]) -> None:
        from app.audit.models import AuditEvent, AuditPayload
        from app.instances.models import ProcessInstance

        ids = self._ids(len(sizes))
        instances, chains, payloads = [], [], []
        for instance_id, size in zip(ids, sizes):
            self.cases += 1
            world_index = self.cases % len(self.worlds)
            world = self.worlds[world_index]
            started = T0 + timedelta(minutes=self.cases)
            business_key = f"AZ-V-{self.cases:07d}"
            chain = list(_case_events(self.rng, world, instance_id, business_key, size, started, payloads))
            chains.append(chain)
            instances.append({
                "id": instance_id, "municipality_id": world.municipality_id,
                "definition_id": self.definitions[world_index], "business_key": business_key,
                "status": "completed", "state": "{}", "revision": 1, "audit_seq": size,
                "audit_head": chain[-1]["hash"], "started_by": "bench", "started_at": started,
                "ended_at": chain[-1]["occurred_at"]})
        # Interleave: the n-th event of every case of the chunk, then the (n+1)-th, as if they ran side by side.
        events = [chain[n] for n in range(max(sizes)) for chain in chains if n < len(chain)]
        self._insert(ProcessInstance.__table__, instances, with_id=True)
        self._insert(AuditPayload.__table__, payloads)
        self._insert(AuditEvent.__table__, events)
        self.events += len(events)
        self.payloads += len(payloads)
        self.session.commit()

    def _insert(self, table, rows: list[dict[str, Any]], with_id: bool = False) -> None:
        if not rows:
            return
        if not self.pg:
            self.session.execute(insert(table), rows)
            return
        from psycopg.types.json import Json

        columns = [c.name for c in table.columns if with_id or c.name != "id"]
        json_columns = {c.name for c in table.columns if c.type.__class__.__name__ == "JSON"}
        defaults = bulk.column_defaults(table)
        with bulk._raw(self.session).cursor() as cursor:
            with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    values = [row.get(c, defaults[c]) for c in columns]
                    copy.write_row([Json(v) if c in json_columns and v is not None else v
                                    for c, v in zip(columns, values, strict=True)])


def _case_events(rng: random.Random, world: harness.World, instance_id: int, business_key: str, size: int,
                 started: datetime,
                 payloads: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """`size` chained events of one pathway-like case, hashed as `audit.record` hashes them."""
    from app.audit.hashing import event_hash, normalize, payload_hash

    mid = world.municipality_id
    offices = list(world.office_ids)
    prev, at = "", started
    for seq in range(1, size + 1):
        task_no = (seq - 2) // 3
        element_id, name = TASKS[task_no % len(TASKS)]
        office = offices[task_no % len(offices)]
        phase = (seq - 2) % 3
        payload = None
        if seq == 1:
            kind, actor, element_id, office = "instance_started", world.clerk_names[offices[0]], None, None
            details = {"business_key": business_key, "definition_id": 1,
                       "fields": ["antragsteller_id", "familienname"]}
            payload = {"antragsteller_id": rng.randrange(10**6), "familienname": f"Name {rng.randrange(10**5)}"}
        elif seq == size:
            kind, actor, element_id, office, details = "instance_completed", world.clerk_names[office], None, None, {}
        elif phase == 0:
            kind, actor = "task_created", "system"
            details = {"task_id": instance_id * 100 + task_no, "name": name,
                       "due_at": (at + timedelta(days=14)).isoformat()}
        elif phase == 1:
            kind, actor = "task_completed", world.clerk_names[office]
            details = {"task_id": instance_id * 100 + task_no, "fields": ["vermerk"]}
            payload = {"vermerk": f"{element_id} erledigt, Rücksprache am {at:%d.%m.%Y}"}
        else:
            kind, actor, office = "gateway_decided", "system", None
            details = {"taken": [{"target": element_id, "flow": f"flow_{task_no}"}]}
        if payload is not None:
            salt = secrets.token_hex(16)
            content = normalize(payload)
            sha = payload_hash(salt, content)
            details["payload_sha256"] = sha
            payloads.append({"municipality_id": mid, "instance_id": instance_id, "sha256": sha, "salt": salt,
                             "content": content, "created_at": at, "erased_at": None})
        row = {"municipality_id": mid, "instance_id": instance_id, "seq": seq, "occurred_at": at, "actor": actor,
               "office": office, "kind": kind, "element_id": element_id, "details": normalize(details),
               "prev_hash": prev}
        row["hash"] = prev = event_hash(SimpleNamespace(**row))
        yield row
        at += timedelta(hours=rng.randint(1, 72), microseconds=rng.randrange(10**6))


def _seal_everything(session, worlds: list[harness.World]) -> int:
    """Seal every chain with the real sealer (as its scheduler job would have); the number of seals."""
    from app.audit.ledger import seal_municipality

    seals = 0
    for world in worlds:
        while seal_municipality(session, municipality_id=world.municipality_id, at=datetime.now(timezone.utc)):
            session.commit()
            seals += 1
    session.commit()
    return seals


def _rss_mb() -> float:
    """The process's resident set now (Linux /proc; 0 elsewhere)."""
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError):
        return 0.0


@contextlib.contextmanager
def rss_growth() -> Iterator[list[float]]:
    """The largest growth of the resident set over the block, sampled every 50 ms: box[0] in MB."""
    box, done = [0.0], threading.Event()
    before = _rss_mb()

    def sample() -> None:
        while not done.wait(0.05):
            box[0] = max(box[0], _rss_mb() - before)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield box
    finally:
        done.set()
        sampler.join()
        box[0] = max(box[0], _rss_mb() - before)


def _tamper(session, pg: bool, instance_id: int, seq: int) -> None:
    """Change one stored event as someone with DBA rights would (triggers off on PostgreSQL)."""
    if pg:
        session.execute(text("SET LOCAL session_replication_role = replica"))
    session.execute(text("UPDATE audit_event SET actor = 'mallory' WHERE instance_id = :i AND seq = :s"),
                    {"i": instance_id, "s": seq})


def _one_backend(cfg: harness.Config, backend: str, events: int) -> dict[str, Any]:
    from app.audit.verify import verify
    from app.extensions import db

    app = harness.make_app(cfg, backend, "verify")
    clock = harness.system_clock()
    try:
        with app.app_context():
            session = db.session
            worlds = [harness.seed_world(session, clock, slug=f"stadt-{n}") for n in range(MUNICIPALITIES)]
            definitions = [harness.deploy_model(session, w, "pathway12.bpmn", clock).id for w in worlds]
            started = time.perf_counter()
            writer = ChainWriter(session, worlds, definitions)
            writer.write(events)
            seals = _seal_everything(session, worlds)
            load_s = time.perf_counter() - started
            pg = backend == "postgresql"
            if pg:
                bulk.vacuum_analyze(db.engine, ["process_instance", "audit_event", "audit_payload", "audit_seal",
                                                "audit_seal_entry"])
            session.remove()
            with rss_growth() as growth:
                started = time.perf_counter()
                report = verify(db.session)
                verify_s = time.perf_counter() - started
            if not report.ok or report.events < events:
                raise RuntimeError(f"verify did not find the generated trail intact: {report.events} events, "
                                   f"problems {[str(p) for p in report.problems[:5]]}")
            db.session.rollback()
            # One changed row, somewhere in the middle of the table.
            target = db.session.execute(text("SELECT instance_id, seq FROM audit_event WHERE instance_id IS NOT NULL "
                                             "ORDER BY id LIMIT 1 OFFSET :n"), {"n": events // 2}).one()
            _tamper(db.session, pg, target.instance_id, target.seq)
            started = time.perf_counter()
            tampered = verify(db.session)
            tampered_s = time.perf_counter() - started
            db.session.rollback()
            found = [(p.instance_id, p.seq) for p in tampered.problems]
            if found != [(target.instance_id, target.seq)]:
                raise RuntimeError(f"the tampered event {tuple(target)} was not reported exactly: "
                                   f"{[str(p) for p in tampered.problems[:5]]}")
    finally:
        harness.dispose(app)
    return {"events": report.events, "chains": report.chains, "seals": report.seals, "ledger_seals_written": seals,
            "payloads": writer.payloads, "cases": writer.cases, "load_s": load_s, "verify_s": verify_s,
            "tampered_verify_s": tampered_s, "rss_growth_mb": growth[0]}


def run(cfg: harness.Config) -> dict[str, Any]:
    """Verify speed on PostgreSQL (and SQLite, smaller), intact and with one tampered event."""
    sizes = QUICK if cfg.quick else FULL
    backends = {"sqlite": "sqlite"}
    if cfg.has_pg:
        backends["pg"] = "postgresql"
    metrics: dict[str, Any] = {}
    spreads: dict[str, str] = {}
    notes = []
    for key, backend in backends.items():
        result = _one_backend(cfg, backend, sizes[key])
        rate = result["events"] / result["verify_s"]
        metrics[f"audit_verify_events_per_s_{key}"] = rate
        metrics[f"audit_verify_events_{key}"] = result["events"]
        metrics[f"audit_verify_s_{key}"] = result["verify_s"]
        metrics[f"audit_verify_1m_s_{key}"] = 1_000_000 / rate
        metrics[f"audit_verify_rss_growth_mb_{key}"] = result["rss_growth_mb"]
        metrics[f"audit_verify_tamper_detected_{key}"] = 1
        spreads[f"audit_verify_events_per_s_{key}"] = (f"intact {result['verify_s']:.1f} s, with one tampered "
                                                      f"event {result['tampered_verify_s']:.1f} s")
        notes.append(f"{backend}: {result['events']:,} events in {result['chains']:,} chains ({result['cases']:,} "
                     f"cases, {result['payloads']:,} payloads, {result['seals']} ledger seals) verified in "
                     f"{result['verify_s']:.1f} s = {rate:,.0f} events/s; loading took {result['load_s']:.0f} s; "
                     f"the resident set grew at most {result['rss_growth_mb']:.0f} MB while verifying; the tampered "
                     f"event was named exactly (second pass {result['tampered_verify_s']:.1f} s)")
    if "pg" not in backends:
        metrics["audit_verify_events_per_s_pg"] = metrics["audit_verify_1m_s_pg"] = None
    if sizes["pg"] != 1_000_000:
        notes.append(f"quick mode: audit_verify_1m_s_* extrapolates from {sizes['pg']:,} (PostgreSQL) and "
                     f"{sizes['sqlite']:,} (SQLite) events")
    elif "sqlite" in backends:
        notes.append(f"SQLite is measured at {sizes['sqlite']:,} events; audit_verify_1m_s_sqlite extrapolates")
    return {"metrics": metrics, "notes": notes, "spreads": spreads}


if __name__ == "__main__":
    harness.main(run, __doc__.splitlines()[0])
