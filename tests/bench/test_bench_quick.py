"""The benchmark suite at tiny sizes (`make bench-quick`), so its scripts never rot: every measure runs and
reports every key. No timing is asserted; only correctness the measures check (nothing lost or doubled)."""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.bench  # minutes long: CI selects it, `make test` leaves it out

REPO = Path(__file__).resolve().parents[2]
KEYS = ("task_complete_ms_median_sqlite", "pathway_ratio_vs_raw_engine", "history_step_ratio_1000_vs_10",
        "timer_lateness_p99_s", "timer_burst_2000_s", "inbox_p95_ms_1m_tasks_pg", "bytes_per_finished_instance",
        "completions_per_s_pg", "audit_overhead_pct_sqlite", "audit_overhead_pct_pg",
        "audit_verify_events_per_s_sqlite", "audit_verify_events_per_s_pg")
NEED_POSTGRES = ("timer_burst_2000_s", "inbox_p95_ms_1m_tasks_pg", "completions_per_s_pg", "audit_overhead_pct_pg",
                 "audit_verify_events_per_s_pg")
MUST_BE_ZERO = ("task_complete_errors_sqlite", "timer_missing_sqlite", "timer_duplicates_sqlite",
                "memory_due_clones_not_fired")
MUST_BE_ZERO_PG = ("concurrent_errors", "concurrent_lost_steps", "concurrent_doubled_steps",
                   "concurrent_cases_not_ended", "double_submit_duplicates", "timer_missing_pg", "timer_duplicates_pg",
                   "timer_burst_missing", "timer_burst_duplicates")


def _pg_url() -> str | None:
    return os.environ.get("LOTSE_TEST_DATABASE_URL")


def test_bench_quick_runs_every_measure_and_reports_every_key(tmp_path):
    """`bench.run --quick` exits 0 and writes benchmarks.json/.md with every headline key."""
    if importlib.util.find_spec("gunicorn") is None:
        if os.environ.get("CI"):
            pytest.fail("gunicorn is missing: `make test` installs .[test,bench]")
        pytest.skip("gunicorn not installed (pip install -e '.[bench]')")
    pg = _pg_url()
    cmd = [sys.executable, "-m", "bench.run", "--quick", "--output", str(tmp_path)]
    cmd += ["--pg-url", pg, "--schema", "lotse_bench_test"] if pg else ["--no-postgres"]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-6000:]

    data = json.loads((tmp_path / "benchmarks.json").read_text())
    for key in KEYS:
        assert key in data, key
        if pg or key not in NEED_POSTGRES:
            assert isinstance(data[key], (int, float)), (key, data[key])
    assert isinstance(data["commit"], str) and isinstance(data["date"], str)
    for key in MUST_BE_ZERO + (MUST_BE_ZERO_PG if pg else ()):
        assert data.get(key) == 0, (key, data.get(key))
    for backend in ("sqlite", "pg") if pg else ("sqlite",):  # the trail verified intact, the tampered event named
        assert data.get(f"audit_verify_tamper_detected_{backend}") == 1, backend
    markdown = (tmp_path / "benchmarks.md").read_text()
    assert "| measure | result | goal | anchor | verdict | spread |" in markdown
    if pg:
        assert "EXPLAIN (ANALYZE, BUFFERS)" in markdown
