"""Sandboxed evaluation of BPMN expressions and scripts.

Uploaded BPMN models are untrusted input, so nothing in them is ever handed to
eval/exec/compile. Source text is parsed with ``ast.parse``, the tree is checked
against a small whitelist and then interpreted node by node in this module.
There is no attribute access at all, which rules out the whole family of
dunder-traversal escapes (``().__class__.__base__...``, ``str.format`` leaks).
"""
from __future__ import annotations

import ast
import copy
import functools
import io
import operator
import re
import textwrap
import tokenize
import warnings
from collections import ChainMap
from collections.abc import Mapping, MutableMapping
from typing import Any, Callable

MAX_EXPRESSION_LENGTH = 2000
MAX_SCRIPT_LENGTH = 20_000
MAX_SCRIPT_STATEMENTS = 200
MAX_NODES = 500
MAX_DEPTH = 100
MAX_BRACKET_DEPTH = 50
MAX_SIZE = 100_000
MAX_INT = 10**30
# Refuse int products whose operands are this long before multiplying: the
# result is far beyond MAX_INT anyway and the multiplication itself is the cost.
_MAX_PRODUCT_BITS = 2 * MAX_INT.bit_length()
_MAX_FORMAT_WIDTH = 1000
_MAX_ROUND_DIGITS = 100
_SIZED = (str, list, tuple, dict, set, frozenset)
_SEQUENCES = (str, list, tuple)


class ExpressionError(Exception):
    """Raised for expressions outside the sandbox or failing at evaluation."""

    def __init__(self, message: str, expression: str | None = None, line_number: int | None = None):
        super().__init__(message)
        self.message = message
        self.expression = expression
        self.line_number = line_number  # set for script errors only

    def __str__(self) -> str:
        return f"line {self.line_number}: {self.message}" if self.line_number else self.message


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


