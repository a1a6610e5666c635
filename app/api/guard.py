"""Request-level input bounds: every path parameter, query/form value and JSON body is checked before a view runs.

What is refused here (422, naming the parameter or the JSON path) would otherwise reach the database or the
engine and fail there with a 500: integers beyond what an id column holds, NUL characters (PostgreSQL text
cannot store them), lone UTF-16 surrogates (not encodable as UTF-8, so not hashable into the audit chain),
non-finite numbers (not JSON), and bodies nested or sized beyond what a form submission needs (deeply nested
data makes every later read of the case recurse until Python gives up).
"""
from __future__ import annotations

import json
import math
import re
import types
from typing import Any

import marshmallow as ma
from flask import Flask, abort, request
from webargs.flaskparser import FlaskParser

from app.errors import Invalid

INT32_MAX = 2**31 - 1  # ids, offsets, sequence numbers: INTEGER columns on both databases
INT64_MAX = 2**63 - 1  # numbers inside JSON data
MAX_JSON_DEPTH = 32
MAX_JSON_NODES = 100_000
MAX_JSON_BYTES = 2_000_000
MAX_PARAM_CHARS = 4_000
MAX_KEY_CHARS = 200

_BAD_CHARS = re.compile("[\x00\ud800-\udfff]")
_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(rb"[\[\]{}]")


def string_problem(value: str) -> str | None:
    """Why a string is refused (NUL or a lone surrogate), or None."""
    match = _BAD_CHARS.search(value)
    if match is None:
        return None
    return "contains a NUL character" if match.group() == "\x00" else "contains a lone UTF-16 surrogate"


def json_depth(raw: bytes) -> int:
    """The nesting depth of a JSON document without parsing it (string contents are skipped)."""
    depth = deepest = 0
    for match in _BRACKETS.finditer(_STRINGS.sub(b"", raw)):
        if match.group() in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def check_json_value(value: Any, where: str = "body", *, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Raise Invalid naming the first place where `value` is not storable data (depth, strings, numbers)."""
    stack: list[tuple[Any, str, int]] = [(value, where, 0)]
    nodes = 0
    while stack:
        item, path, depth = stack.pop()
        nodes += 1
        if nodes > MAX_JSON_NODES:
            raise Invalid(f"{where}: more than {MAX_JSON_NODES} values", {"field": where})
        if isinstance(item, dict):
            _check_depth(path, depth, max_depth)
            for key, child in item.items():
                key_path = f"{path}.{key}" if isinstance(key, str) and len(key) <= MAX_KEY_CHARS else path
                if not isinstance(key, str):
                    raise Invalid(f"{path}: object keys must be strings", {"field": path})
                problem = string_problem(key) or (f"key longer than {MAX_KEY_CHARS} characters"
                                                  if len(key) > MAX_KEY_CHARS else None)
                if problem:
                    raise Invalid(f"{path}: a key {problem}", {"field": path})
                stack.append((child, key_path, depth + 1))
        elif isinstance(item, (list, tuple)):
            _check_depth(path, depth, max_depth)
            stack.extend((child, f"{path}[{index}]", depth + 1) for index, child in enumerate(item))
        elif isinstance(item, str):
            problem = string_problem(item)
            if problem:
                raise Invalid(f"{path} {problem}", {"field": path})
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            if abs(item) > INT64_MAX:
                raise Invalid(f"{path}: number out of range (at most 64-bit integers)", {"field": path})
        elif isinstance(item, float) and not math.isfinite(item):
            raise Invalid(f"{path}: not a finite number", {"field": path})


def _check_depth(path: str, depth: int, max_depth: int) -> None:
    if depth >= max_depth:
        raise Invalid(f"{path}: nested deeper than {max_depth} levels", {"field": path})


def _check_param(kind: str, name: str, value: Any) -> None:
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        if not -INT32_MAX <= value <= INT32_MAX:
            raise Invalid(f"{kind} parameter '{name}' out of range (at most {INT32_MAX})", {"field": name})
        return
    if not isinstance(value, str):
        return
    problem = string_problem(value) or string_problem(name)
    if problem:
        raise Invalid(f"{kind} parameter '{_printable(name)}' {problem}", {"field": _printable(name)})
    if len(value) > MAX_PARAM_CHARS:
        raise Invalid(f"{kind} parameter '{name}' longer than {MAX_PARAM_CHARS} characters", {"field": name})


def _printable(name: str) -> str:
    return _BAD_CHARS.sub("\ufffd", name)


def check_request() -> None:
    """before_request: refuse out-of-range path ids, bad strings in parameters and unsafe JSON bodies."""
    for name, value in (request.view_args or {}).items():
        _check_param("path", name, value)
    try:
        args = request.args.items(multi=True)
        for name, value in args:
            _check_param("query", name, value)
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            for name, value in request.form.items(multi=True):
                _check_param("form", name, value)
    except UnicodeDecodeError:
        raise Invalid("parameters are not valid UTF-8") from None
    if request.is_json and request.method in ("POST", "PUT", "PATCH"):
        _check_json_body()


def _check_json_body() -> None:
    if request.content_length is not None and request.content_length > MAX_JSON_BYTES:
        abort(413, f"JSON body larger than {MAX_JSON_BYTES} bytes")
    raw = request.get_data(cache=True)
    if len(raw) > MAX_JSON_BYTES:
        abort(413, f"JSON body larger than {MAX_JSON_BYTES} bytes")
    if not raw.strip():
        return
    if json_depth(raw) > MAX_JSON_DEPTH:
        raise Invalid(f"body: nested deeper than {MAX_JSON_DEPTH} levels", {"field": "body"})
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        abort(400, "the body is not valid JSON")
    check_json_value(value, "body")


def bounded_pre_load(parser: FlaskParser, location_data: Any, *, schema: ma.Schema, req: Any,
                     location: str) -> Any:
    """webargs pre_load: integer arguments stay within INTEGER columns (schema-level bound, 422 naming them)."""
    errors: dict[str, list[str]] = {}
    for name, field in schema.fields.items():
        if not isinstance(field, ma.fields.Integer) or field.dump_only:
            continue
        key = field.data_key or name
        raw = location_data.get(key) if hasattr(location_data, "get") else None
        try:
            number = int(raw) if isinstance(raw, (str, int)) and not isinstance(raw, bool) else None
        except ValueError:
            continue  # marshmallow reports it as not an integer
        if number is not None and not -INT32_MAX <= number <= INT32_MAX:
            errors[key] = [f"out of range (at most {INT32_MAX})"]
    if errors:
        raise ma.ValidationError(errors)
    return location_data


def init_guard(app: Flask) -> None:
    """Install the request check and bound the integer arguments of every API view."""
    from flask_smorest import Blueprint
    from flask_smorest.pagination import PaginationMixin

    # The views were decorated with these parser instances at import time: bound the instances themselves.
    parsers = {id(p): p for p in (Blueprint.ARGUMENTS_PARSER, PaginationMixin.PAGINATION_ARGUMENTS_PARSER)}
    for parser in parsers.values():
        parser.pre_load = types.MethodType(bounded_pre_load, parser)
    app.before_request(check_request)
