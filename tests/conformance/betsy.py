"""Test adapter for the betsy BPMN conformance subset (../shared/conformance/executable/betsy).

Betsy's models carry engine-neutral placeholders; betsy itself rewrites them per engine. This adapter does the
same for Lotse — in the tests, never in the product: script placeholders become sandbox assignments that append
markers to the case variable `trace`, and `test.contains("a")` becomes `contains(test, "a")`. A test case then
runs through the service layer (deploy, start, timers on the fake clock, messages between cases).
"""
from __future__ import annotations

import contextlib
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from lxml import etree
from sqlalchemy import select

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
NS = {"bpmn": BPMN}
HORIZON = timedelta(minutes=5)  # betsy waits at most 65 s; anything later is "never"


def betsy_dir() -> Path | None:
    """The shared betsy folder beside the checkout (found by tests/conftest.py), or None."""
    from tests.conftest import SHARED_FOUND

    folder = SHARED_FOUND / "conformance" / "executable" / "betsy" if SHARED_FOUND else None
    return folder if folder is not None and folder.is_dir() else None


@dataclass
class BetsyCase:
    """One case of one betsy test: the start input and the markers it must log."""

    test: str
    path: Path
    number: int
    test_input: str | None
    expect: list[str]
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def case_id(self) -> str:
        return f"{self.test}[{self.number}]"


def load_cases(folder: Path) -> list[BetsyCase]:
    """Every case of every betsy test whose model is in the folder, in file order."""
    expected = {entry["test"]: entry for entry in json.loads((folder / "EXPECTED.json").read_text())}
    cases = []
    for path in sorted(folder.glob("*.bpmn")):
        entry = expected[path.stem.split("__", 1)[1]]
        for number, case in enumerate(entry["cases"], start=1):
            cases.append(BetsyCase(entry["test"], path, number, case["input"], case["expect"], case["options"]))
    return cases


def _script_for(placeholder: str, task: etree._Element) -> str:
    # Betsy's engines append to a log file; here each marker is one execution of `betsy_log = ...`, which the
    # test records as the script runs (see LogRecorder) — task data is merged across parallel branches, a log
    # is not.
    if placeholder == "CREATE_LOG_FILE":
        return "log_file = True"
    if placeholder == "CREATE_MARKER_FILE":
        return 'betsy_log = "MarkerExists"'
    if placeholder.startswith("SCRIPT_task"):
        return f'betsy_log = "Task{placeholder.removeprefix("SCRIPT_task")}"'
    if placeholder == "INCREMENT_INTEGER_VARIABLE_AND_LOG":
        return 'integerVariable = integerVariable + 1\nbetsy_log = "Increment"'
    if placeholder == "SET_STRING_DATA":
        output = task.xpath("./bpmn:ioSpecification/bpmn:dataOutput/@id", namespaces=NS)[0]
        return f'{output} = "betsy"'
    if placeholder == "LOG_DATA":
        data_input = task.xpath("./bpmn:ioSpecification/bpmn:dataInput/@id", namespaces=NS)[0]
        return f'betsy_log = "DataCorrect" if {data_input} == "betsy" else "DataWrong"'
    raise ValueError(f"unknown betsy placeholder {placeholder}")


class LogRecorder:
    """Records each `betsy_log` value a script sets, in execution order (betsy's log file)."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def install(self, monkeypatch) -> LogRecorder:
        """Wrap the sandbox's script execution for the duration of one test."""
        from app.engine.script_engine import SandboxEnvironment

        original = SandboxEnvironment.execute
        recorder = self

        def execute(env, script, context, external_context=None):
            result = original(env, script, context, external_context)
            if script.lstrip().startswith("betsy_log") or "\nbetsy_log" in script:
                recorder.lines.append(context["betsy_log"])
            return result

        monkeypatch.setattr(SandboxEnvironment, "execute", execute)
        return self


