"""Restored workflows kept between steps, in this process, for cases that are worked on in a row.

Restoring a workflow from its stored state costs as much as the engine work of a step. After a step
the workflow object is exactly what the stored state describes, so the next step on the same case can
reuse it — but only if nothing else has written the case since. An entry is therefore used only when
all of these hold for the row just locked for the step:

- the row's `revision` (bumped by every write, in any process) is the one the entry was written at,
- its stored `state` is byte for byte the state the entry serialized to,
- its definition version (id and content hash) is the one the entry was built from.

Entries are handed over only when the transaction that wrote them commits (SQLAlchemy session events);
a rollback discards them. Taking an entry removes it, so a step that fails half-way never leaves a
half-stepped workflow behind. One cache per database engine, bounded (least recently used goes first),
so memory does not grow with the number of cases.
"""
from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

DEFAULT_CAPACITY = 256
_PENDING_KEY = "lotse_workflow_cache_pending"


@dataclass
class _Entry:
    revision: int
    state: str
    definition_key: tuple[int, str]
    workflow: Any


class WorkflowCache:
    """A bounded, thread-safe map instance id → workflow as of one committed revision."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY):
        self.capacity = capacity
        self._entries: OrderedDict[int, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def take(self, instance_id: int, revision: int, state: str, definition_key: tuple[int, str]) -> Any | None:
        """The cached workflow if it matches the locked row exactly (the entry is removed either way)."""
        with self._lock:
            entry = self._entries.pop(instance_id, None)
            if (entry is not None and entry.revision == revision and entry.definition_key == definition_key
                    and entry.state == state):
                self.hits += 1
                return entry.workflow
            self.misses += 1
            return None

    def put(self, instance_id: int, entry: _Entry) -> None:
        """Keep a committed workflow; evict the least recently stored beyond capacity."""
        if self.capacity <= 0:
            return
        with self._lock:
            self._entries.pop(instance_id, None)
            self._entries[instance_id] = entry
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


_caches: weakref.WeakKeyDictionary[Any, WorkflowCache] = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def configure(engine: Any, capacity: int) -> None:
    """Give a database engine its cache with this capacity (create_app does; 0 turns caching off)."""
    with _caches_lock:
        _caches[engine] = WorkflowCache(capacity)


def cache_for(session: Session) -> WorkflowCache:
    """The cache of the database the session is bound to (two apps in one process never share one)."""
    bind = session.get_bind()
    engine = getattr(bind, "engine", bind)
    cache = _caches.get(engine)
    if cache is None:
        with _caches_lock:
            cache = _caches.get(engine)
            if cache is None:
                cache = _caches[engine] = WorkflowCache(DEFAULT_CAPACITY)
    return cache


def take(session: Session, instance: Any, definition_key: tuple[int, str]) -> Any | None:
    """The workflow of a locked instance row from the cache, or None (then restore it from its state)."""
    if instance.id is None:
        return None
    return cache_for(session).take(instance.id, instance.revision, instance.state, definition_key)


@dataclass
class _Offered:
    """A workflow offered in an open transaction; `revision` is set once the row it belongs to is written."""

    instance: Any
    definition_key: tuple[int, str]
    workflow: Any
    state: str
    revision: int | None = None


def offer(session: Session, instance: Any, definition_key: tuple[int, str], workflow: Any) -> None:
    """Keep `workflow` for the instance once this transaction commits (its state is already set on the row)."""
    offered = _Offered(instance, definition_key, workflow, instance.state)
    if not inspect(instance).modified:  # already flushed: its revision is the one written
        offered.revision = instance.__dict__.get("revision")
    session.info.setdefault(_PENDING_KEY, {})[instance.id] = offered


@event.listens_for(Session, "after_flush_postexec")
def _note_revisions(session: Session, _flush_context: Any) -> None:
    # The revision a row was written at is known only after the flush that wrote it.
    # A state written by anything else after the offer (same transaction) disqualifies the entry.
    for offered in session.info.get(_PENDING_KEY, {}).values():
        values = offered.instance.__dict__
        same_state = values.get("state") is offered.state and "revision" in values
        offered.revision = values["revision"] if same_state else None


@event.listens_for(Session, "after_commit")
def _promote(session: Session) -> None:
    pending = session.info.pop(_PENDING_KEY, None)
    if not pending:
        return
    cache = cache_for(session)
    for instance_id, offered in pending.items():
        if offered.revision is not None:
            cache.put(instance_id, _Entry(offered.revision, offered.state, offered.definition_key,
                                          offered.workflow))


@event.listens_for(Session, "after_rollback")
def _drop(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)
