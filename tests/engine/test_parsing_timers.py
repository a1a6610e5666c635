"""Timer literals as modelers write them (unquoted ISO 8601) are accepted and fire at the right time."""

from datetime import datetime, timedelta, timezone

import pytest
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from app.engine.parsing import parse_bpmn
from tests.conftest import START
from tests.engine.parsing_helpers import model, start, timer_catch

HOUR = timedelta(hours=1)


def due_of(tag: str, text: str, **data) -> tuple[str, object]:
    m = parse_bpmn(model(timer_catch(tag, text)))
    [timer] = m.timers
    [event] = start(m, **data).waiting_events()
    return timer.expression, event.value


def near(value: str, delta: timedelta) -> bool:
    """The timer is due exactly `delta` after the engine's (fake) now."""
    return TimerEventDefinition.get_datetime(value) == START + delta


@pytest.mark.parametrize(("tag", "text", "kind", "delta"), [
    ("timeDuration", "PT1H", "duration", HOUR),
    ("timeDuration", "P14D", "duration", timedelta(days=14)),
    ("timeDuration", "PT0.5H", "duration", HOUR / 2),
    ("timeDuration", "  PT1H\n ", "duration", HOUR),
    ("timeDuration", '"PT1H"', "duration", HOUR),
    ("timeDuration", "${'PT1H'}", "duration", HOUR),
    ("timeCycle", "R3/PT10M", "cycle", timedelta(minutes=10)),
    ("timeCycle", "R/PT1H", "cycle", HOUR),
])
def test_relative_literals_fire_after_the_duration(tag, text, kind, delta):
    expression, value = due_of(tag, text)
    assert expression.startswith(('"', "'"))
    assert near(value, delta)


def test_calendar_duration_uses_calendar_months():
    expression, value = due_of("timeDuration", "P1Y2M3DT4H")
    assert expression == '"P1Y2M3DT4H"'
    # START is 2 March 2026, 08:00 UTC: one year, two calendar months, three days and four hours later.
    assert TimerEventDefinition.get_datetime(value) == datetime(2027, 5, 5, 12, 0, tzinfo=timezone.utc)


# Absolute dates some months after the engine's fake now (START), whatever today's date is.
LATER = (START + timedelta(days=274)).date().isoformat()


@pytest.mark.parametrize(("text", "expected"), [
    (f"{LATER}T09:00:00+01:00", datetime.fromisoformat(f"{LATER}T08:00:00+00:00")),
    (f"{LATER}T09:00:00Z", datetime.fromisoformat(f"{LATER}T09:00:00+00:00")),
])
def test_absolute_dates_fire_at_that_instant(text, expected):
    expression, value = due_of("timeDate", text)
    assert expression == f'"{text}"'
    assert TimerEventDefinition.get_datetime(value) == expected


def test_cycle_with_start_date_is_accepted():
    expression, value = due_of("timeCycle", f"R2/{LATER}T09:00:00Z/P1D")
    assert TimerEventDefinition.get_datetime(value) == datetime.fromisoformat(f"{LATER}T09:00:00+00:00")


def test_juel_timer_expression_is_translated_and_evaluated_from_data():
    expression, value = due_of("timeDuration", "${frist}", frist="PT2H")
    assert expression == "frist"
    assert near(value, 2 * HOUR)


def test_python_timer_expression_is_kept():
    expression, value = due_of("timeDuration", '"PT%dH" % stunden', stunden=3)
    assert expression == '"PT%dH" % stunden'
    assert near(value, 3 * HOUR)


def test_boundary_and_event_subprocess_timers_are_listed():
    task = '<bpmn:userTask id="UT"/>'
    boundary = ('<bpmn:boundaryEvent id="B" attachedToRef="UT"><bpmn:timerEventDefinition>'
                "<bpmn:timeDuration>P14D</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>"
                '<bpmn:endEvent id="BE"/><bpmn:sequenceFlow id="bf" sourceRef="B" targetRef="BE"/>')
    event_sub = ('<bpmn:subProcess id="ESP" triggeredByEvent="true"><bpmn:startEvent id="ES" isInterrupting="false">'
                 "<bpmn:timerEventDefinition><bpmn:timeCycle>R/P1D</bpmn:timeCycle></bpmn:timerEventDefinition>"
                 '</bpmn:startEvent><bpmn:endEvent id="EE"/><bpmn:sequenceFlow id="ef" sourceRef="ES" targetRef="EE"/>'
                 "</bpmn:subProcess>")
    m = parse_bpmn(model(task, extra=boundary + event_sub))
    timers = {t.element_id: t for t in m.timers}
    assert (timers["B"].attached_to, timers["B"].interrupting, timers["B"].kind) == ("UT", True, "duration")
    assert (timers["ES"].process_id, timers["ES"].interrupting, timers["ES"].kind) == ("ESP", False, "cycle")
