"""Measure 1: completing a task through the REST API over real HTTP on loopback (gunicorn, one worker).

Each completion is interleaved with a GET /healthz round trip, the baseline taken in the same run: what
HTTP, gunicorn and Flask cost without database or engine. Cases are started through the service layer;
the client walks them with the clerk token of each task's office, learning the next tasks from the response.
"""
from __future__ import annotations

from typing import Any

from bench import harness, http_walk
from bench.procs import Client, Gunicorn
from bench.stats import describe, ms

FULL = {"sqlite": 60, "postgresql": 40}   # cases of 10 completions each
QUICK = {"sqlite": 3, "postgresql": 2}
WARMUP_CASES = 2


def measure(cfg: harness.Config, backend: str, cases_count: int) -> dict[str, Any]:
    """Latency samples (seconds) of completions and of the /healthz baseline on one backend."""
    app = harness.make_app(cfg, backend, "rest")
    clock = harness.system_clock()
    from app.extensions import db

    with app.app_context():
        world = harness.seed_world(db.session, clock, tokens=True)
        harness.deploy_model(db.session, world, "pathway12.bpmn", clock)
        cases = http_walk.start_cases(db.session, world, cases_count + WARMUP_CASES, clock, prefix=f"REST-{backend}")
    harness.dispose(app)
    completions, baseline, errors = [], [], 0
    log_path = cfg.workdir / f"gunicorn-rest-{backend}.log"
    with Gunicorn(harness.server_env(cfg, app), workers=1, log_path=log_path) as srv:
        client = Client(srv.port)
        try:
            for number, case in enumerate(cases):
                warm = number < WARMUP_CASES
                for _ in range(100):  # a pathway case has 10 tasks; the bound only guards against a loop
                    base = http_walk.health(client)
                    outcome = http_walk.complete_next(client, world, case)
                    if outcome is None:
                        break
                    status, seconds = outcome
                    if status != 200:
                        errors += 1
                    elif not warm:
                        completions.append(seconds)
                        baseline.append(base)
        finally:
            client.close()
    return {"completions": completions, "baseline": baseline, "errors": errors}


def run(cfg: harness.Config) -> dict[str, Any]:
    """Median and p95 of a completion on SQLite (and PostgreSQL), next to the /healthz baseline."""
    sizes = QUICK if cfg.quick else FULL
    metrics: dict[str, Any] = {}
    notes = ["gunicorn 1 sync worker; the sync worker closes the connection after each response, so every "
             "request (baseline included) pays a loopback TCP connect"]
    spreads: dict[str, str] = {}
    for backend in ("sqlite", "postgresql"):
        suffix = "sqlite" if backend == "sqlite" else "pg"
        if backend == "postgresql" and not cfg.has_pg:
            metrics.update({f"task_complete_ms_median_{suffix}": None, f"task_complete_ms_p95_{suffix}": None})
            notes.append("PostgreSQL skipped (no database)")
            continue
        sample = measure(cfg, backend, sizes[backend])
        done, base = describe([ms(s) for s in sample["completions"]]), describe([ms(s) for s in sample["baseline"]])
        metrics[f"task_complete_ms_median_{suffix}"] = done["median"]
        metrics[f"task_complete_ms_p95_{suffix}"] = done["p95"]
        metrics[f"task_complete_ms_p5_{suffix}"] = done["p5"]
        metrics[f"healthz_ms_median_{suffix}"] = base["median"]
        metrics[f"healthz_ms_p95_{suffix}"] = base["p95"]
        metrics[f"task_complete_ms_net_median_{suffix}"] = done["median"] - base["median"]
        metrics[f"task_complete_errors_{suffix}"] = sample["errors"]
        metrics[f"task_complete_n_{suffix}"] = done["n"]
        spreads[suffix] = f"p5–p95 {done['p5']:.1f}–{done['p95']:.1f} ms (n={done['n']})"
    return {"metrics": metrics, "notes": notes, "spreads": spreads}


if __name__ == "__main__":
    harness.main(run, __doc__.splitlines()[0])