# name -> (implementation, min args, max args or None for unbounded)
FUNCTIONS: dict[str, tuple[Callable[..., Any], int, int | None]] = {
    "len": (lambda v: len(_require(v, _SIZED, "len", "a string, list, tuple, set or dict")), 1, 1),
    "str": (_fn_str, 0, 1), "int": (int, 1, 2), "float": (float, 1, 1), "bool": (bool, 1, 1),
    "abs": (abs, 1, 1), "min": (min, 1, None), "max": (max, 1, None), "round": (_fn_round, 1, 2),
    "sum": (_fn_sum, 1, 2), "sorted": (sorted, 1, 1), "any": (any, 1, 1), "all": (all, 1, 1),
    "lower": (_str_fn("lower", str.lower), 1, 1), "upper": (_str_fn("upper", str.upper), 1, 1),
    "startswith": (_str_fn("startswith", str.startswith), 2, 2),
    "endswith": (_str_fn("endswith", str.endswith), 2, 2),
    "contains": (_fn_contains, 2, 2), "isempty": (_fn_isempty, 1, 1),
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
_UNARYOPS = {ast.Not: operator.not_, ast.USub: operator.neg, ast.UAdd: operator.pos}
_STRUCTURAL = (ast.BoolOp, ast.IfExp, ast.Subscript, ast.Slice, ast.List, ast.Tuple, ast.Set,
               ast.Expression, ast.expr_context, ast.boolop, ast.operator, ast.unaryop, ast.cmpop)
_REJECTED = {
    ast.Lambda: "lambda functions are not allowed", ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed", ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "generator expressions are not allowed", ast.JoinedStr: "f-strings are not allowed",
    ast.FormattedValue: "f-strings are not allowed", ast.NamedExpr: "assignment expressions (:=) are not allowed",
    ast.Await: "await is not allowed", ast.Yield: "yield is not allowed", ast.YieldFrom: "yield is not allowed",
    ast.Starred: "starred expressions (*x) are not allowed",
}
_OP_NAMES = {ast.Pow: "the power operator '**'", ast.LShift: "the bit shift '<<'", ast.RShift: "the bit shift '>>'",
             ast.BitXor: "the operator '^'", ast.MatMult: "the operator '@'", ast.Invert: "the operator '~'"}


def _check_bounds(tree: ast.AST) -> None:
    # Iterative walk so hostile nesting cannot exhaust the Python stack here;
    # the recursive passes that follow are safe once the depth is known.
    count, stack = 0, [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise ExpressionError(f"expression is too complex (more than {MAX_NODES} syntax nodes)")
        if depth > MAX_DEPTH:
            raise ExpressionError(f"expression is nested too deeply (more than {MAX_DEPTH} levels)")
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


def _check_brackets(source: str) -> None:
    # Redundant parentheses leave no trace in the AST, so count them on tokens.
    depth = 0
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.OP and tok.string in "([{":
            depth += 1
            if depth > MAX_BRACKET_DEPTH:
                raise ExpressionError(f"too many nested brackets (limit is {MAX_BRACKET_DEPTH})")
        elif tok.type == tokenize.OP and tok.string in ")]}":
            depth -= 1


def _check_node(node: ast.AST) -> None:
    """Recursively verify that every node of an expression tree is whitelisted."""
    if type(node) in _REJECTED:
        raise ExpressionError(_REJECTED[type(node)])
    if isinstance(node, ast.Attribute):
        raise ExpressionError(f"attribute access is not allowed ('.{node.attr}')")
    if isinstance(node, ast.Constant):
        if type(node.value) not in (str, int, float, bool, type(None)):
            raise ExpressionError(f"literal of type {type(node.value).__name__} is not allowed")
        if type(node.value) is int and abs(node.value) > MAX_INT:
            raise ExpressionError("integer literal too large (limit is 10**30)")
    elif isinstance(node, ast.Name):
        if node.id.startswith("_"):
            raise ExpressionError(f"names starting with '_' are not allowed ('{node.id}')")
    elif isinstance(node, (ast.BinOp, ast.UnaryOp)):
        if type(node.op) not in _BINOPS and type(node.op) not in _UNARYOPS:
            raise ExpressionError(f"{_OP_NAMES.get(type(node.op), type(node.op).__name__)} is not allowed")
    elif isinstance(node, ast.Compare):
        for op, right in zip(node.ops, node.comparators):
            if isinstance(op, (ast.Is, ast.IsNot)) and not (isinstance(right, ast.Constant) and right.value is None):
                raise ExpressionError("'is' / 'is not' may only be used to compare with None")
    elif isinstance(node, ast.Dict):
        if any(key is None for key in node.keys):
            raise ExpressionError("dict unpacking (**x) is not allowed")
    elif isinstance(node, ast.Call):
        _check_call(node)
    elif not isinstance(node, _STRUCTURAL):
        raise ExpressionError(f"syntax element '{type(node).__name__}' is not allowed")
    for child in ast.iter_child_nodes(node):
        _check_node(child)


def _check_call(node: ast.Call) -> None:
    if not isinstance(node.func, ast.Name):
        _check_node(node.func)  # report the precise cause, e.g. attribute access or lambda
        raise ExpressionError("only whitelisted functions can be called, by their plain name")
    if node.func.id not in FUNCTIONS:
        raise ExpressionError(f"function '{node.func.id}' is not allowed")
    name, (_, low, high) = node.func.id, FUNCTIONS[node.func.id]
    if node.keywords:
        raise ExpressionError(f"keyword arguments are not allowed ('{name}')")
    if len(node.args) < low or (high is not None and len(node.args) > high):
        expected = str(low) if low == high else f"{low} to {high}" if high else f"at least {low}"
        raise ExpressionError(f"{name}() takes {expected} argument(s), {len(node.args)} given")


def _parse(source: str, mode: str, max_length: int) -> ast.AST:
    if len(source) > max_length:
        raise ExpressionError(f"expression too long ({len(source)} characters, limit is {max_length})", source)
    # BPMN XML often indents scripts as a block; dedent keeps line numbers intact.
    text = source.strip() if mode == "eval" else textwrap.dedent(source)
    try:
        with warnings.catch_warnings():
            # Invalid escapes like "\d" only warn; they must not break parsing
            # when warnings are configured as errors.
            warnings.simplefilter("ignore")
            tree = ast.parse(text, mode=mode)
        _check_brackets(text)
        return tree
    except ExpressionError as exc:
        exc.expression = source
        raise
    except SyntaxError as exc:
        raise ExpressionError(f"syntax error: {exc.msg}", source) from exc
    except (ValueError, RecursionError, MemoryError, tokenize.TokenError) as exc:
        raise ExpressionError(f"expression cannot be parsed ({type(exc).__name__})", source) from None


def check_expression(source: str) -> None:
    """Raise ExpressionError unless source is an expression the sandbox accepts."""
    _compile_expression(source)


def _compile_expression(source: Any) -> ast.Expression:
    return _compile_expression_cached(_require_str(source))


def _require_str(source: Any) -> str:
    # Checked before the caches, which would fail on unhashable input.
    if not isinstance(source, str):
        raise ExpressionError(f"expression must be a string, got {type(source).__name__}")
    return source


# Small cache: each entry holds up to MAX_NODES AST nodes, and distinct sources
# could be fed in by whoever can submit expressions.
@functools.lru_cache(maxsize=256)
def _compile_expression_cached(source: str) -> ast.Expression:
    # Cached because gateway conditions are re-evaluated on every engine step.
    try:
        tree = _parse(source, "eval", MAX_EXPRESSION_LENGTH)
        _check_bounds(tree)
        _check_node(tree)
    except ExpressionError as exc:
        exc.expression = source
        raise
    return tree


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
        # Python semantics: short-circuit and return the deciding operand.
        want, value = isinstance(node.op, ast.Or), None
        for operand in node.values:
            value = _eval(operand, names)
            if bool(value) == want:
                break
        return value
    if isinstance(node, ast.Compare):
        left = _eval(node.left, names)
        for op, right_node in zip(node.ops, node.comparators):
            right = _eval(right_node, names)
            if not _CMPOPS[type(op)](left, right):
                return False
            left = right
        return True
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
    if isinstance(node, ast.Call):
        return _check_size(FUNCTIONS[node.func.id][0](*[_eval(a, names) for a in node.args]))
    if isinstance(node, ast.Dict):
        return _check_size({_eval(k, names): _eval(v, names) for k, v in zip(node.keys, node.values)})
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        build = {ast.List: list, ast.Tuple: tuple, ast.Set: set}[type(node)]
        return _check_size(build([_eval(e, names) for e in node.elts]))
    if isinstance(node, ast.Expression):
        return _eval(node.body, names)
    raise ExpressionError(f"syntax element '{type(node).__name__}' is not allowed")  # unreachable after check


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
    tree = _compile_expression(source)
    try:
        return _run(tree, context)
    except ExpressionError as exc:
        exc.expression = source
        raise


_STATEMENT_NAMES = {ast.Import: "import statement", ast.ImportFrom: "import statement",
                    ast.FunctionDef: "function definition", ast.AsyncFunctionDef: "function definition",
                    ast.ClassDef: "class definition", ast.AugAssign: "augmented assignment (+= etc.)",
                    ast.AnnAssign: "annotated assignment", ast.Expr: "bare expression"}


def check_script(source: str) -> None:
    """Raise ExpressionError unless source consists only of `name = expression` lines."""
    _compile_script(source)


def _compile_script(source: Any) -> tuple[tuple[str, ast.expr, int, str], ...]:
    # Not cached: a script runs once per token and its tree can be large.
    source = _require_str(source)
    module = _parse(source, "exec", MAX_SCRIPT_LENGTH)
    if len(module.body) > MAX_SCRIPT_STATEMENTS:
        raise ExpressionError(f"script has too many statements (limit is {MAX_SCRIPT_STATEMENTS})", source)
    lines, compiled = source.splitlines(), []
    for stmt in module.body:
        text = lines[stmt.lineno - 1].strip() if stmt.lineno <= len(lines) else ""
        try:
            compiled.append((_check_statement(stmt), stmt.value, stmt.lineno, text))
        except ExpressionError as exc:
            exc.expression, exc.line_number = text, stmt.lineno
            raise
    return tuple(compiled)


def _check_statement(stmt: ast.stmt) -> str:
    if not isinstance(stmt, ast.Assign):
        found = _STATEMENT_NAMES.get(type(stmt), type(stmt).__name__)
        raise ExpressionError(f"only assignments 'name = expression' are allowed (found {found})")
    if len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ast.Name):
        raise ExpressionError("only assignments to a single plain variable name are allowed")
    name = stmt.targets[0].id
    if name.startswith("_"):
        raise ExpressionError(f"names starting with '_' are not allowed ('{name}')")
    _check_bounds(stmt.value)
    _check_node(stmt.value)
    return name


def execute_script(source: str, context: MutableMapping[str, Any]) -> dict:
    """Run the assignments in order, then update context in place; returns the assigned names."""
    statements = _compile_script(source)
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
