"""Anchoring the ledger outside the database: an HMAC-signed file with every municipality's ledger head.

Whoever can rewrite the database can rewrite a whole ledger consistently; a copy of its head kept elsewhere
(another server, a write-once store, a printout) cannot be rewritten with it. The file is signed with
AUDIT_ANCHOR_KEY, a secret kept outside the database, so a forged file is refused too. `lotse audit verify
--anchor FILE` checks that each anchored seal is still in the ledger with the same hash; since verify also
checks the ledger's own chain, everything sealed before the anchor is covered.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.hashing import canonical_json, iso_utc
from app.audit.models import AuditSeal
from app.directory.models import Municipality

FORMAT = "lotse-ledger-anchor/1"


class AnchorError(Exception):
    """The anchor file is unreadable, unsigned or signed with another key."""


def _signature(body: dict[str, Any], key: str) -> str:
    return hmac.new(key.encode("utf-8"), canonical_json(body).encode("utf-8"), hashlib.sha256).hexdigest()


def build_anchor(session: Session, *, key: str, at: datetime) -> dict[str, Any]:
    """The current ledger head of every municipality that has one, signed with `key`."""
    if not key:
        raise AnchorError("AUDIT_ANCHOR_KEY is not set (LOTSE_AUDIT_ANCHOR_KEY); keep it outside the database")
    heads: dict[str, dict[str, Any]] = {}
    for municipality in session.scalars(select(Municipality).order_by(Municipality.id)):
        seal = session.scalar(select(AuditSeal).where(AuditSeal.municipality_id == municipality.id)
                              .order_by(AuditSeal.seq.desc()).limit(1))
        if seal is not None:
            heads[municipality.slug] = {"seq": seal.seq, "hash": seal.hash, "sealed_at": iso_utc(seal.sealed_at)}
    body = {"format": FORMAT, "created_at": iso_utc(at), "heads": heads}
    return {**body, "hmac_sha256": _signature(body, key)}


def read_anchor(text: str, *, key: str) -> dict[str, Any]:
    """The anchor's body after checking its format and signature."""
    try:
        document = json.loads(text)
        signature = document.pop("hmac_sha256")
    except (ValueError, KeyError, AttributeError) as exc:
        raise AnchorError("not a Lotse ledger anchor file") from exc
    if document.get("format") != FORMAT:
        raise AnchorError(f"unknown anchor format {document.get('format')!r}")
    if not key:
        raise AnchorError("AUDIT_ANCHOR_KEY is not set: the anchor's signature cannot be checked")
    if not hmac.compare_digest(str(signature), _signature(document, key)):
        raise AnchorError("the anchor's signature does not match (changed, or signed with another key)")
    return document


def check_anchor(session: Session, anchor: dict[str, Any]) -> list[str]:
    """Problems found comparing the ledger with an anchor (each anchored seal must be there, unchanged)."""
    problems = []
    for slug, head in sorted(anchor["heads"].items()):
        municipality = session.scalar(select(Municipality).where(Municipality.slug == slug))
        if municipality is None:
            problems.append(f"municipality {slug}: anchored, but no longer in the database")
            continue
        seal = session.scalar(select(AuditSeal).where(AuditSeal.municipality_id == municipality.id,
                                                      AuditSeal.seq == head["seq"]))
        if seal is None:
            problems.append(f"municipality {slug} ledger, seal {head['seq']}: anchored on {anchor['created_at']}, "
                            "but missing (the ledger was cut back)")
        elif seal.hash != head["hash"]:
            problems.append(f"municipality {slug} ledger, seal {head['seq']}: hash differs from the anchor of "
                            f"{anchor['created_at']} (the ledger was rewritten)")
    return problems
