"""Run the benchmark suite: every measure as its own process (bounded in time), then write the report.

    python -m bench.run                 # full: writes docs/benchmarks.md and docs/benchmarks.json
    python -m bench.run --quick         # tiny sizes, into a temp folder (or --output)
    python -m bench.run --only history_growth --output /tmp/bench
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bench import report
from bench.harness import DEFAULT_PG_URL, REPO

# (script, full timeout in seconds, quick timeout); order = cheapest first, the long PostgreSQL ones last.
MEASURES = [
    ("rest_latency", 300, 120),
    ("pathway_ratio", 300, 120),
    ("audit_overhead", 300, 120),
    ("history_growth", 600, 120),
    ("state_size", 300, 120),
    ("hotspots", 300, 120),
    ("concurrent_completions", 600, 180),
    ("inbox_queries", 900, 180),
    ("audit_verify", 1200, 240),
    ("timer_lateness", 1200, 240),
    ("memory_rss", 900, 180),
]
HEADLINE_KEYS = ("task_complete_ms_median_sqlite", "pathway_ratio_vs_raw_engine", "history_step_ratio_1000_vs_10",
                 "timer_lateness_p99_s", "timer_burst_2000_s", "inbox_p95_ms_1m_tasks_pg",
                 "bytes_per_finished_instance", "completions_per_s_pg")


def _args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Run Lotse's benchmarks and write the report.")
    parser.add_argument("--quick", action="store_true", help="tiny sizes (the test suite runs this)")
    parser.add_argument("--output", help="folder for benchmarks.md/.json (full default: docs/; quick: a temp folder)")
    parser.add_argument("--only", action="append", choices=[name for name, *_ in MEASURES], help="run only these")
    parser.add_argument("--pg-url", default=os.environ.get("LOTSE_BENCH_DATABASE_URL", DEFAULT_PG_URL))
    parser.add_argument("--no-postgres", action="store_true", help="skip everything that needs PostgreSQL")
    parser.add_argument("--schema", help="PostgreSQL schema, dropped and recreated (default lotse_bench[_quick])")
    parser.add_argument("--keep-workdir", action="store_true", help="keep databases and server logs")
    return parser.parse_args(argv)


def _postgres_version(url: str | None) -> str | None:
    """The server version, or None when PostgreSQL does not answer (its measures are then skipped)."""
    if not url:
        return None
    from sqlalchemy import create_engine, text

    from bench.harness import _normalize_pg

    engine = create_engine(_normalize_pg(url), connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as conn:
            return "PostgreSQL " + conn.execute(text("SHOW server_version")).scalar().split()[0]
    except Exception:  # noqa: BLE001 - any connection failure means: run without PostgreSQL
        return None
    finally:
        engine.dispose()


def run_measure(name: str, timeout: int, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """One measure in its own process; its JSON result, or a failure record (also on timeout)."""
    out, log = workdir / f"{name}.json", workdir / f"{name}.log"
    cmd = [sys.executable, "-m", f"bench.{name}", "--json", str(out), "--workdir", str(workdir / name)]
    if args.quick:
        cmd.append("--quick")
    cmd += ["--no-postgres"] if args.no_postgres else ["--pg-url", args.pg_url]
    if args.schema:
        cmd += ["--schema", args.schema]
    started = time.perf_counter()
    with open(log, "w") as handle:
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=handle, stderr=subprocess.STDOUT,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            return {"ok": False, "error": f"timed out after {timeout} s", "seconds": timeout}
    if not out.exists():
        tail = log.read_text(errors="replace")[-1500:]
        return {"ok": False, "error": f"exit {proc.returncode}, no result: {tail}",
                "seconds": round(time.perf_counter() - started, 1)}
    return json.loads(out.read_text())


def main(argv: list[str] | None = None) -> int:
    """Run the selected measures, write the report, exit 1 if any measure failed."""
    args = _args(argv)
    began = time.perf_counter()
    load_before = " ".join(Path("/proc/loadavg").read_text().split()[:3]) if Path("/proc/loadavg").exists() else "?"
    postgres = None if args.no_postgres else _postgres_version(args.pg_url)
    if postgres is None and not args.no_postgres:
        print(f"PostgreSQL at {args.pg_url} does not answer: its measures are skipped", flush=True)
        args.no_postgres = True
    output = Path(args.output) if args.output else (Path(tempfile.mkdtemp(prefix="lotse-bench-quick-")) if args.quick
                                                     else REPO / "docs")
    workdir = Path(tempfile.mkdtemp(prefix="lotse-bench-work-"))
    results: dict[str, dict[str, Any]] = {}
    metrics: dict[str, Any] = {}
    try:
        for name, full_timeout, quick_timeout in MEASURES:
            if args.only and name not in args.only:
                continue
            print(f"[bench] {name} …", flush=True)
            result = run_measure(name, quick_timeout if args.quick else full_timeout, args, workdir)
            results[name] = result
            metrics.update(result.get("metrics") or {})
            status = "ok" if result.get("ok") else f"FAILED: {result.get('error', '')[:300]}"
            print(f"[bench] {name}: {status} ({result.get('seconds', '?')} s)", flush=True)
    finally:
        info = {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "commit": report.git_commit(),
                "mode": "quick" if args.quick else "full", "machine": report.machine(), "load_before": load_before,
                "postgres": postgres, "seconds": time.perf_counter() - began}
        report.write(output, results, metrics, info)
        if args.keep_workdir:
            print(f"[bench] work folder kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"[bench] wrote {output / 'benchmarks.md'} and {output / 'benchmarks.json'}")
    for key in HEADLINE_KEYS:
        print(f"  {key} = {metrics.get(key)}")
    return 0 if all(r.get("ok") for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
