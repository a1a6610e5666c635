"""Configuration: defaults, overridden from the environment (LOTSE_*) or by the caller."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

DEFAULTS: dict[str, Any] = {
    "SECRET_KEY": None,
    "MAX_BPMN_BYTES": 5_000_000,
    "MAX_CONTENT_LENGTH": 6_000_000,
    "SCHEDULER_TICK_SECONDS": 1.0,
    # Restored workflows kept per process between steps of the same case (0 turns the cache off).
    "WORKFLOW_CACHE_SIZE": 256,
    "EMBEDDED_SCHEDULER": False,
    "SQLALCHEMY_ENGINE_OPTIONS": {},
    "API_TITLE": "Lotse",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api",
    "OPENAPI_JSON_PATH": "openapi.json",
    "OPENAPI_SWAGGER_UI_PATH": "/docs",
    "OPENAPI_SWAGGER_UI_URL": "/api/docs/static/",
    "JSON_SORT_KEYS": False,
    # Audit trail: seal chain heads into the ledger, erase expired cases, prune the access log.
    "AUDIT_SEAL_SECONDS": 300,  # the scheduler's backstop; writers' own processes seal within seconds:
    "AUDIT_SEAL_DELAY_SECONDS": 2.0,  # after a commit that wrote audit events (0: only the scheduler seals)
    "RETENTION_SECONDS": 3600,
    "ACCESS_LOG_PRUNE_SECONDS": 86400,
    "ACCESS_LOG_RETENTION": "P6M",  # § 79 Abs. 4 SGB X anchors six months for retrieval logs
    "MESSAGE_EXPIRY": "P7D",  # an undeliverable message between cases expires after this long
}


def default_database_url(instance_path: str) -> str:
    """SQLite file inside the instance folder: the embedded default."""
    return "sqlite:///" + str(Path(instance_path) / "lotse.sqlite3")


def from_environment(instance_path: str) -> dict[str, Any]:
    """Read LOTSE_* environment variables into config keys."""
    env = os.environ
    config: dict[str, Any] = {
        "SQLALCHEMY_DATABASE_URI": env.get("LOTSE_DATABASE_URL") or default_database_url(instance_path),
    }
    if env.get("LOTSE_SECRET_KEY"):
        config["SECRET_KEY"] = env["LOTSE_SECRET_KEY"]
    if env.get("LOTSE_WORKFLOW_CACHE_SIZE"):
        config["WORKFLOW_CACHE_SIZE"] = int(env["LOTSE_WORKFLOW_CACHE_SIZE"])
    if env.get("LOTSE_SCHEDULER_TICK_SECONDS"):
        config["SCHEDULER_TICK_SECONDS"] = float(env["LOTSE_SCHEDULER_TICK_SECONDS"])
    for key in ("SMTP_HOST", "SMTP_PORT", "SMTP_SENDER"):
        if env.get(f"LOTSE_{key}"):
            config[key] = env[f"LOTSE_{key}"]
    for key in ("AUDIT_SEAL_SECONDS", "AUDIT_SEAL_DELAY_SECONDS", "RETENTION_SECONDS", "ACCESS_LOG_PRUNE_SECONDS"):
        if env.get(f"LOTSE_{key}"):
            config[key] = float(env[f"LOTSE_{key}"])
    for key in ("ACCESS_LOG_RETENTION", "MESSAGE_EXPIRY"):
        if env.get(f"LOTSE_{key}"):
            config[key] = env[f"LOTSE_{key}"]
    if env.get("LOTSE_METRICS_LOOPBACK"):
        config["METRICS_LOOPBACK"] = env["LOTSE_METRICS_LOOPBACK"] not in ("0", "false", "no")
    for key in ("AUDIT_ANCHOR_KEY", "METRICS_TOKEN"):
        if env.get(f"LOTSE_{key}"):
            config[key] = env[f"LOTSE_{key}"]
    if env.get("LOTSE_EMBEDDED_SCHEDULER"):
        config["EMBEDDED_SCHEDULER"] = env["LOTSE_EMBEDDED_SCHEDULER"] not in ("0", "false", "no")
    if env.get("LOTSE_LDAP_CONFIG"):
        # The directory settings (docs/auth.md) as a JSON file, kept out of the environment: it holds a password.
        config["LDAP"] = json.loads(Path(env["LOTSE_LDAP_CONFIG"]).read_text(encoding="utf-8"))
    return config


def normalize_database_url(url: str) -> str:
    """Use the psycopg 3 driver for plain postgresql:// URLs."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url
