"""Export: JSONL/CSV files with exactly the API's records, checkable on their own, logged as reads."""
from __future__ import annotations

import io
import json

from sqlalchemy import select

from app.audit import cli as audit_cli
from app.audit.export import check_records, iter_records, read_csv, read_jsonl, write_csv
from app.audit.models import AccessLogEntry
from app.cli import cli
from tests.audit.conftest import trail, walk


def _export(app, *args):
    result = app.test_cli_runner().invoke(cli, ["audit", "export", *args])
    assert result.exit_code == 0, result.output
    return result


def test_the_jsonl_export_of_an_instance_is_exactly_what_the_api_shows(app, api, deployed, tmp_path):
    case = walk(api, "AZ-X-1")
    walk(api, "AZ-X-2")
    target = tmp_path / "trail.jsonl"
    result = _export(app, "--format", "jsonl", "--instance", str(case["id"]), "--output", str(target))
    assert "exported 7 event(s)" in result.output
    exported = list(read_jsonl(target.read_text(encoding="utf-8").splitlines()))
    # The operator's export holds every payload; the Ausländerbehörde reads all but the Jobcenter's entry.
    assert [dict(e, payload=None) if e["office"] == "Jobcenter" and e["kind"] == "task_completed" else e
            for e in exported] == trail(api, case["id"])
    assert check_records(exported) == []


def test_jsonl_to_standard_output(app, api, deployed):
    case = walk(api, "AZ-X-3", finish=False)
    result = _export(app, "--instance", str(case["id"]))
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["seq"] for r in lines] == [1, 2, 3, 4, 5]


def test_csv_round_trip_of_a_municipality_verifies_and_matches_jsonl(app, api, deployed, tmp_path):
    walk(api, "AZ-X-4")
    walk(api, "AZ-X-5", applicant="Zeichen; \"Komma\", Umlaut ä\nZeile")
    as_csv, as_jsonl = tmp_path / "all.csv", tmp_path / "all.jsonl"
    _export(app, "--format", "csv", "--municipality", "musterstadt", "--output", str(as_csv))
    _export(app, "--format", "jsonl", "--municipality", "musterstadt", "--output", str(as_jsonl))
    with as_csv.open(encoding="utf-8", newline="") as handle:
        from_csv = list(read_csv(handle))
    from_jsonl = list(read_jsonl(as_jsonl.read_text(encoding="utf-8").splitlines()))
    assert from_csv == from_jsonl
    assert check_records(from_csv) == []
    # spreadsheet programs read the file as UTF-8 (BOM); opened as Excel does, the umlauts survive
    raw = as_csv.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfmunicipality_id,") and "Umlaut ä" in raw.decode("utf-8-sig")
    # the municipality chain (users, tokens, deployments) comes first, then each case's chain
    assert from_csv[0]["instance_id"] is None and from_csv[-1]["instance_id"] is not None
    assert {r["municipality_id"] for r in from_csv} == {api.world.municipality_id}
    runner = app.test_cli_runner()
    checked = runner.invoke(cli, ["audit", "verify", "--file", str(as_csv)])
    assert checked.exit_code == 0
    chains = len({(r["municipality_id"], r["instance_id"]) for r in from_csv})
    assert f"checked {chains} chain(s), {len(from_csv)} event(s)" in checked.output
    assert runner.invoke(cli, ["audit", "verify", "--file", str(as_jsonl)]).exit_code == 0


def test_an_edited_export_fails_its_check(app, api, deployed, tmp_path):
    case = walk(api, "AZ-X-6")
    target = tmp_path / "trail.jsonl"
    _export(app, "--instance", str(case["id"]), "--output", str(target))
    records = list(read_jsonl(target.read_text(encoding="utf-8").splitlines()))
    records[2]["actor"] = "mallory"
    target.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    result = app.test_cli_runner().invoke(cli, ["audit", "verify", "--file", str(target)])
    assert result.exit_code == 1
    assert f"BROKEN instance {case['id']}, seq 3: hash does not match" in result.output


def test_since_exports_the_tail_of_each_chain_and_it_still_checks(app, api, deployed, clock, tmp_path):
    case = walk(api, "AZ-X-7", finish=False)
    clock.advance(days=3)
    [task] = api.as_("jc").tasks()
    assert api.as_("jc").post(f"/api/tasks/{task['id']}/complete", {"data": {"bewilligt": True}}).status_code == 200
    target = tmp_path / "since.jsonl"
    _export(app, "--since", "2026-03-04", "--output", str(target))
    records = list(read_jsonl(target.read_text(encoding="utf-8").splitlines()))
    assert [(r["instance_id"], r["seq"]) for r in records] == [(case["id"], 6), (case["id"], 7)]
    assert check_records(records) == []
    records[1]["prev_hash"] = "0" * 64
    assert [str(p) for p in check_records(records)] == [
        f"instance {case['id']}, seq 7: prev_hash does not match the hash of seq 6"]


def test_exports_are_written_to_the_access_log(app, api, deployed, session, tmp_path):
    case = walk(api, "AZ-X-9")
    _export(app, "--instance", str(case["id"]), "--output", str(tmp_path / "a.jsonl"))
    _export(app, "--output", str(tmp_path / "b.jsonl"))
    rows = list(session.scalars(select(AccessLogEntry).where(AccessLogEntry.action == "audit_export")
                                .order_by(AccessLogEntry.id)))
    assert [(r.municipality_id, r.instance_id) for r in rows] == [
        (api.world.municipality_id, case["id"]), (api.world.municipality_id, None),
        (api.world.other_municipality_id, None)]
    assert all(r.actor.startswith("cli:") and r.details["format"] == "jsonl" for r in rows)


def test_a_progress_bar_is_shown_on_a_terminal(app, api, deployed, tmp_path, monkeypatch):
    walk(api, "AZ-X-10")
    monkeypatch.setattr(audit_cli, "_interactive", lambda: True)
    result = _export(app, "--output", str(tmp_path / "c.jsonl"))
    assert "Exporting" in result.output


def test_records_stream_in_batches(api, deployed, session):
    walk(api, "AZ-X-11")
    walk(api, "AZ-X-12")
    streamed = iter_records(session, municipality_id=api.world.municipality_id, batch=3)
    out = io.StringIO()
    assert write_csv(streamed, out) == len(list(iter_records(session, municipality_id=api.world.municipality_id)))
    assert check_records(read_csv(io.StringIO(out.getvalue()))) == []
