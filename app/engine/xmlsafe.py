"""Hardened XML parsing for uploaded BPMN documents.

Uploaded models are untrusted: no DTDs, no entities, no network, bounded size.
DOCTYPE/ENTITY declarations are rejected by a byte scan *before* libxml2 sees the
document, so entity-expansion bombs cost nothing; a second check after parsing
catches anything the scan could miss (exotic encodings).
"""

from __future__ import annotations

import re

from lxml import etree

DEFAULT_MAX_BYTES = 5_000_000

# Matches "<!DOCTYPE" / "<!ENTITY" with optional whitespace, any case.
_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


class XmlError(ValueError):
    """The document is not acceptable XML (too big, malformed or uses DTD features)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line

    def __str__(self) -> str:
        return self.message if self.line is None else f"{self.message} (line {self.line})"


def _make_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
        remove_pis=False,
    )


def _scan_declarations(data: bytes) -> None:
    # Dropping NUL bytes makes UTF-16/UTF-32 encoded ASCII markup visible to the scan.
    probe = data.replace(b"\x00", b"") if b"\x00" in data[:4] else data
    match = _DECLARATION.search(probe)
    if match is not None:
        line = probe.count(b"\n", 0, match.start()) + 1
        kind = match.group(1).decode("ascii").upper()
        raise XmlError(
            f"{kind} declarations are not allowed in uploaded models "
            "(DTDs and entities could read local files or exhaust memory)",
            line=line,
        )


def _check_no_dtd(tree: etree._ElementTree) -> None:
    docinfo = tree.docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.system_url:
        raise XmlError("DOCTYPE declarations are not allowed in uploaded models")
    entity = next(tree.getroot().iter(etree.Entity), None)
    if entity is not None:
        raise XmlError("entity references are not allowed in uploaded models", line=entity.sourceline)


def parse_xml(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> etree._ElementTree:
    """Parse untrusted XML bytes safely or raise XmlError."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError("parse_xml expects bytes")
    data = bytes(data)
    if len(data) > max_bytes:
        raise XmlError(f"document is {len(data):,} bytes; the limit is {max_bytes:,} bytes")
    if not data.strip():
        raise XmlError("document is empty")
    _scan_declarations(data)
    try:
        root = etree.fromstring(data, _make_parser())
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else None
        raise XmlError(f"malformed XML: {exc.msg}", line=line) from None
    if root is None:
        raise XmlError("document has no root element")
    tree = root.getroottree()
    _check_no_dtd(tree)
    return tree
