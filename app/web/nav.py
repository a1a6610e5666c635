"""Role-dependent main navigation: each screen module registers its entries; the first one a user may see is
their start page."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, request, url_for
from flask_login import current_user


@dataclass(frozen=True)
class NavItem:
    """One entry of the main navigation, shown to holders of any of `roles`."""

    endpoint: str
    label: Any  # a lazy_gettext string: translated when rendered
    roles: tuple[str, ...]
    order: int = 100

    @property
    def blueprint(self) -> str:
        """The blueprint whose pages mark this entry as the current one."""
        return self.endpoint.rsplit(".", 1)[0]


def register_nav(app: Flask, item: NavItem) -> None:
    """Add a navigation entry (call from a screen module's `register(app)`)."""
    items = app.extensions.setdefault("lotse_nav", [])
    items.append(item)
    items.sort(key=lambda i: i.order)


def nav_items() -> list[dict[str, Any]]:
    """The entries the signed-in user may see, with their URL and whether they are the current page."""
    if not current_user.is_authenticated:
        return []
    principal = current_user.principal
    return [{"url": url_for(item.endpoint), "label": item.label,
             "current": request.blueprint == item.blueprint}
            for item in current_app.extensions.get("lotse_nav", []) if principal.has(*item.roles)]


def start_url() -> str:
    """Where a signed-in user lands: their first navigation entry, or the general start page."""
    items = nav_items()
    return items[0]["url"] if items else url_for("ui.start")
