"""Sandboxed evaluation of BPMN expressions and scripts: the interpreter.

Uploaded BPMN models are untrusted input, so nothing in them is ever handed to
eval/exec/compile. Source text is parsed and checked against the whitelist in
:mod:`app.engine.expression_checks` (limits, ExpressionError, allowed syntax,
no attribute access, no ``_`` names); this module then interprets the checked
tree node by node. It holds the implementations of the whitelisted functions
and operators, the run-time size bounds on results, and the entry points
``evaluate`` and ``execute_script``. It is also the public import point of the
sandbox: ``check_expression``, ``check_script``, ``ExpressionError`` and
``MAX_EXPRESSION_LENGTH`` are re-exported for callers.
"""
from __future__ import annotations

import ast
import copy
import operator
import re
from collections import ChainMap
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any

from app.engine.expression_checks import (
    BINOP_TYPES,
    FUNCTION_ARITY,
    MAX_EXPRESSION_LENGTH,
    MAX_INT,
    MAX_SIZE,
    UNARYOP_TYPES,
    ExpressionError,
    check_expression,
    check_script,
    compile_expression,
    compile_script,
)

__all__ = ["FUNCTIONS", "MAX_EXPRESSION_LENGTH", "ExpressionError", "check_expression", "check_script",
           "evaluate", "execute_script"]

# Run-time bounds on results; the static limits (MAX_*) live in app.engine.expression_checks.
# Refuse int products whose operands are this long before multiplying: the
# result is far beyond MAX_INT anyway and the multiplication itself is the cost.
_MAX_PRODUCT_BITS = 2 * MAX_INT.bit_length()
_MAX_FORMAT_WIDTH = 1000
_MAX_ROUND_DIGITS = 100
_SIZED = (str, list, tuple, dict, set, frozenset)
_SEQUENCES = (str, list, tuple)


def _weight(value: Any, limit: int = MAX_SIZE) -> int:
    """Count elements and characters reachable from value, stopping once past limit.

    Shared references are counted every time they occur, because that is what
    str() or a comparison has to walk; stopping early keeps the cost bounded.
    """
    total, stack = 0, [value]
    while stack and total <= limit:
        item = stack.pop()
        if isinstance(item, str):
            total += len(item)
        elif isinstance(item, _SIZED):
            total += len(item)
            if total <= limit and isinstance(item, dict):
                stack.extend(item.keys())
                stack.extend(item.values())
            elif total <= limit:
                stack.extend(item)
    return total


def _check_size(value: Any) -> Any:
    """Reject results that exceed the size bounds; returns value unchanged."""
    if isinstance(value, int) and not isinstance(value, bool):
        if abs(value) > MAX_INT:
            raise ExpressionError("integer result too large (limit is 10**30)")
    elif isinstance(value, _SIZED) and _weight(value) > MAX_SIZE:
        raise ExpressionError(f"result too large (limit is {MAX_SIZE} elements/characters)")
    return value


def _require(value: Any, types: type | tuple[type, ...], func: str, what: str) -> Any:
    if not isinstance(value, types):
        raise ExpressionError(f"{func}() expects {what}, got {type(value).__name__}")
    return value


def _fn_str(value: Any = "") -> str:
    # Bound the walk first: str() of a structure full of shared references can explode.
    if _weight(value) > MAX_SIZE:
        raise ExpressionError(f"str() argument too large (limit is {MAX_SIZE} elements)")
    return str(value)


def _fn_round(value: Any, ndigits: Any = None) -> Any:
    _require(value, (int, float), "round", "a number")
    if ndigits is None:
        return round(value)
    # int.__round__ with a huge negative ndigits would compute 10**ndigits.
    if abs(_require(ndigits, int, "round", "an integer digit count")) > _MAX_ROUND_DIGITS:
        raise ExpressionError(f"round() digits must be within +/-{_MAX_ROUND_DIGITS}")
    return round(value, ndigits)


def _fn_sum(values: Any, start: Any = 0) -> Any:
    # A non-numeric start would let sum() concatenate lists quadratically.
    return sum(values, _require(start, (int, float), "sum", "a numeric start value"))


def _fn_contains(container: Any, item: Any) -> bool:
    if isinstance(container, str):
        return _require(item, str, "contains", "a string to look for in a string") in container
    return item in _require(container, _SIZED, "contains", "a string, list, tuple, set or dict")


def _fn_isempty(value: Any) -> bool:
    return value is None or (isinstance(value, _SIZED) and len(value) == 0)