def adapt(data: bytes) -> bytes:
    """The model with betsy's placeholders written for Lotse's sandbox."""
    root = etree.fromstring(data)
    for script in root.iter(f"{{{BPMN}}}script"):
        script.text = _script_for((script.text or "").strip(), script.getparent())
    for tag in ("conditionExpression", "condition"):
        for el in root.iter(f"{{{BPMN}}}{tag}"):
            text = re.sub(r'(!?)test\.contains\("(\w+)"\)',
                          lambda m: ("not " if m.group(1) else "") + f'contains(test, "{m.group(2)}")', el.text or "")
            el.text = text
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


@dataclass
class Outcome:
    """What a betsy case did in Lotse: the markers logged by all its cases, and their states."""

    trace: list[str]
    statuses: list[str]
    incidents: int
    data: list[dict[str, Any]]

    def markers(self) -> Counter:
        """The logged markers as betsy counts them (an engine error is 'RuntimeException')."""
        found = Counter(self.trace)
        if self.incidents:
            found["RuntimeException"] += 1
        return found


def run_case(session, clock, case: BetsyCase, *, designer, clerk, log: LogRecorder) -> Outcome:
    """Deploy the adapted model, start a case with betsy's variables, let timers and messages run; the outcome."""
    from app import orchestration
    from app.definitions import service as definitions
    from app.definitions.models import ProcessDefinition
    from app.engine import runtime
    from app.instances import service as instances
    from app.instances.models import Incident, ProcessInstance
    from app.instances.messages import deliver_pending
    from app.orchestration import IncidentRaised
    from app.scheduler.service import fire_due_timers, next_due_at

    definition, _ = definitions.deploy(session, actor=designer, data=adapt(case.path.read_bytes()), clock=clock)
    data = {"test": case.test_input or "", "integerVariable": case.options.get("integerVariable", 0),
            "testCaseNumber": case.number}
    started = clock.now()
    with contextlib.suppress(IncidentRaised):  # the incident is part of the outcome
        instances.start_instance(session, actor=clerk, process_key=definition.key, business_key=case.case_id,
                                 data=data, clock=clock, definition_id=definition.id)
    session.commit()
    for _ in range(200):
        deliver_pending(session, clock=clock)
        due = next_due_at(session)
        if due is None or due > started + HORIZON:
            break
        clock.set(max(clock.now(), due) + timedelta(milliseconds=1))
        fire_due_timers(session, clock=clock)
        session.commit()
    rows = list(session.scalars(select(ProcessInstance).order_by(ProcessInstance.id)))
    # The trace implies the engine's variables (what gateways saw), not what a person may read of the case file.
    details = [runtime.workflow_data(orchestration.engine_for(session.get_one(ProcessDefinition, row.definition_id))
                                     .restore(row.state)) for row in rows]
    incidents = len(list(session.scalars(select(Incident))))
    return Outcome(list(log.lines), [r.status for r in rows], incidents, details)


TABLE_START, TABLE_END = "<!-- betsy table: generated, kept equal by tests -->", "<!-- end of betsy table -->"


def results_table(cases: list[BetsyCase], gaps: dict[str, str]) -> str:
    """The markdown table of docs/conformance.md: one row per betsy test with its outcome in Lotse."""
    tests: dict[str, list[BetsyCase]] = {}
    for case in cases:
        tests.setdefault(case.test, []).append(case)
    passed = sum(1 for name in tests if name not in gaps)
    rows = [f"{passed} of {len(tests)} betsy tests pass.", "",
            "| test | group | cases | result |", "|---|---|---|---|"]
    for name, group in tests.items():
        area = group[0].path.stem.split("__", 1)[0]
        result = f"gap: {gaps[name]}" if name in gaps else "passes"
        rows.append(f"| {name} | {area} | {len(group)} | {result} |")
    return "\n".join([TABLE_START, *rows, TABLE_END])


if __name__ == "__main__":  # print the table for docs/conformance.md
    from tests.conformance.test_betsy import CASES, GAPS

    print(results_table(CASES, GAPS))
