"""The "where goals are missed, and why" section: each missed goal explained from the numbers of the same run."""
from __future__ import annotations

import os
import re
from typing import Any


def _hot(results: dict[str, Any], label_part: str) -> dict[str, Any]:
    for name in ("hotspots", "history_growth"):
        for report in (results.get(name, {}).get("artifacts") or {}).get("hotspots", []):
            if label_part in report["label"]:
                return report
    return {}


def _share(report: dict[str, Any], table: str, needle: str) -> float:
    return sum(pct for name, _ms, pct in report.get(table, []) if needle in name)


def _top_app(report: dict[str, Any], skip: tuple[str, ...], count: int = 5) -> str:
    rows = [(n, pct) for n, _ms, pct in report.get("app_total", []) if not any(s in n for s in skip)]
    return ", ".join(f"`{n.split(' (')[0]}` {pct:.0f}%" for n, pct in rows[:count]) or "no profile"


def _f(metrics: dict[str, Any], key: str, digits: int = 1) -> str:
    value = metrics.get(key)
    return "?" if value is None else f"{value:.{digits}f}"


def _fsync(m: dict[str, Any]) -> str:
    return " (SQLite runs WAL with `PRAGMA synchronous=FULL`: an fsync per commit)" \
        if m.get("sqlite_synchronous_pragma") == 2 else ""


def _rest(results: dict[str, Any], m: dict[str, Any]) -> list[str]:
    hot = _hot(results, "(SQLite)")
    http = (m["task_complete_ms_median_sqlite"] - (m.get("service_complete_ms_median_sqlite") or 0)
            - (m.get("healthz_ms_median_sqlite") or 0))
    return [f"- **Task completion via REST, SQLite: {_f(m, 'task_complete_ms_median_sqlite')} ms median "
            "(goal ≤ 5 ms).** "
            f"The same run's HTTP baseline (GET /healthz) is {_f(m, 'healthz_ms_median_sqlite')} ms; in-process, "
            f"the service call plus commit takes {_f(m, 'service_complete_ms_median_sqlite')} ms with "
            f"{_f(m, 'sql_statements_per_completion_sqlite')} SQL statements per completion. The remaining "
            f"≈{http:.1f} ms are the request around it (token lookup and principal, body parsing, the next_tasks "
            "query, response serialization). Inside the service: "
            f"{_top_app(hot, ('complete (', 'execute (', 'walk_pathway', 'harness'))}; the commit alone is "
            f"{_share(hot, 'self', 'commit'):.0f}% of the profile{_fsync(m)}. Already done: restored workflows are "
            "reused between steps of a case (checked against the row's revision and state), only rows a step "
            "changed are written, offices and the caller are read as plain rows once per request, and the state "
            "dump no longer converts the spec. What is left is spread thin: SQLAlchemy's per-statement and "
            "unit-of-work overhead (each statement costs ≈0.2–0.4 ms of Python), the state dump of the whole "
            "workflow, and the request wrapper (two statements to authenticate, the next_tasks query, "
            "marshmallow serialization). Getting to 5 ms would need writing the step with Core statements "
            "instead of the ORM, or an incremental state format."]


def _ratio(results: dict[str, Any], m: dict[str, Any]) -> list[str]:
    per_op = (m.get("pathway_ms_per_instance_sqlite") or 0) / 11
    return [f"- **Pathway vs raw engine: {_f(m, 'pathway_ratio_vs_raw_engine')}× (goal ≤ 2×).** A case costs "
            f"{_f(m, 'pathway_ms_per_instance_sqlite')} ms through the service layer vs "
            f"{_f(m, 'pathway_ms_per_instance_raw', 2)} ms in the raw engine; without the inbox reads the ratio is "
            f"{_f(m, 'pathway_ratio_vs_raw_engine_without_inbox_reads')}×. A case is 11 transactions (start + 10 "
            f"completions), ≈{per_op:.1f} ms each, against ≈{(m.get('pathway_ms_per_instance_raw') or 0) / 10:.2f} ms "
            "of engine work per task: the persistence around a step (restore, dump, human-task sync, audit events, "
            "commit) is what dominates, not SpiffWorkflow. On PostgreSQL the ratio is "
            f"{_f(m, 'pathway_ratio_vs_raw_engine_pg')}×. A transaction per step is the floor of this design: each "
            "step must be durable before the clerk is told it is done, with its audit events in the same "
            "transaction; 2× the in-memory engine would leave ≈0.5 ms per step for all of it."]


