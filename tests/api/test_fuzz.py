"""A bounded schemathesis run over every API operation: no server errors, answers as documented.

Each operation gets a few generated requests (positive and negative, derandomized, no example database) as an
admin and as a clerk, against the app in-process (WSGI, no network), and each generated request is sent once
more with hostile values the adversarial round used (ids beyond 32 bits, NUL bytes, lone surrogates, deep
nesting). It runs on each database backend.
"""
from __future__ import annotations

import json
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

EXAMPLES_PER_MODE = 4
USERS = ("admin", "abh")  # an admin and a clerk of the Ausländerbehörde
HOSTILE_STRINGS = ("a\x00b", "\ud800", "x" * 5000)


def _operations(app):
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


def _nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = {"x": value}
    return value


def _send_hostile(client, operation, case, variant: int, failures: list[str]) -> None:
    """Send the case once more with one kind of hostile value in every place that takes one (own JSON encoding:
    a lone surrogate cannot pass schemathesis' validators, but it can pass the wire as \\ud800)."""
    path_params = {name: (2147483648, 2**63, -1)[variant % 3] for name in (case.path_parameters or {})}
    query = {name: (str(2**63), "a\x00b", "x" * 5000)[variant % 3] for name in (case.query or {})}
    body = None
    if isinstance(case.body, dict) and case.media_type == "application/json":
        body = {}
        for key, value in case.body.items():
            if isinstance(value, str):
                body[key] = HOSTILE_STRINGS[variant % 3]
            elif isinstance(value, dict):
                body[key] = (_nested(600), {"\ud800": 1}, {"x": "\ud800"})[variant % 3]
            elif isinstance(value, int) and not isinstance(value, bool):
                body[key] = 2**64
            else:
                body[key] = value
    if not (path_params or query or body):
        return
    path = operation.path
    for name, value in path_params.items():
        path = path.replace("{" + name + "}", str(value))
    for user in USERS:
        response = client.open(path, method=operation.method.upper(), query_string=query,
                               data=json.dumps(body) if body is not None else None,
                               content_type="application/json" if body is not None else None,
                               headers={"Authorization": f"Bearer {_TOKENS[user]}"})
        error_shape = {"code", "message"} <= set(response.get_json(silent=True) or {})
        if response.status_code >= 500 or (response.status_code >= 400 and not error_shape):
            failures.append(f"{operation.label} (hostile {variant % 3}) as {user}: {response.status_code} "
                            f"{response.get_data(as_text=True)[:300]}")


def _check(case, failures: list[str], label: str) -> None:
    for user in USERS:
        headers = {"Authorization": f"Bearer {_TOKENS[user]}"}
        response = case.call(headers=headers)
        try:
            case.validate_response(response, checks=[not_a_server_error, response_schema_conformance],
                                   headers=headers)
        except Exception as exc:  # noqa: BLE001 - collect all findings, so one run shows every one
            failures.append(f"{label} as {user}: {str(exc)[:800]}")


_TOKENS: dict[str, str] = {}


def _fuzz(client, operation, mode, failures: list[str]) -> None:
    counter = iter(range(1000))

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES_PER_MODE, derandomize=True, database=None, deadline=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def run(case):
        _check(case, failures, f"{operation.label} ({mode.value})")
        _send_hostile(client, operation, case, next(counter), failures)

    run()


def test_no_operation_answers_a_server_error_or_off_its_schema(app, client, api, world):
    api.deploy("handoff.bpmn")  # something to find: a definition, a case, tasks
    assert api.start("aufenthalt_leistung", "FUZZ-1").status_code == 201
    _TOKENS.update(world.tokens)
    failures: list[str] = []
    operations = _operations(app)
    assert len(operations) >= 20
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz(client, operation, mode, failures)
    assert not failures, f"{len(failures)} finding(s):\n\n" + "\n\n".join(failures[:15])
