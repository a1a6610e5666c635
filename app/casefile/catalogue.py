"""The catalogues shipped as data: data categories and legal bases for hand-offs (app/casefile/catalogues/*.json)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

CATALOGUE_DIR = Path(__file__).resolve().parent / "catalogues"
# Data confided to the Jugendamt (§ 65 SGB VIII): leaves the Jugendamt only under § 65 itself.
CONFIDED = "Anvertraut"
HEALTH = "Gesundheit"


@dataclass(frozen=True)
class Category:
    """A data category fields are tagged with."""

    id: str
    label_de: str
    label_en: str
    text: str
    special: str | None


@dataclass(frozen=True)
class LegalBasis:
    """A statutory permission to transfer data: the categories it permits and to whom (None: any office)."""

    id: str
    title: str
    source: str
    text: str
    categories: tuple[str, ...]
    recipients: tuple[str, ...] | None
    requires_consent: bool
    excluded_categories: tuple[str, ...] = ()

    def permits_recipient(self, office_name: str | None) -> bool:
        """True when the office (a lane name) is one this basis allows data to go to."""
        if self.recipients is None:
            return True
        name = (office_name or "").casefold()
        return any(r.casefold() in name for r in self.recipients)


@lru_cache(maxsize=1)
def categories() -> dict[str, Category]:
    """Category id → category, in catalogue order."""
    doc = json.loads((CATALOGUE_DIR / "categories.json").read_text(encoding="utf-8"))
    return {c["id"]: Category(**c) for c in doc["categories"]}


@lru_cache(maxsize=1)
def legal_bases() -> dict[str, LegalBasis]:
    """Legal basis id → basis, in catalogue order."""
    doc = json.loads((CATALOGUE_DIR / "legal_bases.json").read_text(encoding="utf-8"))
    result = {}
    for item in doc["legal_bases"]:
        recipients = item.get("recipients")
        result[item["id"]] = LegalBasis(
            id=item["id"], title=item["title"], source=item["source"], text=item["text"],
            categories=tuple(item["categories"]), recipients=tuple(recipients) if recipients is not None else None,
            requires_consent=bool(item.get("requires_consent")),
            excluded_categories=tuple(item.get("excluded_categories", ())))
    return result


def catalogue_versions() -> dict[str, str]:
    """The version of each catalogue (named in records and exports)."""
    return {name: json.loads((CATALOGUE_DIR / f"{name}.json").read_text(encoding="utf-8"))["version"]
            for name in ("categories", "legal_bases")}


def category_label(category_id: str | None, locale: str = "de") -> str:
    """A category's label (the id itself when unknown; 'ohne Kategorie' for None)."""
    if category_id is None:
        return "ohne Kategorie" if locale == "de" else "uncategorized"
    found = categories().get(category_id)
    if found is None:
        return category_id
    return found.label_de if locale == "de" else found.label_en