def _history(results: dict[str, Any], m: dict[str, Any]) -> list[str]:
    hot = _hot(results, "one completion at")
    points = sorted(int(k.rsplit("_", 1)[1]) for k in m if k.startswith("history_step_ms_at_"))
    low, high = points[0], points[-1]
    low_b, high_b = m.get(f"history_state_bytes_at_{low}") or 0, m.get(f"history_state_bytes_at_{high}") or 0
    restore, dump = _share(hot, "app_total", "restore (app/"), _share(hot, "app_total", "dump_state (")
    return [f"- **History growth: {_f(m, 'history_step_ratio_1000_vs_10')}× at {high} vs {low} iterations "
            "(goal ≤ 2×).** "
            f"One completion costs {_f(m, f'history_step_ms_at_{low}')} ms at {low} iterations and "
            f"{_f(m, f'history_step_ms_at_{high}')} ms at {high}; the stored state grows from {low_b / 1024:.0f} KB to "
            f"{high_b / 1024:.0f} KB. The raw engine alone goes from "
            f"{_f(m, f'history_raw_engine_step_ms_at_{low}', 2)} to "
            f"{_f(m, f'history_raw_engine_step_ms_at_{high}', 2)} ms ({_f(m, 'history_raw_engine_ratio_1000_vs_10')}×) "
            f"in the same run. At {high} iterations restoring the whole state (`restore`) takes {restore:.0f}% of a "
            f"completion and dumping it (`dump_state`, inside `_sync`) {dump:.0f}%; Lotse functions by total time, "
            f"nested: {_top_app(hot, ('complete (', 'execute ('), 6)}. What is left: " + (
                "the state still grows with the history: prune finished loop iterations, keep restored workflows "
                "cached against `revision` and write only what a step changed."
                if restore + dump > 40 else
                "the stored state stays small, so the growth is in per-case work that scales with the case's rows "
                "(its human tasks and audit events) or the engine's own bookkeeping — see the functions above.")]


def _inbox(results: dict[str, Any], m: dict[str, Any]) -> list[str]:
    plans = (results.get("inbox_queries", {}).get("artifacts") or {}).get("plans") or {}
    worst = max(("inbox_office", "inbox_overdue", "inbox_mine_or_queue", "overdue_summary"),
                key=lambda k: m.get(f"{k}_p95_ms_pg") or 0)
    slowest, first_line = 0.0, ""
    for text in plans.get(worst, []):
        found = re.search(r"Execution Time: ([\d.]+) ms", text)
        if found and float(found.group(1)) > slowest:
            slowest = float(found.group(1))
            first_line = next((line for line in text.splitlines()[1:] if line.strip()), "")[:140]
    return [f"- **Inbox queries at {m.get('inbox_tasks_loaded') or 0:,} tasks: worst p95 "
            f"{_f(m, 'inbox_p95_ms_1m_tasks_pg')} ms (goal ≤ 20 ms), from `{worst}`.** It issues "
            f"{m.get(f'{worst}_statements', '?')} statements per call; its slowest statement runs "
            f"{slowest:.1f} ms in PostgreSQL (`{first_line} …`, plan below). The office inbox itself: p95 "
            f"{_f(m, 'inbox_office_p95_ms_pg')} ms, overdue filter {_f(m, 'inbox_overdue_p95_ms_pg')} ms."]


