"""docs/benchmarks.md and docs/benchmarks.json from the measures' results: table, verdicts, notes, hotspots, plans."""
from __future__ import annotations

import json
import os
import platform
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from bench.harness import REPO


@dataclass
class Goal:
    """One row of the summary table."""

    key: str
    measure: str
    goal: str
    anchor: str
    fmt: Callable[[float], str]
    met: Callable[[dict[str, Any]], bool | None] | None = None
    spread: str | None = None  # key into the spreads, default: the metric key


def _ms(v: float) -> str:
    return f"{v:.1f} ms"


def _x(v: float) -> str:
    return f"{v:.1f}×"


def _pct(v: float) -> str:
    return f"{v:.1f}%"


def _le(key: str, limit: float) -> Callable[[dict[str, Any]], bool | None]:
    return lambda m: None if m.get(key) is None else m[key] <= limit


def _zero(m: dict[str, Any], *keys: str) -> bool:
    return all((m.get(k) or 0) == 0 for k in keys)


GOALS = [
    Goal("task_complete_ms_median_sqlite", "1. Task completion via REST (HTTP, SQLite), median", "≤ 5 ms",
         "leading Python peer 51–60 ms", _ms, _le("task_complete_ms_median_sqlite", 5), "sqlite"),
    Goal("task_complete_ms_p95_sqlite", "1. … p95 (SQLite)", "–", "–", _ms),
    Goal("task_complete_ms_median_pg", "1. … median (PostgreSQL)", "–", "–", _ms, None, "pg"),
    Goal("pathway_ratio_vs_raw_engine", "2. Pathway via service layer + SQLite vs raw engine in memory",
         "≤ 2×", "naive JSON round trip 6.5×", _x, _le("pathway_ratio_vs_raw_engine", 2)),
    Goal("history_step_ratio_1000_vs_10", "3. One completion at 1000 vs at 10 loop iterations", "≤ 2×",
         "engine alone 80×; peer 8× at 300", _x, _le("history_step_ratio_1000_vs_10", 2)),
    Goal("inbox_p95_ms_1m_tasks_pg", "4. Inbox / overdue queries, 1M tasks, PostgreSQL, worst p95", "≤ 20 ms",
         "–", _ms, _le("inbox_p95_ms_1m_tasks_pg", 20)),
    Goal("bytes_per_finished_instance", "5. Stored engine state per finished pathway case", "≤ 8 KB",
         "27.5 KB with spec, 12.2 KB without", lambda v: f"{v / 1024:.1f} KB",
         _le("bytes_per_finished_instance", 8 * 1024)),
    Goal("completions_per_s_pg", "6. Concurrent completions (8 clients, gunicorn 2 sync workers = 1 per core, PostgreSQL)",
         "≥ 300/s, no errors, nothing lost or doubled", "–", lambda v: f"{v:.0f}/s",
         lambda m: None if m.get("completions_per_s_pg") is None else m["completions_per_s_pg"] >= 300 and _zero(
             m, "concurrent_errors", "concurrent_lost_steps", "concurrent_doubled_steps", "concurrent_cases_not_ended",
             "double_submit_duplicates")),
    Goal("timer_lateness_p99_s", "7. Timer lateness p99, 10k waiting, `--tick 1` (worse of SQLite/PG)", "≤ 1 s",
         "–", lambda v: f"{v:.2f} s", lambda m: None if m.get("timer_lateness_p99_s") is None else
         m["timer_lateness_p99_s"] <= 1 and _zero(m, "timer_missing_sqlite", "timer_missing_pg",
                                                  "timer_duplicates_sqlite", "timer_duplicates_pg")),
    Goal("timer_burst_2000_s", "7. Burst: 2,000 timers due at once, 4 schedulers, PostgreSQL",
         "all within 10 s, each exactly once", "–", lambda v: f"{v:.1f} s",
         lambda m: None if m.get("timer_burst_2000_s") is None else m["timer_burst_2000_s"] <= 10 and _zero(
             m, "timer_burst_missing", "timer_burst_duplicates")),
    Goal("web_worker_peak_rss_mb", "8. Peak RSS of a web worker (largest level)", "flat as waiting cases grow",
         "–", lambda v: f"{v:.0f} MB", lambda m: None if m.get("web_worker_rss_growth_mb") is None else
         m["web_worker_rss_growth_mb"] < 10, "memory"),
    Goal("scheduler_peak_rss_mb", "8. Peak RSS of the scheduler (largest level)", "flat as waiting cases grow",
         "–", lambda v: f"{v:.0f} MB", lambda m: None if m.get("scheduler_rss_growth_mb") is None else
         m["scheduler_rss_growth_mb"] < 10, "memory"),
    Goal("audit_overhead_pct_sqlite", "9. Audit trail's share of a pathway completion (chain written vs "
         "`audit.record` a no-op), SQLite", "≤ 20%", "–", _pct, _le("audit_overhead_pct_sqlite", 20)),
    Goal("audit_overhead_pct_pg", "9. … PostgreSQL", "≤ 20%", "–", _pct, _le("audit_overhead_pct_pg", 20)),
    Goal("audit_verify_events_per_s_pg", "10. `lotse audit verify` over 1M events (chains, payloads, ledger), "
         "PostgreSQL", "intact trail verified, one tampered event named; events/s stated", "–",
         lambda v: f"{v:,.0f} events/s", lambda m: None if m.get("audit_verify_events_per_s_pg") is None else
         m.get("audit_verify_tamper_detected_pg") == 1),
    Goal("audit_verify_1m_s_pg", "10. … time for 1M events, PostgreSQL", "–", "–", lambda v: f"{v:.0f} s"),
    Goal("audit_verify_events_per_s_sqlite", "10. … SQLite (smaller trail, see notes)", "–", "–",
         lambda v: f"{v:,.0f} events/s"),
]


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def machine() -> dict[str, str]:
    """CPU model, cores, RAM (from /proc), versions and the load average."""
    cpu = next((line.split(":", 1)[1].strip() for line in _read("/proc/cpuinfo").splitlines()
                if line.startswith("model name")), platform.processor() or "?")
    mem = next((int(line.split()[1]) for line in _read("/proc/meminfo").splitlines()
                if line.startswith("MemTotal")), 0)
    import sqlite3
    from importlib.metadata import version

    return {"cpu": cpu, "cores": str(os.cpu_count()), "ram": f"{mem / 1024 / 1024:.1f} GiB",
            "python": platform.python_version(), "spiffworkflow": version("SpiffWorkflow"),
            "sqlalchemy": version("SQLAlchemy"), "sqlite": sqlite3.sqlite_version,
            "loadavg": " ".join(_read("/proc/loadavg").split()[:3])}


