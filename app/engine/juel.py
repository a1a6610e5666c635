"""Translation of Camunda-style JUEL conditions (``${...}`` / ``#{...}``) to sandbox Python.

Camunda Modeler users write gateway conditions in JUEL. Instead of evaluating
JUEL ourselves we tokenize it, parse it with a small recursive-descent parser
(JUEL precedence) and emit a fully parenthesised Python expression that the
whitelist evaluator in :mod:`app.engine.expressions` accepts. Semantics follow
Python where the two languages differ (e.g. ``+`` concatenates strings, ``==``
does not coerce ``"1"`` to ``1``); unknown variables are errors, as in Camunda.
"""
from __future__ import annotations

import keyword
import re
from collections.abc import Callable
from dataclasses import dataclass

from app.engine.expressions import MAX_EXPRESSION_LENGTH, ExpressionError, check_expression

MAX_NESTING = 40

# Word operators and their symbolic equivalents map to one canonical token.
_WORD_OPS = {
    "and": "&&", "or": "||", "not": "!", "eq": "==", "ne": "!=", "lt": "<", "gt": ">",
    "le": "<=", "ge": ">=", "div": "/", "mod": "%", "empty": "empty",
}
_LITERAL_WORDS = {"true": "True", "false": "False", "null": "None"}
_UNSUPPORTED_WORDS = {"instanceof": "the 'instanceof' operator is not supported"}
# Longest symbols first so that '<=' wins over '<'.
_SYMBOLS = ("&&", "||", "==", "!=", "<=", ">=", "+=", "->", "<", ">", "!", "+", "-", "*", "/", "%",
            "?", ":", "(", ")", "[", "]", ".", ",", "=", ";", "{", "}", "$", "#")
_UNSUPPORTED_SYMBOLS = {
    "+=": "the string concatenation operator '+=' is not supported; use '+'",
    "->": "lambda expressions are not supported",
    "=": "assignments are not supported (use '==' to compare)",
    ";": "several expressions separated by ';' are not supported",
    "{": "set and map literals are not supported",
    "}": "composite expressions with several ${...} parts are not supported",
    "$": "composite expressions with several ${...} parts are not supported",
    "#": "composite expressions with several #{...} parts are not supported",
}
# ASCII only: Unicode digits such as '²' are not JUEL numbers.
_NUMBER = re.compile(r"([0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)([eE][+-]?[0-9]+)?")
_DIGITS = "0123456789"


@dataclass(frozen=True)
class _Token:
    kind: str  # "num", "str", "ident", "op", "end"
    text: str  # canonical operator, identifier, or emitted Python literal
    pos: int
    word: str = ""  # original spelling of word tokens, used for property names like a.empty


def is_juel(source: str) -> bool:
    """Return True if the whole trimmed text is a single ${...} or #{...} expression."""
    if not isinstance(source, str):
        return False
    text = source.strip()
    return len(text) >= 3 and text[:2] in ("${", "#{") and text.endswith("}")


def normalize_condition(source: str) -> str:
    """Translate JUEL to Python; other text is taken as Python dialect and only stripped."""
    if not isinstance(source, str):
        raise ExpressionError(f"expression must be a string, got {type(source).__name__}")
    return juel_to_python(source) if is_juel(source) else source.strip()


def juel_to_python(source: str) -> str:
    """Return a Python expression equivalent to the JUEL source; raises ExpressionError."""
    if not is_juel(source):
        raise ExpressionError("not a JUEL expression (expected ${...} or #{...})", source)
    if len(source) > MAX_EXPRESSION_LENGTH:
        raise ExpressionError(f"expression too long (limit is {MAX_EXPRESSION_LENGTH} characters)", source)
    body = source.strip()[2:-1]
    try:
        python = _Parser(_tokenize(body, offset=2)).parse()
        # Guarantees for callers: whatever we emit is inside the sandbox.
        check_expression(python)
    except ExpressionError as exc:
        exc.expression = source
        raise
    return python