def _state(results: dict[str, Any], m: dict[str, Any]) -> list[str]:
    breakdown = (results.get("state_size", {}).get("artifacts") or {}).get("state_breakdown") or {}
    parts = list((breakdown.get("per_field_bytes") or {}).items())[:5]
    return [f"- **Stored state: {(m['bytes_per_finished_instance']) / 1024:.1f} KB per finished case (goal ≤ 8 KB).** "
            f"It holds {breakdown.get('tasks', '?')} engine tasks for 10 user tasks; the largest parts are the "
            "per-task fields " + ", ".join(f"`{k}` {v / 1024:.1f} KB" for k, v in parts)
            + f" (JSON {_f(m, 'bytes_per_finished_instance_json', 0)} B, gzip "
            f"{_f(m, 'bytes_per_finished_instance_json_gzip', 0)} B; PostgreSQL stores "
            f"{_f(m, 'state_bytes_stored_pg', 0)} B). What is left: drop finished tasks' bookkeeping "
            "(delta, last_state_change, ids of pruned branches) or compress the column."]


def _conc(results: dict[str, Any], m: dict[str, Any]) -> list[str]:
    cores = os.cpu_count() or 1
    parts = [m.get(f"concurrent_cpu_ms_{part}") for part in ("workers", "postgres", "client")]
    spent = sum(parts) if all(p is not None for p in parts) else None
    ceiling = f"{cores * 1000 / spent:.0f}/s" if spent else "?"
    return [f"- **Concurrent completions: {_f(m, 'completions_per_s_pg', 0)}/s with 2 sync gunicorn workers "
            f"({_f(m, 'completions_per_s_pg_sync_4', 0)}/s with 4; {_f(m, 'completions_per_s_pg_gthread_4x3', 0)}/s "
            "with 4 processes × 3 threads) (goal ≥ 300/s).** Correctness: "
            f"{m.get('concurrent_errors', '?')} errors, {m.get('concurrent_lost_steps', '?')} lost, "
            f"{m.get('concurrent_doubled_steps', '?')} doubled, double submits "
            f"{m.get('double_submit_duplicates', '?')} duplicated. Throughput is CPU-bound: each completion cost "
            f"{_f(m, 'concurrent_cpu_ms_workers', 2)} ms of CPU in the gunicorn workers, "
            f"{_f(m, 'concurrent_cpu_ms_postgres', 2)} ms in PostgreSQL and {_f(m, 'concurrent_cpu_ms_client', 2)} ms "
            f"in the client, {spent or 0:.1f} ms in all, so {cores} fully busy cores top out near {ceiling}. 300/s "
            f"on this machine needs ≤ {cores * 1000 / 300:.1f} ms of CPU per completion, everything included. A "
            f"worker spends more than the in-process completion ({_f(m, 'service_complete_ms_median_pg')} ms on "
            "PostgreSQL, single client) on HTTP, and on restoring the workflow when the case's previous step ran in "
            "the other worker."]


def _timers(results: dict[str, Any], m: dict[str, Any]) -> list[str]:
    return [f"- **Timer lateness: p99 {_f(m, 'timer_lateness_p99_s', 2)} s (goal ≤ 1 s).** p50 is "
            f"{_f(m, 'timer_lateness_p50_s_sqlite', 2)} s on SQLite and {_f(m, 'timer_lateness_p50_s_pg', 2)} s on "
            "PostgreSQL. A timer due between two ticks gets a one-off wake-up at its due time, so lateness is the "
            "time to fire what falls due at once; p99 above 1 s means the scheduler was busy firing a backlog."]


