"""Static side of the expression sandbox: limits, the whitelist, and checking source.

Uploaded BPMN models are untrusted input, so nothing in them is ever handed to
eval/exec/compile. This module turns source text into a checked tree: it is
parsed with ``ast.parse``, bounded in length, brackets, node count and depth,
and every node is checked against a small whitelist (no attribute access at all,
which rules out the dunder-traversal escapes such as ``().__class__.__base__``
or ``str.format`` leaks; no names starting with ``_``; only whitelisted
functions called by plain name; scripts only as ``name = expression`` lines).
It evaluates nothing; the checked trees are interpreted node by node by
:mod:`app.engine.expressions`, which holds the function implementations and
runtime bounds and verifies at import that they match the whitelist here.
"""
from __future__ import annotations

import ast
import functools
import io
import textwrap
import tokenize
import warnings
from typing import Any, Literal, overload

MAX_EXPRESSION_LENGTH = 2000
MAX_SCRIPT_LENGTH = 20_000
MAX_SCRIPT_STATEMENTS = 200
MAX_NODES = 500
MAX_DEPTH = 100
MAX_BRACKET_DEPTH = 50
MAX_SIZE = 100_000
MAX_INT = 10**30
# Bounds on format widths, round() digits and int products are applied at run time,
# next to the code that needs them in app.engine.expressions.


class ExpressionError(Exception):
    """Raised for expressions outside the sandbox or failing at evaluation."""

    def __init__(self, message: str, expression: str | None = None, line_number: int | None = None):
        super().__init__(message)
        self.message = message
        self.expression = expression
        self.line_number = line_number  # set for script errors only

    def __str__(self) -> str:
        return f"line {self.line_number}: {self.message}" if self.line_number else self.message


# The whitelist: callable names -> (min args, max args or None for unbounded),
# and the operator node types allowed in BinOp/UnaryOp (every comparison is allowed).
FUNCTION_ARITY: dict[str, tuple[int, int | None]] = {
    "len": (1, 1), "str": (0, 1), "int": (1, 2), "float": (1, 1), "bool": (1, 1),
    "abs": (1, 1), "min": (1, None), "max": (1, None), "round": (1, 2),
    "sum": (1, 2), "sorted": (1, 1), "any": (1, 1), "all": (1, 1),
    "lower": (1, 1), "upper": (1, 1), "startswith": (2, 2), "endswith": (2, 2),
    "contains": (2, 2), "isempty": (1, 1),
}
BINOP_TYPES = frozenset({ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.BitAnd, ast.BitOr})
UNARYOP_TYPES = frozenset({ast.Not, ast.USub, ast.UAdd})

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
_STATEMENT_NAMES = {ast.Import: "import statement", ast.ImportFrom: "import statement",
                    ast.FunctionDef: "function definition", ast.AsyncFunctionDef: "function definition",
                    ast.ClassDef: "class definition", ast.AugAssign: "augmented assignment (+= etc.)",
                    ast.AnnAssign: "annotated assignment", ast.Expr: "bare expression"}


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
        _check_constant(node)
    elif isinstance(node, ast.Name):
        if node.id.startswith("_"):
            raise ExpressionError(f"names starting with '_' are not allowed ('{node.id}')")
    elif isinstance(node, (ast.BinOp, ast.UnaryOp)):
        if type(node.op) not in BINOP_TYPES and type(node.op) not in UNARYOP_TYPES:
            raise ExpressionError(f"{_OP_NAMES.get(type(node.op), type(node.op).__name__)} is not allowed")
    elif isinstance(node, ast.Compare):
        _check_compare(node)
    elif isinstance(node, ast.Dict):
        if any(key is None for key in node.keys):
            raise ExpressionError("dict unpacking (**x) is not allowed")
    elif isinstance(node, ast.Call):
        _check_call(node)
    elif not isinstance(node, _STRUCTURAL):
        raise ExpressionError(f"syntax element '{type(node).__name__}' is not allowed")
    for child in ast.iter_child_nodes(node):
        _check_node(child)


def _check_constant(node: ast.Constant) -> None:
    if type(node.value) not in (str, int, float, bool, type(None)):
        raise ExpressionError(f"literal of type {type(node.value).__name__} is not allowed")
    if type(node.value) is int and abs(node.value) > MAX_INT:
        raise ExpressionError("integer literal too large (limit is 10**30)")


def _check_compare(node: ast.Compare) -> None:
    for op, right in zip(node.ops, node.comparators, strict=True):
        if isinstance(op, (ast.Is, ast.IsNot)) and not (isinstance(right, ast.Constant) and right.value is None):
            raise ExpressionError("'is' / 'is not' may only be used to compare with None")


def _check_call(node: ast.Call) -> None:
    if not isinstance(node.func, ast.Name):
        _check_node(node.func)  # report the precise cause, e.g. attribute access or lambda
        raise ExpressionError("only whitelisted functions can be called, by their plain name")
    if node.func.id not in FUNCTION_ARITY:
        raise ExpressionError(f"function '{node.func.id}' is not allowed")
    name, (low, high) = node.func.id, FUNCTION_ARITY[node.func.id]
    if node.keywords:
        raise ExpressionError(f"keyword arguments are not allowed ('{name}')")
    if len(node.args) < low or (high is not None and len(node.args) > high):
        expected = str(low) if low == high else f"{low} to {high}" if high else f"at least {low}"
        raise ExpressionError(f"{name}() takes {expected} argument(s), {len(node.args)} given")


@overload
def _parse(source: str, mode: Literal["eval"], max_length: int) -> ast.Expression: ...
@overload
def _parse(source: str, mode: Literal["exec"], max_length: int) -> ast.Module: ...
def _parse(source: str, mode: Literal["eval", "exec"], max_length: int) -> ast.Expression | ast.Module:
    if len(source) > max_length:
        raise ExpressionError(f"expression too long ({len(source)} characters, limit is {max_length})", source)
    # BPMN XML often indents scripts as a block; dedent keeps line numbers intact.
    text = source.strip() if mode == "eval" else textwrap.dedent(source)
    try:
        with warnings.catch_warnings():
            # Invalid escapes like "\d" only warn; they must not break parsing
            # when warnings are configured as errors.
            warnings.simplefilter("ignore")
            tree = ast.parse(text, mode="eval") if mode == "eval" else ast.parse(text, mode="exec")
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
    compile_expression(source)


def compile_expression(source: Any) -> ast.Expression:
    """Return the checked tree of an expression; raises ExpressionError."""
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


def check_script(source: str) -> None:
    """Raise ExpressionError unless source consists only of `name = expression` lines."""
    compile_script(source)


def compile_script(source: Any) -> tuple[tuple[str, ast.expr, int, str], ...]:
    """Return (name, checked value tree, line number, line text) per script line."""
    # Not cached: a script runs once per token and its tree can be large.
    source = _require_str(source)
    module = _parse(source, "exec", MAX_SCRIPT_LENGTH)
    if len(module.body) > MAX_SCRIPT_STATEMENTS:
        raise ExpressionError(f"script has too many statements (limit is {MAX_SCRIPT_STATEMENTS})", source)
    lines, compiled = source.splitlines(), []
    for stmt in module.body:
        text = lines[stmt.lineno - 1].strip() if stmt.lineno <= len(lines) else ""
        try:
            compiled.append((*_check_statement(stmt), stmt.lineno, text))
        except ExpressionError as exc:
            exc.expression, exc.line_number = text, stmt.lineno
            raise
    return tuple(compiled)


def _check_statement(stmt: ast.stmt) -> tuple[str, ast.expr]:
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
    return name, stmt.value
