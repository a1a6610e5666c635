"""`lotse audit …` and `lotse privacy …`: verify, export and seal the trail; erase personal data."""
from __future__ import annotations

import contextlib
import getpass
import json
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from app.audit import export as exporting
from app.audit.access import record_access
from app.audit.anchor import AnchorError, build_anchor, check_anchor, read_anchor
from app.audit.erasure import erase_business_key
from app.audit.jobs import erase_expired, prune_access, seal_all
from app.audit.verify import Report, verify, verify_instance
from app.cli_support import unit_of_work
from app.directory.models import Municipality
from app.directory.service import get_municipality
from app.engine.calendar import BERLIN
from app.errors import DomainError
from app.extensions import db
from app.instances.models import ProcessInstance

DATE_FORMATS = ["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"]


def _clock():
    return current_app.extensions["lotse_clock"]


def operator() -> str:
    """How a CLI user appears in the trail and the access log: the operating-system account."""
    try:
        name = getpass.getuser()
    except Exception:  # noqa: BLE001 - containers may have no passwd entry; the trail still needs a name
        name = "unknown"
    return f"cli:{name}"[:64]


def _interactive() -> bool:
    return sys.stderr.isatty()


@click.group("audit")
def audit() -> None:
    """The audit trail: verify, export, seal."""


def _print_report(report: Report) -> None:
    click.echo(f"checked {report.chains} chain(s), {report.events} event(s), {report.seals} ledger seal(s)")
    for slug, head in sorted(report.ledger_heads.items()):
        click.echo(f"ledger head of {slug}: {head}")


