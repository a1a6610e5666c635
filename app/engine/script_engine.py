"""SpiffWorkflow script engine that runs every BPMN expression and script in our sandbox.

SpiffWorkflow's stock ``TaskDataEnvironment`` hands model text to Python's
``eval``/``exec``. ``SandboxEnvironment`` replaces both with the whitelist
interpreter from :mod:`app.engine.expressions`, so gateway conditions, timer
expressions, script tasks, multi-instance expressions and message payloads of
an uploaded model can never run arbitrary Python.
"""
from __future__ import annotations

from collections import ChainMap
from collections.abc import Mapping, MutableMapping
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import BasePythonScriptEngineEnvironment, PythonScriptEngine
from SpiffWorkflow.exceptions import SpiffWorkflowException

from app.engine.expressions import ExpressionError, check_expression, evaluate, execute_script
from app.engine.juel import normalize_condition


def _scope(context: MutableMapping[str, Any],
           external_context: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
    # Task data shadows external values (e.g. data objects), matching SpiffWorkflow;
    # ChainMap writes go to the first map, i.e. into the task data.
    return ChainMap(context, external_context) if external_context else context


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """Script environment that interprets expressions itself and never calls eval/exec."""

    def __init__(self) -> None:
        # No globals at all: only task data (and external context) is visible.
        super().__init__({})

    def evaluate(self, expression: str, context: MutableMapping[str, Any],
                 external_context: MutableMapping[str, Any] | None = None) -> Any:
        """Evaluate a Python-dialect or JUEL (${...}) expression against task data."""
        return evaluate(normalize_condition(expression), _scope(context, external_context))

    def execute(self, script: str, context: MutableMapping[str, Any],
                external_context: MutableMapping[str, Any] | None = None) -> bool:
        """Run a script of `name = expression` lines and store the results in context."""
        execute_script(script, _scope(context, external_context))
        return True

    def call_service(self, context: Mapping[str, Any], **kwargs: Any) -> Any:
        """Reject service calls: they need an explicit, registered implementation."""
        raise ExpressionError(f"service task operation {kwargs.get('operation_name')!r} is not available")


class SandboxScriptEngine(PythonScriptEngine):
    """PythonScriptEngine whose errors carry the sandbox's message and script line."""

    def __init__(self, environment: BasePythonScriptEngineEnvironment | None = None) -> None:
        super().__init__(environment=environment or SandboxEnvironment())

    def validate(self, expression: str) -> None:
        """Statically check an expression; syntax errors stay SyntaxError as SpiffWorkflow's DMN code expects."""
        try:
            check_expression(normalize_condition(expression))
        except ExpressionError as exc:
            if isinstance(exc.__cause__, SyntaxError):
                raise SyntaxError(str(exc)) from exc
            raise

    def evaluate(self, task: Any, expression: str, external_context: Mapping[str, Any] | None = None) -> Any:
        """Evaluate within the task's data; failures become WorkflowTaskException with the reason."""
        try:
            return self.environment.evaluate(expression, task.data, external_context)
        except SpiffWorkflowException as exc:
            exc.add_note(f"Error evaluating expression '{expression}'")
            raise
        except Exception as exc:
            # The stock engine drops the underlying message; keep it for incidents.
            raise WorkflowTaskException(
                f"Error evaluating expression '{expression}': {exc}", task=task, exception=exc) from exc

    def create_task_exec_exception(self, task: Any, script: str, err: Exception) -> Exception:
        """Build the exception for a failed script, with the sandbox's line number."""
        if isinstance(err, ExpressionError):
            # The stock implementation looks for line numbers in a traceback of
            # exec'd code, which does not exist here.
            return WorkflowTaskException(f"Error executing script: {err}", task=task, exception=err,
                                         line_number=err.line_number, error_line=err.expression)
        return super().create_task_exec_exception(task, script, err)

    def call_service(self, task: Any, **kwargs: Any) -> Any:
        """Call a service via the environment, wrapping failures as WorkflowTaskException."""
        # Overridden because the stock version references an undefined name when wrapping errors.
        try:
            return self.environment.call_service(task.data, **kwargs)
        except SpiffWorkflowException:
            raise
        except Exception as exc:
            raise WorkflowTaskException(f"Error calling service: {exc}", task=task, exception=exc) from exc


def make_script_engine() -> PythonScriptEngine:
    """Return a PythonScriptEngine that evaluates everything in the sandbox."""
    return SandboxScriptEngine()