def _tokenize(text: str, offset: int = 0) -> list[_Token]:
    # offset makes reported positions count from the start of the full "${...}" text.
    tokens: list[_Token] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in "'\"":
            start = i
            value, i = _read_string(text, i, offset)
            tokens.append(_Token("str", repr(value), start + offset))
        elif ch in _DIGITS or (ch == "." and text[i + 1:i + 2] in tuple(_DIGITS)):
            match = _NUMBER.match(text, i)
            assert match is not None  # a digit, or "." before a digit, starts a number
            literal = match.group(0)
            is_float = "." in literal or "e" in literal.lower()
            tokens.append(_Token("num", repr(float(literal)) if is_float else str(int(literal)), i + offset))
            i = match.end()
        elif ch.isalpha() or ch == "_":
            start = i
            while i < len(text) and (text[i].isalnum() or text[i] == "_"):
                i += 1
            tokens.append(_word_token(text[start:i], start + offset))
        else:
            symbol = next((s for s in _SYMBOLS if text.startswith(s, i)), None)
            if symbol is None:
                raise ExpressionError(f"unexpected character {ch!r} at position {i + offset + 1}")
            if symbol in _UNSUPPORTED_SYMBOLS:
                raise ExpressionError(_UNSUPPORTED_SYMBOLS[symbol])
            tokens.append(_Token("op", symbol, i + offset))
            i += len(symbol)
    tokens.append(_Token("end", "", len(text) + offset))
    return tokens


def _word_token(word: str, pos: int) -> _Token:
    # JUEL keywords are case-sensitive, so 'AND' or 'Null' stay identifiers.
    if word in _WORD_OPS:
        return _Token("op", _WORD_OPS[word], pos, word)
    if word in _LITERAL_WORDS:
        return _Token("num", _LITERAL_WORDS[word], pos, word)
    if word in _UNSUPPORTED_WORDS:
        raise ExpressionError(_UNSUPPORTED_WORDS[word])
    return _Token("ident", word, pos, word)


def _read_string(text: str, start: int, offset: int) -> tuple[str, int]:
    """Read a quoted JUEL string literal starting at text[start]; returns (value, end)."""
    quote, i, chars = text[start], start + 1, []
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and text[i + 1] in "\\'\"":
            chars.append(text[i + 1])
            i += 2
        elif ch == quote:
            return "".join(chars), i + 1
        else:
            chars.append(ch)
            i += 1
    raise ExpressionError(f"unterminated string literal starting at position {start + offset + 1}")


