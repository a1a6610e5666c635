"""`lotse describe`: the pathway table and the generated docs/pathways.md."""
from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from lxml import etree

from app.cli import cli
from tests.pathways.conftest import MODELS

ROOT = Path(__file__).resolve().parents[2]
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
CAMUNDA = "{http://camunda.org/schema/1.0/bpmn}"


def _invoke(*args: str) -> str:
    result = CliRunner().invoke(cli, ["describe", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_describe_prints_every_task_of_p3_with_deadline_and_legal_source():
    path = ROOT / "processes" / "p3_uma.bpmn"
    output = _invoke(str(path))
    lines = output.splitlines()
    tasks = list(etree.parse(str(path)).getroot().iter(f"{BPMN}userTask"))
    assert len(tasks) == 14
    for task in tasks:
        props = {p.get("name"): p.get("value") for p in task.iter(f"{CAMUNDA}property")}
        [line] = [line for line in lines if line.startswith(task.get("name") + "  ")]
        assert props["lotse:legalSource"] in line, task.get("id")
    report = [line for line in lines if line.startswith("Meldung an die Landesstelle NRW")][0]
    assert "7 working days (NRW)" in report and "§ 42a Abs. 4 SGB VIII" in report and "reminder 2 days before" in report
    subprocess = [line for line in lines if "(subprocess)" in line][0]
    assert "interrupts after 1 month" in subprocess
    assert "Starts on message: `UMA_erkannt`" in output


def test_called_tasks_show_the_calling_office():
    output = _invoke(str(ROOT / "processes" / "p1_ankommen.bpmn"))
    line = [line for line in output.splitlines() if line.startswith("Person aufklären")][0]
    assert "Anfragende Stelle (called from KIM-Case-Management)" in line and "interrupts after 14 days" in line


def test_docs_pathways_md_is_generated_from_the_models():
    files = [str(ROOT / "processes" / f"{key}.bpmn") for key in MODELS]
    expected = _invoke("--markdown", *files)
    assert (ROOT / "docs" / "pathways.md").read_text(encoding="utf-8") == expected, (
        "docs/pathways.md is stale: run `lotse describe --markdown processes/p5_einwilligung.bpmn "
        "processes/p1_ankommen.bpmn processes/p2_leistungsbezug.bpmn processes/p3_uma.bpmn "
        "processes/p4_sprache_arbeit.bpmn > docs/pathways.md`")
