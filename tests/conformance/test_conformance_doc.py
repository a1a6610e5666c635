"""docs/conformance.md shows exactly what the betsy tests measure."""
from __future__ import annotations

from pathlib import Path

from tests.conformance.betsy import TABLE_END, TABLE_START, results_table
from tests.conformance.test_betsy import CASES, GAPS
from tests.conftest import needs_shared

DOC = Path(__file__).resolve().parents[2] / "docs" / "conformance.md"


@needs_shared
def test_the_conformance_table_matches_the_tests():
    text = DOC.read_text()
    shown = text[text.index(TABLE_START):text.index(TABLE_END) + len(TABLE_END)]
    assert shown == results_table(CASES, GAPS), "regenerate the table: python -m tests.conformance.betsy"


def test_every_gap_names_a_betsy_test():
    assert set(GAPS) <= {case.test for case in CASES} or not CASES
