"""Tests for the JUEL to sandbox-Python translation."""
from __future__ import annotations

import pytest

from app.engine.expressions import ExpressionError, check_expression, evaluate
from app.engine.juel import is_juel, juel_to_python, normalize_condition

CONTEXT = {
    "approved": True,
    "rejected": False,
    "amount": 5000,
    "urgent": False,
    "status": "neu",
    "x": None,
    "a": False,
    "b": True,
    "liste": [],
    "kinder": ["Ali"],
    "text": "",
    "sum": 12,
    "n": 3,
    "applicant": {"age": 30, "name": "Ann Lee", "address": {"city": "Köln"}, "empty": "feld"},
    "key": "age",
}

CASES = [
    ("${approved == true}", True),
    ("${approved}", True),
    ("${amount > 1000 && urgent}", False),
    ("${amount > 1000 and not urgent}", True),
    ("#{!rejected}", True),
    ("#{not rejected}", True),
    ("${status eq 'neu'}", True),
    ('${status == "neu"}', True),
    ("${status ne 'neu'}", False),
    ("${status != 'alt'}", True),
    ("${x != null}", False),
    ("${x == null}", True),
    ("${null == x}", True),
    ("${status != null}", True),
    ("${a || b}", True),
    ("${a or b}", True),
    ("${a || a || b}", True),
    ("${b && b && a}", False),
    ("${not empty liste}", False),
    ("${empty liste}", True),
    ("${empty text}", True),
    ("${empty x}", True),
    ("${!empty kinder}", True),
    ("${n gt 3}", False),
    ("${n ge 3}", True),
    ("${n lt 4}", True),
    ("${n le 2}", False),
    ("${n > 2 && n < 4}", True),
    ("${n >= 3 || n <= 0}", True),
    ("${sum >= 10 ? 'A' : 'B'}", "A"),
    ("${sum < 10 ? 'A' : 'B'}", "B"),
    ("${a ? 1 : b ? 2 : 3}", 2),
    ("${(a ? 1 : 2) + 10}", 12),
    ("${1 + 2 * 3}", 7),
    ("${(1 + 2) * 3}", 9),
    ("${((n + 1) * (n - 1))}", 8),
    ("${10 - 4 - 3}", 3),
    ("${-n + 1}", -2),
    ("${7 / 2}", 3.5),
    ("${7 div 2}", 3.5),
    ("${7 % 3}", 1),
    ("${7 mod 3}", 1),
    ("${1.5 + .5}", 2.0),
    ("${2e3}", 2000.0),
    ("${!a == b}", True),  # '!' binds tighter than '==' in JUEL, unlike Python's 'not'
    ("${1 < 2 == true}", True),  # relational binds tighter than equality
    ("${\"hello world\"}", "hello world"),
    ("${'say \"hi\"'}", 'say "hi"'),
    (r"${'it\'s'}", "it's"),
    (r'${"a \"quoted\" word"}', 'a "quoted" word'),
    (r"${'back\\slash'}", "back\\slash"),
    ("${'a || b ? c : d'}", "a || b ? c : d"),
    ("${status == 'neu' ? 'Neuantrag' : 'Verlängerung'}", "Neuantrag"),
    ("${applicant.age}", 30),
    ("${applicant.age >= 18}", True),
    ("${applicant.address.city == 'Köln'}", True),
    ("${applicant['name']}", "Ann Lee"),
    ("${applicant[key]}", 30),
    ("${applicant.empty}", "feld"),
    ("${kinder[0]}", "Ali"),
    ("${true}", True),
    ("${false || null == null}", True),
    ("  ${ amount > 1000 }  ", True),
]


@pytest.mark.parametrize(("juel", "expected"), CASES)
def test_translation_evaluates_like_juel(juel, expected):
    assert is_juel(juel)
    python = juel_to_python(juel)
    check_expression(python)  # the translation must be inside the sandbox
    assert evaluate(python, CONTEXT) == expected


@pytest.mark.parametrize(("juel", "message"), [
    ("${x.foo()}", "method calls are not supported in expressions"),
    ("${applicant.name.toUpperCase()}", "method calls are not supported in expressions"),
    ("${kinder[0]()}", "method calls are not supported in expressions"),
    ("${execution.getVariable('a')}", "method calls are not supported in expressions"),
    ("${foo(1)}", "function calls are not supported"),
    ("${fn:contains(a, b)}", "function calls are not supported in expressions ('fn:contains(...)')"),
    ("${a, b}", "unexpected ','"),
    ("${a = 1}", "assignments are not supported"),
    ("${a += 'x'}", "'+=' is not supported"),
    ("${x -> x}", "lambda expressions are not supported"),
    ("${a; b}", "';' are not supported"),
    ("${a} and ${b}", "composite expressions"),
    ("${a}${b}", "composite expressions"),
    ("${{1, 2}}", "set and map literals are not supported"),
    ("${a instanceof b}", "'instanceof' operator is not supported"),
    ("${}", "empty expression"),
    ("${   }", "empty expression"),
    ("${'open}", "unterminated string literal"),
    ("${a @ b}", "unexpected character '@' at position 5"),
    ("${(a}", "expected ')'"),
    ("${a ? b}", "expected ':'"),
    ("${a b}", "unexpected 'b'"),
    ("${a.}", "expected a property name"),
    ("${class}", "variable name 'class' cannot be used"),
    ("${_secret}", "variable name '_secret' cannot be used"),
    ("${applicant.__class__}", "key '__class__' not found"),
    ("${" + "(" * 100 + "1" + ")" * 100 + "}", "nested too deeply"),
    ("${" + "!" * 100 + "a}", "nested too deeply"),
    ("${" + " || ".join(["a"] * 300) + "}", "too complex"),
    ("${" + "a" * 2001 + "}", "too long"),
    ("amount > 1000", "not a JUEL expression"),
])
def test_unsupported_juel_gives_clear_error(juel, message):
    with pytest.raises(ExpressionError) as info:
        evaluate(juel_to_python(juel), CONTEXT)
    assert message in str(info.value)


def test_property_access_cannot_escape():
    # a.__class__ becomes a dict lookup, never attribute access.
    assert juel_to_python("${a.__class__}") == "a['__class__']"


@pytest.mark.parametrize(("source", "expected"), [
    ("${a}", True), ("#{a}", True), ("  ${a}\n", True), ("${}", False), ("$a}", False),
    ("a", False), ("{a}", False), ("${a", False), (None, False),
])
def test_is_juel(source, expected):
    assert (is_juel(source) and source.strip() != "${}") == expected


def test_normalize_condition():
    assert normalize_condition("${amount gt 1000}") == "(amount > 1000)"
    assert normalize_condition("  amount > 1000\n") == "amount > 1000"
    with pytest.raises(ExpressionError):
        normalize_condition(None)
