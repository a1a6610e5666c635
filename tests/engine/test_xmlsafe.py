"""Hostile and broken XML never gets past app.engine.xmlsafe."""

import tracemalloc
from pathlib import Path

import pytest
from lxml import etree

from app.engine import xmlsafe
from app.engine.xmlsafe import XmlError, parse_xml

BPMN_DIR = Path(__file__).parent / "bpmn"
SECRET = "lotse-secret-5f3a"

BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + "".join(f' <!ENTITY lol{i} "{("&lol%d;" % (i - 1) if i > 1 else "&lol;") * 10}">\n' for i in range(1, 10))
    + ']>\n<lolz>&lol9;</lolz>'
).encode()


@pytest.fixture
def secret_file(tmp_path):
    path = tmp_path / "passwd"
    path.write_text(SECRET)
    return path


def xxe(path: Path) -> bytes:
    return (f'<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY xxe SYSTEM "{path.as_uri()}">]>\n'
            "<d>&xxe;</d>").encode()


@pytest.fixture
def without_prescan(monkeypatch):
    """Disable the byte scan to prove the lxml configuration alone is safe too."""
    monkeypatch.setattr(xmlsafe, "_scan_declarations", lambda data: None)


def test_valid_bpmn_parses():
    tree = parse_xml((BPMN_DIR / "camunda_lanes.bpmn").read_bytes())
    assert etree.QName(tree.getroot()).localname == "definitions"
    assert tree.getroot()[0].get("id") == "Collaboration_Integration"


def test_xxe_is_rejected(secret_file):
    with pytest.raises(XmlError, match="DOCTYPE declarations are not allowed") as info:
        parse_xml(xxe(secret_file))
    assert info.value.line == 2


def test_xxe_never_reads_the_file_even_without_the_prescan(secret_file, without_prescan):
    root = etree.fromstring(xxe(secret_file), xmlsafe._make_parser())
    assert SECRET not in etree.tostring(root, encoding="unicode")
    with pytest.raises(XmlError, match="not allowed"):
        parse_xml(xxe(secret_file))


def _peak_bytes_while(call) -> int:
    """Peak memory allocated while `call` runs: a work bound that does not depend on the machine's speed."""
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_billion_laughs_is_rejected_before_any_expansion():
    def attempt():
        with pytest.raises(XmlError, match="not allowed"):
            parse_xml(BILLION_LAUGHS)
    # Expanded, the document would be gigabytes; rejected up front it costs about its own size.
    assert _peak_bytes_while(attempt) < 256 * 1024


def test_billion_laughs_is_not_expanded_even_without_the_prescan(without_prescan):
    def attempt():
        with pytest.raises(XmlError):
            parse_xml(BILLION_LAUGHS)
    assert _peak_bytes_while(attempt) < 1024 * 1024


@pytest.mark.parametrize("doctype", [
    '<!DOCTYPE d SYSTEM "http://example.invalid/evil.dtd">',
    '<!DOCTYPE d PUBLIC "-//X//Y//EN" "http://example.invalid/evil.dtd">',
    '<!doctype d SYSTEM "evil.dtd">',
])
def test_external_dtd_is_rejected(doctype):
    with pytest.raises(XmlError, match="DOCTYPE"):
        parse_xml(f'<?xml version="1.0"?>\n{doctype}\n<d/>'.encode())


def test_external_dtd_is_not_loaded_even_without_the_prescan(tmp_path, without_prescan):
    dtd = tmp_path / "defaults.dtd"
    dtd.write_text('<!ATTLIST d injected CDATA "from-dtd">')
    data = f'<?xml version="1.0"?>\n<!DOCTYPE d SYSTEM "{dtd.as_uri()}">\n<d/>'.encode()
    assert etree.fromstring(data, xmlsafe._make_parser()).get("injected") is None
    with pytest.raises(XmlError, match="DOCTYPE"):
        parse_xml(data)


def test_utf16_doctype_is_rejected():
    data = '<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE d [<!ENTITY e "x">]><d>&e;</d>'.encode("utf-16")
    with pytest.raises(XmlError, match="not allowed"):
        parse_xml(data)


def test_utf16_document_parses():
    tree = parse_xml('<?xml version="1.0" encoding="UTF-16"?>\n<d>Ausländerbehörde</d>'.encode("utf-16"))
    assert tree.getroot().text == "Ausländerbehörde"


def test_oversized_document_is_rejected_before_parsing(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("parser must not run")

    monkeypatch.setattr(xmlsafe.etree, "fromstring", fail)
    with pytest.raises(XmlError, match="limit is 5,000,000 bytes"):
        parse_xml(b"<a>" + b"x" * 5_000_000 + b"</a>")
    with pytest.raises(XmlError, match="limit is 100 bytes"):
        parse_xml(b"<a>" + b"x" * 100 + b"</a>", max_bytes=100)


@pytest.mark.parametrize(("data", "line", "fragment"), [
    (b"<a>\n  <b>\n</a>", 3, "mismatch"),
    (b'<?xml version="1.0"?>\n<a>\n<b x="1" x="2"/></a>', 3, "redefined"),
    (b"<a>&undefined;</a>", 1, "undefined"),
    (b"<a>\n\n<b></b>", 3, "end"),
])
def test_malformed_xml_reports_the_line(data, line, fragment):
    with pytest.raises(XmlError) as info:
        parse_xml(data)
    assert info.value.line == line
    assert "malformed XML" in str(info.value)
    assert fragment.lower() in str(info.value).lower()


@pytest.mark.parametrize("data", [b"", b"   \n", "kein xml".encode()])
def test_empty_or_non_xml_is_rejected(data):
    with pytest.raises(XmlError):
        parse_xml(data)


def test_non_bytes_input_is_a_type_error():
    with pytest.raises(TypeError):
        parse_xml("<a/>")
