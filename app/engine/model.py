"""Plain data produced by BPMN parsing (no logic beyond formatting)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an uploaded model, tied to a BPMN element where possible."""

    element_id: str | None
    message: str
    line: int | None = None
    # xml, xsd, unsupported, call_target, expression, timer, property, structure, reserved_id
    code: str = "invalid"

    def __str__(self) -> str:
        where = f"[{self.element_id}] " if self.element_id else ""
        line = f" (line {self.line})" if self.line else ""
        return f"{self.code}: {where}{self.message}{line}"


class ModelInvalid(Exception):
    """The model cannot be deployed; `problems` lists every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(self._summary())

    def _summary(self) -> str:
        count = len(self.problems)
        head = f"model is invalid: {count} problem{'s' if count != 1 else ''}"
        return head + "".join(f"\n- {problem}" for problem in self.problems)

    def __str__(self) -> str:
        return self._summary()


@dataclass
class UserTaskInfo:
    """What the orchestrator needs to know about one user task of the model."""

    element_id: str
    name: str | None
    lane: str | None = None
    candidate_groups: list[str] = field(default_factory=list)
    # camunda:assignee or a single camunda:candidateUsers entry: a username, or ${variable} holding one.
    assignee: str | None = None
    form_key: str | None = None
    due_in: str | None = None
    calendar: str | None = None
    legal_source: str | None = None
    remind_before: str | None = None
    follow_up_in: str | None = None
    camunda_due_date: str | None = None
    camunda_follow_up_date: str | None = None
    documentation: str | None = None
    process_id: str = ""
    clock: dict[str, Any] | None = None  # legal-clock attributes, see parsing_clocks


@dataclass
class TimerInfo:
    """One BPMN timer event definition, with its normalized (python) expression."""

    element_id: str
    process_id: str
    kind: str  # 'duration' | 'date' | 'cycle'
    expression: str
    attached_to: str | None = None
    interrupting: bool | None = None
    clock: dict[str, Any] | None = None  # legal-clock attributes, see parsing_clocks


@dataclass
class ParsedModel:
    """Result of parsing and linting a BPMN document."""

    dialect: str  # 'camunda' | 'spiff'
    main_process_id: str
    process_ids: list[str]
    process_name: str | None
    spec: Any
    subprocess_specs: dict[str, Any]
    lanes: list[str] = field(default_factory=list)
    user_tasks: list[UserTaskInfo] = field(default_factory=list)
    timers: list[TimerInfo] = field(default_factory=list)
    message_names: list[str] = field(default_factory=list)
    called_elements: list[str] = field(default_factory=list)
    normalized_xml: bytes = b""
    called_xml: dict[str, bytes] = field(default_factory=dict)
    # Executable processes of the file that no call activity calls: each is deployed as its own process.
    participants: list[str] = field(default_factory=list)
    plain_starts: list[str] = field(default_factory=list)
