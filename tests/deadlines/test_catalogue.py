"""The clock catalogue, `lotse clocks` and the generated docs/clocks.md."""
from __future__ import annotations

from pathlib import Path

from app.deadlines.catalogue import CATALOGUE, CLOCKS
from app.deadlines.coverage import (
    clocks_command,
    coverage,
    models_from_files,
    render_markdown,
)

ROOT = Path(__file__).resolve().parents[2]


def test_catalogue_counts_and_reasons():
    """47 clocks (49 rows, two are not clocks); at least 45 computable, every other one says why."""
    assert [c.number for c in CATALOGUE] == list(range(1, 50))
    assert len(CLOCKS) == 47
    assert sum(c.computable for c in CLOCKS) >= 45
    assert all(c.reason for c in CLOCKS if not c.computable)
    assert all(c.law and c.law != "—" for c in CLOCKS)


def test_docs_clocks_md_is_generated_from_catalogue_and_models():
    """docs/clocks.md equals `lotse clocks --markdown processes/*.bpmn`."""
    expected = render_markdown(coverage(models_from_files(sorted((ROOT / "processes").glob("*.bpmn")))))
    assert (ROOT / "docs" / "clocks.md").read_text(encoding="utf-8") == expected, (
        "regenerate: lotse clocks --markdown processes/*.bpmn > docs/clocks.md")


def test_cli_lists_the_deployed_elements_of_a_municipality(app, api):
    """The court deadline of the deployed model is found with its element ids and trigger."""
    api.deploy("clocks.bpmn")
    result = app.test_cli_runner().invoke(clocks_command, ["--municipality", "musterstadt"])
    assert result.exit_code == 0, result.output
    [line] = [x for x in result.output.splitlines() if x.startswith("20 ")]
    assert "klagefrist/ut_klagefrist (trigger)" in line and "klagefrist/bt_frist (trigger)" in line
    assert "not computable" in next(x for x in result.output.splitlines() if x.startswith("10 "))
    unknown = app.test_cli_runner().invoke(clocks_command, ["--municipality", "gibtsnicht"])
    assert unknown.exit_code != 0 and "no municipality 'gibtsnicht'" in unknown.output