def git_commit() -> str:
    """The checked-out commit, with '-dirty' when the tree has changes."""
    try:
        sha = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=REPO, capture_output=True, text=True,
                             timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=REPO, capture_output=True, text=True,
                               timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return (sha or "unknown") + ("-dirty" if dirty else "")


def _verdict(goal: Goal, metrics: dict[str, Any], quick: bool) -> str:
    if metrics.get(goal.key) is None:
        return "skipped"
    if goal.met is None:
        return "–"
    met = goal.met(metrics)
    word = "met" if met else "**missed**"
    return f"{word} (quick sizes)" if quick else word


def _table(metrics: dict[str, Any], spreads: dict[str, str], quick: bool) -> list[str]:
    lines = ["| measure | result | goal | anchor | verdict | spread |", "|---|---|---|---|---|---|"]
    for goal in GOALS:
        value = metrics.get(goal.key)
        result = goal.fmt(value) if isinstance(value, (int, float)) else "–"
        spread = spreads.get(goal.spread or goal.key, "–")
        lines.append(f"| {goal.measure} | {result} | {goal.goal} | {goal.anchor} | "
                     f"{_verdict(goal, metrics, quick)} | {spread} |")
    return lines


def _hotspot_tables(report: dict[str, Any]) -> list[str]:
    if not report.get("self"):
        return [f"*{report['label']}*: no profile (pyinstrument missing)", ""]
    lines = [f"**{report['label']}** — {report['wall_s']:.2f} s profiled", "",
             "| top functions by self time | ms | % |", "|---|---|---|"]
    lines += [f"| `{name}` | {msec} | {pct} |" for name, msec, pct in report["self"]]
    lines += ["", "| Lotse functions by total time | ms | % |", "|---|---|---|"]
    lines += [f"| `{name}` | {msec} | {pct} |" for name, msec, pct in report["app_total"]]
    return lines + [""]