def _burst(results: dict[str, Any], m: dict[str, Any]) -> list[str]:
    seconds = m.get("timer_burst_2000_s") or 0
    rate = (m.get("timer_burst_tasks_created") or 0) / seconds if seconds else 0
    return [f"- **Timer burst: {_f(m, 'timer_burst_2000_s')} s for all (goal ≤ 10 s, each once).** "
            f"{m.get('timer_burst_missing', '?')} missing, {m.get('timer_burst_duplicates', '?')} duplicated; "
            f"≈{rate:.0f} timers/s over 4 schedulers on {os.cpu_count()} cores. One firing costs "
            f"{_f(m, 'timer_fire_ms_per_case_profiled_pg')} ms on PostgreSQL (profiled, one process): "
            f"{_top_app(_hot(results, 'due cases (PostgreSQL)'), ('fire_due_timers', 'fire_one', 'execute ('), 5)}; "
            f"each scheduler writes ≈{_f(m, 'scheduler_log_lines_per_fire_pg', 0)} log lines per fired timer. "
            "Every firing is its own transaction on a different case (no cached workflow to reuse): restore, "
            "step, the new task, audit events, the state and the commit. What is left: that per-firing cost, "
            "shared by 4 processes on 2 cores with PostgreSQL itself."]


def _memory(results: dict[str, Any], m: dict[str, Any]) -> list[str]:
    return [f"- **Memory grows with waiting cases:** web worker +{_f(m, 'web_worker_rss_growth_mb')} MB, scheduler "
            f"+{_f(m, 'scheduler_rss_growth_mb')} MB up to {m.get('memory_max_waiting_instances', 0):,} waiting."]


EXPLAINERS = [("task_complete_ms_median_sqlite", _rest), ("pathway_ratio_vs_raw_engine", _ratio),
              ("history_step_ratio_1000_vs_10", _history), ("inbox_p95_ms_1m_tasks_pg", _inbox),
              ("bytes_per_finished_instance", _state), ("completions_per_s_pg", _conc),
              ("timer_lateness_p99_s", _timers), ("timer_burst_2000_s", _burst), ("web_worker_peak_rss_mb", _memory),
              ("scheduler_peak_rss_mb", _memory)]


def _audit(results: dict[str, Any], m: dict[str, Any]) -> list[str]:
    return [f"- **Audit trail's share of a completion: {_f(m, 'audit_overhead_pct_sqlite')}% on SQLite, "
            f"{_f(m, 'audit_overhead_pct_pg')}% on PostgreSQL (goal ≤ 20%).** The trail's cost is nearly fixed per "
            "step (hashing the events, one insert per table at the flush), so its share grows as the rest of a "
            "step gets cheaper; see docs/audit.md (Cost) and the measure's notes for the per-step milliseconds."]


EXPLAINERS = [*EXPLAINERS, ("audit_overhead_pct_sqlite", _audit), ("audit_overhead_pct_pg", _audit)]


def missed_goals(results: dict[str, Any], metrics: dict[str, Any]) -> list[str]:
    """One explanation per missed goal (memory once), computed from this run's numbers and profiles.

    A missed goal without its own explainer still gets a line: the report never claims all is met.
    """
    from bench.report import GOALS

    goals = {g.key: g for g in GOALS}
    lines, done, explained = [], set(), set()
    for key, explain in EXPLAINERS:
        goal = goals[key]
        if metrics.get(key) is None or goal.met is None or goal.met(metrics):
            continue
        explained.add(key)
        if explain in done:
            continue
        done.add(explain)
        try:
            lines += explain(results, metrics)
        except (KeyError, TypeError, ValueError, ZeroDivisionError) as exc:
            lines.append(f"- **{goal.measure}: missed** (no explanation: {type(exc).__name__}: {exc})")
    for goal in GOALS:
        if goal.key in explained or goal.met is None or metrics.get(goal.key) is None or goal.met(metrics):
            continue
        lines.append(f"- **{goal.measure}: {goal.fmt(metrics[goal.key])} (goal {goal.goal}) — missed.** "
                     "See the measure's notes below.")
    return lines