class _Parser:
    """Recursive-descent parser over JUEL tokens that emits Python source.

    Every compound result is wrapped in parentheses, so JUEL precedence is kept
    even where Python's differs (e.g. '!' binds tighter than '==' in JUEL).
    """

    def __init__(self, tokens: list[_Token]):
        self.tokens = tokens
        self.index = 0
        self.depth = 0

    def parse(self) -> str:
        """Parse the whole token list as one expression."""
        if self._peek().kind == "end":
            raise ExpressionError("empty expression")
        result = self._ternary()
        if self._peek().kind != "end":
            raise ExpressionError(f"unexpected '{self._describe(self._peek())}' at position {self._peek().pos + 1}")
        return result

    def _peek(self) -> _Token:
        return self.tokens[self.index]

    def _accept(self, *ops: str) -> str | None:
        token = self._peek()
        if token.kind == "op" and token.text in ops:
            self.index += 1
            return token.text
        return None

    def _expect(self, op: str) -> None:
        if self._accept(op) is None:
            token = self._peek()
            raise ExpressionError(f"expected '{op}' but found '{self._describe(token)}' at position {token.pos + 1}")

    @staticmethod
    def _describe(token: _Token) -> str:
        return "end of expression" if token.kind == "end" else token.text

    def _nested(self) -> None:
        # Bounds recursion so hostile nesting gives a clear error, not RecursionError.
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise ExpressionError(f"expression is nested too deeply (limit is {MAX_NESTING} levels)")

    def _ternary(self) -> str:
        self._nested()
        condition = self._logical("||", "or", self._and)
        if self._accept("?"):
            when_true = self._ternary()
            self._expect(":")
            when_false = self._ternary()
            condition = f"({when_true} if {condition} else {when_false})"
        self.depth -= 1
        return condition

    def _and(self) -> str:
        return self._logical("&&", "and", self._equality)

    def _logical(self, op: str, python_op: str, operand: Callable[[], str]) -> str:
        # Chains are emitted flat ("a or b or c") to keep the Python tree shallow.
        parts = [operand()]
        while self._accept(op):
            parts.append(operand())
        return parts[0] if len(parts) == 1 else "(" + f" {python_op} ".join(parts) + ")"

    def _equality(self) -> str:
        left = self._relational()
        while (op := self._accept("==", "!=")) is not None:
            right = self._relational()
            if "None" in (left, right):
                # Comparisons with null become identity checks, the idiomatic Python.
                other = right if left == "None" else left
                left = f"({other} is None)" if op == "==" else f"({other} is not None)"
            else:
                left = f"({left} {op} {right})"
        return left

    def _relational(self) -> str:
        left = self._additive()
        while (op := self._accept("<", ">", "<=", ">=")) is not None:
            left = f"({left} {op} {self._additive()})"
        return left

    def _additive(self) -> str:
        left = self._multiplicative()
        while (op := self._accept("+", "-")) is not None:
            left = f"({left} {op} {self._multiplicative()})"
        return left

    def _multiplicative(self) -> str:
        left = self._unary()
        while (op := self._accept("*", "/", "%")) is not None:
            left = f"({left} {op} {self._unary()})"
        return left

    def _unary(self) -> str:
        op = self._accept("!", "-", "empty")
        if op is None:
            return self._value()
        self._nested()
        operand = self._unary()
        self.depth -= 1
        return {"!": f"(not {operand})", "-": f"(-{operand})", "empty": f"isempty({operand})"}[op]

    def _value(self) -> str:
        result = self._primary()
        while True:
            if self._accept("."):
                token = self._peek()
                if not token.word:  # any identifier, keywords included, is a valid property name
                    raise ExpressionError(f"expected a property name after '.' at position {token.pos + 1}")
                self.index += 1
                result = f"{result}[{token.word!r}]"
                self._reject_call("method calls are not supported in expressions")
            elif self._accept("["):
                key = self._ternary()
                self._expect("]")
                result = f"{result}[{key}]"
                self._reject_call("method calls are not supported in expressions")
            else:
                return result

    def _reject_call(self, message: str) -> None:
        if self._peek().kind == "op" and self._peek().text == "(":
            raise ExpressionError(message)

    def _is_namespaced_call(self) -> bool:
        # JUEL functions look like 'fn:name(...)'; recognise them for a clear error.
        ahead = self.tokens[self.index:self.index + 3]
        if len(ahead) == 3 and [t.text for t in ahead[::2]] == [":", "("] and ahead[1].kind == "ident":
            self.index += 2
            return True
        return False

    def _primary(self) -> str:
        token = self._peek()
        if token.kind in ("num", "str"):
            self.index += 1
            return token.text
        if token.kind == "ident":
            self.index += 1
            name = token.text
            if self._is_namespaced_call():
                name = f"{name}:{self.tokens[self.index - 1].text}"
            self._reject_call(f"function calls are not supported in expressions ('{name}(...)')")
            if keyword.iskeyword(name) or name.startswith("_"):
                raise ExpressionError(f"variable name '{name}' cannot be used in expressions")
            return name
        if self._accept("("):
            inner = self._ternary()
            self._expect(")")
            return inner
        raise ExpressionError(f"unexpected '{self._describe(token)}' at position {token.pos + 1}")
