"""Every UI text has a German translation; the English catalog has the same messages."""
from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "app" / "web"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _extracted() -> set:
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(str(WEB), method_map, keywords=keywords):
        found.add(message if isinstance(message, str) else tuple(message))
    return found


def _catalog(locale: str):
    with (WEB / "translations" / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=locale)


def test_every_message_is_translated_to_german():
    german = _catalog("de")
    missing, untranslated, broken = [], [], []
    for msgid in _extracted():
        key = msgid[0] if isinstance(msgid, tuple) else msgid
        message = german.get(key)
        if message is None:
            missing.append(msgid)
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings) or message.fuzzy:
            untranslated.append(msgid)
        ids = msgid if isinstance(msgid, tuple) else (msgid,)
        if any(set(PLACEHOLDER.findall(s)) != set(PLACEHOLDER.findall(ids[0])) for s in strings if s):
            broken.append(msgid)
    hint = "run pybabel extract/update (docs/ui.md) and translate"
    assert not missing, f"not in de/messages.po ({hint}): {missing}"
    assert not untranslated, f"empty or fuzzy German translations: {untranslated}"
    assert not broken, f"placeholders differ from the msgid: {broken}"


def test_the_english_catalog_has_the_same_messages():
    assert {m.id for m in _catalog("en") if m.id} == {m.id for m in _catalog("de") if m.id}