@audit.command("verify")
@click.option("--municipality", "slug", default=None, help="Only this municipality (slug).")
@click.option("--instance", "instance_id", type=int, default=None, help="Only this instance's chain.")
@click.option("--file", "path", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Check an exported .jsonl or .csv file instead of the database.")
@click.option("--anchor", "anchor_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Also check the ledger against a head exported with `lotse audit anchor`.")
@unit_of_work
def audit_verify(slug: str | None, instance_id: int | None, path: Path | None, anchor_path: Path | None) -> None:
    """Exit 0 when every chain is intact; otherwise name each chain's first broken link and exit 1."""
    anchored: list[str] = []
    if anchor_path is not None:
        try:
            anchor = read_anchor(anchor_path.read_text(encoding="utf-8"),
                                 key=current_app.config.get("AUDIT_ANCHOR_KEY") or "")
        except AnchorError as exc:
            raise click.ClickException(f"{anchor_path}: {exc}") from exc
        anchored = check_anchor(db.session(), anchor)
    if path is not None:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = exporting.read_csv if path.suffix.lower() == ".csv" else exporting.read_jsonl
            report = Report()
            report.problems = exporting.check_records(reader(handle), counter=report)
    elif instance_id is not None:
        query = select(ProcessInstance).where(ProcessInstance.id == instance_id)
        if slug:
            query = query.where(ProcessInstance.municipality_id == get_municipality(db.session(), slug).id)
        instance = db.session.scalar(query)
        if instance is None:
            raise click.ClickException(f"instance {instance_id} not found")
        report = verify_instance(db.session(), instance)
    else:
        report = verify(db.session(), municipality=get_municipality(db.session(), slug) if slug else None)
    _print_report(report)
    if anchor_path is not None and not anchored:
        click.echo(f"the ledger contains every head anchored in {anchor_path}")
    if not report.ok or anchored:
        for problem in report.problems:
            click.echo(f"BROKEN {problem}", err=True)
        for message in anchored:
            click.echo(f"BROKEN {message}", err=True)
        db.session.rollback()
        raise SystemExit(1)
    click.echo("OK: the audit trail is intact")


@audit.command("anchor")
@click.option("--output", type=click.Path(dir_okay=False, writable=True, path_type=Path), required=True,
              help="Where to write the signed ledger heads (keep the file outside the database server).")
@with_appcontext
def audit_anchor(output: Path) -> None:
    """Seal what grew, then write every municipality's ledger head, signed with AUDIT_ANCHOR_KEY, to a file."""
    seal_all(db.session(), clock=_clock())
    try:
        document = build_anchor(db.session(), key=current_app.config.get("AUDIT_ANCHOR_KEY") or "",
                                at=_clock().now())
    except AnchorError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.rollback()
    output.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    for slug, head in sorted(document["heads"].items()):
        click.echo(f"anchored {slug}: seal {head['seq']} {head['hash']}")
    click.echo(f"wrote {output}")


@contextlib.contextmanager
def _output(path: Path | None) -> Iterator[IO[str]]:
    if path is None:
        yield sys.stdout
        return
    with path.open("w", encoding="utf-8", newline="") as handle:
        yield handle


@audit.command("export")
@click.option("--format", "fmt", type=click.Choice(exporting.FORMATS), default="jsonl", show_default=True)
@click.option("--instance", "instance_id", type=int, default=None)
@click.option("--municipality", "slug", default=None)
@click.option("--since", type=click.DateTime(DATE_FORMATS), default=None, help="Events from this date (Berlin time).")
@click.option("--output", type=click.Path(dir_okay=False, writable=True, path_type=Path), default=None,
              help="Write here instead of standard output.")
@with_appcontext
def audit_export(fmt: str, instance_id: int | None, slug: str | None, since: datetime | None,
                 output: Path | None) -> None:
    """Stream events (the records the API shows) as JSONL or CSV; the export is written to the access log."""
    try:
        municipality_id = get_municipality(db.session(), slug).id if slug else None
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    since = since.replace(tzinfo=BERLIN) if since else None
    filters: dict[str, Any] = {"municipality_id": municipality_id, "instance_id": instance_id, "since": since}
    total = exporting.count_events(db.session(), **filters)
    _log_export(filters, fmt=fmt, total=total)
    db.session.commit()  # the access-log entry stays even if writing the file fails midway
    records = exporting.iter_records(db.session(), **filters)
    writer = exporting.write_csv if fmt == "csv" else exporting.write_jsonl
    with _output(output) as out:
        if _interactive():
            with click.progressbar(records, length=total, label="Exporting", file=sys.stderr) as bar:
                count = writer(bar, out)
        else:
            count = writer(records, out)
    db.session.rollback()
    if output is not None:
        click.echo(f"exported {count} event(s) to {output}", err=True)


def _log_export(filters: dict[str, Any], *, fmt: str, total: int) -> None:
    if filters["instance_id"] is not None:
        owners = list(db.session.scalars(select(ProcessInstance.municipality_id).where(
            ProcessInstance.id == filters["instance_id"])))
    elif filters["municipality_id"] is not None:
        owners = [filters["municipality_id"]]
    else:
        owners = list(db.session.scalars(select(Municipality.id).order_by(Municipality.id)))
    details = {"format": fmt, "events": total, "since": filters["since"].isoformat() if filters["since"] else None}
    for municipality_id in owners:
        record_access(db.session(), municipality_id=municipality_id, actor=operator(), action="audit_export",
                      at=_clock().now(), instance_id=filters["instance_id"], details=details)


@audit.command("seal")
@click.option("--municipality", "slug", default=None)
@with_appcontext
def audit_seal(slug: str | None) -> None:
    """Seal the grown chain heads into the ledger now (the scheduler does this every AUDIT_SEAL_SECONDS)."""
    try:
        only = get_municipality(db.session(), slug).id if slug else None
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    seals = seal_all(db.session(), clock=_clock(), only=only)
    for seal in seals:
        click.echo(f"municipality {seal.municipality_id}: seal {seal.seq} with {seal.entries} head(s): {seal.hash}")
    if not seals:
        click.echo("nothing to seal")


@click.group("privacy")
def privacy() -> None:
    """Personal data: erasure on request, retention, access-log pruning."""


@privacy.command("erase")
@click.option("--municipality", "slug", required=True)
@click.option("--business-key", required=True, help="The case reference.")
@click.option("--reason", default=None, help="Why (no personal data here: it stays in the trail).")
@unit_of_work
def privacy_erase(slug: str, business_key: str, reason: str | None) -> None:
    """Replace a case's personal payloads (trail and messages) with tombstones; record it in the trail."""
    result = erase_business_key(db.session(), municipality_id=get_municipality(db.session(), slug).id,
                                business_key=business_key, actor=operator(), at=_clock().now(), reason=reason)
    for item in result["instances"]:
        click.echo(f"instance {item['instance_id']}: {item['payloads']} payload(s), {item['messages']} message(s) "
                   "erased")
    click.echo(f"case {result['business_key']}: {result['payloads_erased']} payload(s), "
               f"{result['messages_erased']} message(s) erased")


@privacy.command("expire")
@click.option("--dry-run", is_flag=True, help="Only list the cases whose retention period has passed.")
@click.option("--limit", type=int, default=500, show_default=True)
@with_appcontext
def privacy_expire(dry_run: bool, limit: int) -> None:
    """Erase the cases whose retention period has passed now (the scheduler does this every RETENTION_SECONDS)."""
    done = erase_expired(db.session(), clock=_clock(), limit=limit, dry_run=dry_run)
    verb = "would erase" if dry_run else "erased"
    for item in done:
        click.echo(f"{verb} instance {item['instance_id']} (case {item['business_key']}, ended "
                   f"{item['ended_at']:%Y-%m-%d}): {item['payloads']} payload(s), {item['messages']} message(s)")
    click.echo(f"{len(done)} case(s) {verb}")


@privacy.command("prune-access-log")
@with_appcontext
def privacy_prune() -> None:
    """Delete access-log entries older than ACCESS_LOG_RETENTION (default P6M)."""
    removed = prune_access(db.session(), clock=_clock(), retention=current_app.config["ACCESS_LOG_RETENTION"])
    click.echo(f"removed {removed} access-log entr{'y' if removed == 1 else 'ies'}")