def render(results: dict[str, dict[str, Any]], metrics: dict[str, Any], info: dict[str, Any]) -> str:
    """The whole Markdown document."""
    from bench.analysis import missed_goals

    spreads: dict[str, str] = {}
    for result in results.values():
        spreads.update(result.get("spreads") or {})
    quick = info["mode"] == "quick"
    m = info["machine"]
    out = ["# Lotse benchmarks", "",
           "Generated by `make bench` (bench/run.py); do not edit by hand. Goals and anchors come from the "
           "benchmark issue (#5) and `shared/reference/spiffworkflow-3.2-notes.md` §7.", "",
           f"- **Date:** {info['date']} · **commit:** `{info['commit']}` · **mode:** {info['mode']} · "
           f"**duration:** {info['seconds'] / 60:.1f} min",
           f"- **Machine:** {m['cpu']}, {m['cores']} cores, {m['ram']} RAM; load average {info['load_before']} "
           f"before, {m['loadavg']} after (the machine is shared: trust ratios and medians over single numbers)",
           f"- **Software:** Python {m['python']}, SpiffWorkflow {m['spiffworkflow']}, SQLAlchemy {m['sqlalchemy']}, "
           f"SQLite {m['sqlite']}, {info.get('postgres') or 'PostgreSQL: not used'}",
           "- **Rerun:** `make bench` (full, writes docs/benchmarks.md + .json; PostgreSQL from "
           "`LOTSE_BENCH_DATABASE_URL`, default `postgresql+psycopg://postgres@127.0.0.1:5432/test`, schema "
           "`lotse_bench`, dropped and recreated) · `make bench-quick` (tiny sizes, temp output) · one measure: "
           "`.venv/bin/python -m bench.run --only history_growth --output /tmp/b`", "", "## Summary", ""]
    out += _table(metrics, spreads, quick)
    failed = [name for name, r in results.items() if not r.get("ok")]
    if failed:
        out += ["", f"**Failed measures:** {', '.join(failed)} — see the errors below."]
    out += ["", "## Where goals are missed, and why", ""]
    out += missed_goals(results, metrics) or ["Every goal is met."]
    out += ["", "## Notes per measure", ""]
    for name, result in results.items():
        out.append(f"**{name}** ({result.get('seconds', '?')} s)" + ("" if result.get("ok") else
                                                                     f" — FAILED: {result.get('error')}"))
        out += [f"- {note}" for note in result.get("notes") or []] + [""]
    out += ["## Hotspots (pyinstrument)", "",
            "Self time = where the CPU is spent (leaf functions); total time within Lotse's own code = which of our "
            "functions the time is spent under. Percentages of the profiled wall time.", ""]
    for name in ("hotspots", "history_growth"):
        for report in (results.get(name, {}).get("artifacts") or {}).get("hotspots", []):
            out += _hotspot_tables(report)
    plans = (results.get("inbox_queries", {}).get("artifacts") or {}).get("plans") or {}
    if plans:
        out += ["## EXPLAIN (ANALYZE, BUFFERS) of the inbox queries", "",
                "The statements the services issued (captured from the cursor), explained with their parameters "
                f"on the {metrics.get('inbox_tasks_loaded') or 0:,}-task data set.", ""]
        for name, texts in plans.items():
            out += [f"### {name}", ""]
            for plan in texts:
                out += ["```", plan, "```", ""]
    out += ["## All numbers", "", "```json", json.dumps(_json_ready(metrics), indent=1, sort_keys=True), "```", ""]
    return "\n".join(out)


def _json_ready(metrics: dict[str, Any]) -> dict[str, Any]:
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in metrics.items()}


def write(output: Path, results: dict[str, dict[str, Any]], metrics: dict[str, Any], info: dict[str, Any]) -> None:
    """Write benchmarks.json (numbers, commit, date) and benchmarks.md into `output`."""
    output.mkdir(parents=True, exist_ok=True)
    payload = {**_json_ready(metrics), "commit": info["commit"], "date": info["date"], "mode": info["mode"],
               "machine": f"{info['machine']['cpu']}, {info['machine']['cores']} cores, {info['machine']['ram']}"}
    (output / "benchmarks.json").write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")
    (output / "benchmarks.md").write_text(render(results, metrics, info))