def _str_fn(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a str method as a plain function that type-checks its string arguments."""
    def call(*args: Any) -> Any:
        return method(*(_require(a, str, name, "strings") for a in args))
    return call


# name -> implementation; names and arities are whitelisted in FUNCTION_ARITY.
FUNCTIONS: dict[str, Callable[..., Any]] = {
    "len": lambda v: len(_require(v, _SIZED, "len", "a string, list, tuple, set or dict")),
    "str": _fn_str, "int": int, "float": float, "bool": bool,
    "abs": abs, "min": min, "max": max, "round": _fn_round,
    "sum": _fn_sum, "sorted": sorted, "any": any, "all": all,
    "lower": _str_fn("lower", str.lower), "upper": _str_fn("upper", str.upper),
    "startswith": _str_fn("startswith", str.startswith), "endswith": _str_fn("endswith", str.endswith),
    "contains": _fn_contains, "isempty": _fn_isempty,
}

_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.BitAnd: operator.and_, ast.BitOr: operator.or_,
}
_CMPOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge, ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b, ast.Is: operator.is_, ast.IsNot: operator.is_not,
}
_UNARYOPS: dict[type, Callable[[Any], Any]] = {ast.Not: operator.not_, ast.USub: operator.neg, ast.UAdd: operator.pos}

# The checker admits exactly what these tables implement; fail at import if they drift apart.
if FUNCTIONS.keys() != FUNCTION_ARITY.keys() or _BINOPS.keys() != BINOP_TYPES or _UNARYOPS.keys() != UNARYOP_TYPES:
    raise RuntimeError("expression evaluator and whitelist in app.engine.expression_checks disagree")


# `%` followed by flags/width/precision, or `%%`, or a mapping key `%(`.
_FORMAT_SPEC = re.compile(r"%(?:%|(\()|[-+ #0]*(\*|\d*)(?:\.(\*|\d*))?)")


def _check_format(fmt: str, args: Any) -> None:
    """Refuse printf-style formats whose widths could allocate huge strings."""
    if _weight(args) > MAX_SIZE:
        raise ExpressionError("format arguments too large")
    # Whatever this scan misreads it reads as a spec, so it errs on the strict side.
    padding = 0
    for match in _FORMAT_SPEC.finditer(fmt):
        if match.group(1):
            raise ExpressionError("'%(name)' mapping keys in % formatting are not allowed")
        for part in match.group(2, 3):
            if part == "*" or (part and int(part) > _MAX_FORMAT_WIDTH):
                raise ExpressionError(f"format width/precision above {_MAX_FORMAT_WIDTH} or '*' is not allowed")
            padding += int(part) if part else 0
    # Many moderate widths can still add up to a huge string.
    if padding + len(fmt) > MAX_SIZE:
        raise ExpressionError(f"result too large (limit is {MAX_SIZE} elements/characters)")


def _binop(op: ast.operator, left: Any, right: Any) -> Any:
    """Apply an arithmetic operator after checking that the result stays bounded."""
    kind = type(op)
    if kind is ast.Mult:
        for seq, count in ((left, right), (right, left)):
            if isinstance(seq, _SEQUENCES) and isinstance(count, int) and count > 0 \
                    and _weight(seq) * count > MAX_SIZE:
                raise ExpressionError(f"result too large (limit is {MAX_SIZE} elements/characters)")
        if isinstance(left, int) and isinstance(right, int) \
                and left.bit_length() + right.bit_length() > _MAX_PRODUCT_BITS:
            raise ExpressionError("integer result too large (limit is 10**30)")
    elif kind is ast.Add and isinstance(left, _SIZED) and isinstance(right, _SIZED):
        if _weight(left) + _weight(right) > MAX_SIZE:
            raise ExpressionError(f"result too large (limit is {MAX_SIZE} elements/characters)")
    elif kind is ast.Mod and isinstance(left, str):
        _check_format(left, right)
    elif kind in (ast.BitAnd, ast.BitOr) and not (isinstance(left, bool) and isinstance(right, bool)):
        raise ExpressionError("'&' and '|' are only allowed between booleans; use 'and' / 'or'")
    return _check_size(_BINOPS[kind](left, right))


def _short_repr(value: Any) -> str:
    text = repr(value) if _weight(value, 200) <= 200 else f"<{type(value).__name__}>"
    return text if len(text) <= 80 else text[:77] + "..."


def _subscript(container: Any, key: Any) -> Any:
    if isinstance(container, dict):
        try:
            return container[key]
        except KeyError:
            raise ExpressionError(f"key {_short_repr(key)} not found") from None
        except TypeError:
            raise ExpressionError(f"invalid dict key of type {type(key).__name__}") from None
    if not isinstance(container, _SEQUENCES):
        raise ExpressionError(f"cannot subscript a value of type {type(container).__name__}")
    if isinstance(key, slice):
        if any(p is not None and not isinstance(p, int) for p in (key.start, key.stop, key.step)):
            raise ExpressionError("slice bounds must be integers")
    elif not isinstance(key, int):
        raise ExpressionError(f"index must be an integer, got {type(key).__name__}")
    try:
        return container[key]
    except IndexError:
        raise ExpressionError(f"index {key} out of range") from None


def _eval(node: ast.AST, names: Mapping[str, Any]) -> Any:
    """Interpret a checked expression tree; names is only ever read."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        if node.id not in names:
            raise ExpressionError(f"unknown variable '{node.id}'")
        return names[node.id]
    if isinstance(node, ast.BoolOp):
        return _eval_boolop(node, names)
    if isinstance(node, ast.Compare):
        return _eval_compare(node, names)
    if isinstance(node, ast.BinOp):
        return _binop(node.op, _eval(node.left, names), _eval(node.right, names))
    if isinstance(node, ast.UnaryOp):
        return _check_size(_UNARYOPS[type(node.op)](_eval(node.operand, names)))
    if isinstance(node, ast.IfExp):
        return _eval(node.body if _eval(node.test, names) else node.orelse, names)
    if isinstance(node, ast.Subscript):
        return _subscript(_eval(node.value, names), _eval(node.slice, names))
    if isinstance(node, ast.Slice):
        return slice(*(None if p is None else _eval(p, names) for p in (node.lower, node.upper, node.step)))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):  # the checker admits only plain names
        return _check_size(FUNCTIONS[node.func.id](*[_eval(a, names) for a in node.args]))
    if isinstance(node, ast.Dict) and None not in node.keys:  # the checker rejects **unpacking (key None)
        return _check_size({_eval(k, names): _eval(v, names) for k, v in zip(node.keys, node.values, strict=True)
                            if k is not None})
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        build = {ast.List: list, ast.Tuple: tuple, ast.Set: set}[type(node)]
        return _check_size(build([_eval(e, names) for e in node.elts]))
    if isinstance(node, ast.Expression):
        return _eval(node.body, names)
    raise ExpressionError(f"syntax element '{type(node).__name__}' is not allowed")  # unreachable after check


def _eval_boolop(node: ast.BoolOp, names: Mapping[str, Any]) -> Any:
    # Python semantics: short-circuit and return the deciding operand.
    want, value = isinstance(node.op, ast.Or), None
    for operand in node.values:
        value = _eval(operand, names)
        if bool(value) == want:
            break
    return value


def _eval_compare(node: ast.Compare, names: Mapping[str, Any]) -> bool:
    left = _eval(node.left, names)
    for op, right_node in zip(node.ops, node.comparators, strict=True):
        right = _eval(right_node, names)
        if not _CMPOPS[type(op)](left, right):
            return False
        left = right
    return True


def _run(node: ast.AST, names: Mapping[str, Any]) -> Any:
    """Evaluate node, converting every runtime failure into ExpressionError."""
    try:
        return _eval(node, names)
    except ExpressionError:
        raise
    except ZeroDivisionError:
        raise ExpressionError("division by zero") from None
    except RecursionError:
        raise ExpressionError("expression is nested too deeply") from None
    except MemoryError:
        raise ExpressionError("expression needs too much memory") from None
    except (TypeError, ValueError, ArithmeticError, LookupError) as exc:
        raise ExpressionError(f"{type(exc).__name__}: {exc}") from None


def evaluate(source: str, context: Mapping[str, Any]) -> Any:
    """Check source and evaluate it against context; raises ExpressionError."""
    tree = compile_expression(source)
    try:
        return _run(tree, context)
    except ExpressionError as exc:
        exc.expression = source
        raise


def execute_script(source: str, context: MutableMapping[str, Any]) -> dict:
    """Run the assignments in order, then update context in place; returns the assigned names."""
    statements = compile_script(source)
    assigned: dict[str, Any] = {}
    # Later lines see earlier assignments, but context is only touched once every
    # line succeeded, so a failing script leaves the task data unchanged.
    scope = ChainMap(assigned, context)
    for name, value_node, line_number, text in statements:
        try:
            value = _run(value_node, scope)
        except ExpressionError as exc:
            exc.expression, exc.line_number = text, line_number
            raise
        # Copy containers so a new variable never aliases another one in task data.
        assigned[name] = copy.deepcopy(value) if isinstance(value, _SIZED) else value
    context.update(assigned)
    return dict(assigned)
