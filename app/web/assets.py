"""Front-end packages from npm (package.json + package-lock.json, installed by `make install`), served from
node_modules through an allow-list: no CDN, and nothing else of node_modules is reachable."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, abort, current_app, send_from_directory, url_for

ROOT = Path(__file__).resolve().parents[2]

# package -> files a page may load. Add a file here when a screen needs it (see docs/ui.md).
VENDOR_FILES: dict[str, frozenset[str]] = {
    "htmx.org": frozenset({"dist/htmx.min.js"}),
    "bpmn-js": frozenset({
        "dist/bpmn-navigated-viewer.production.min.js",
        "dist/assets/diagram-js.css",
        "dist/assets/bpmn-js.css",
        "dist/assets/bpmn-font/css/bpmn.css",
        "dist/assets/bpmn-font/css/bpmn-embedded.css",
        "dist/assets/bpmn-font/font/bpmn.woff2",
        "dist/assets/bpmn-font/font/bpmn.woff",
        "dist/assets/bpmn-font/font/bpmn.ttf",
    }),
}

bp = Blueprint("vendor", __name__)


def node_modules() -> Path:
    """Where npm installed the packages (config NODE_MODULES, default: next to app/)."""
    return Path(current_app.config.get("NODE_MODULES") or ROOT / "node_modules")


@lru_cache(maxsize=32)
def _version(modules: str, package: str) -> str:
    try:
        return json.loads((Path(modules) / package / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        return "missing"


def vendor_url(package: str, path: str) -> str:
    """URL of an allowed vendor file, with the installed version as cache buster."""
    if path not in VENDOR_FILES.get(package, ()):
        raise KeyError(f"{package}/{path} is not in app.web.assets.VENDOR_FILES")
    return url_for("vendor.asset", package=package, path=path, v=_version(str(node_modules()), package))


@bp.get("/vendor/<package>/<path:path>")
def asset(package: str, path: str):
    """One allowed file of an npm package (404 for anything else)."""
    if path not in VENDOR_FILES.get(package, ()):
        abort(404)
    directory = node_modules() / package
    if not (directory / path).is_file():
        current_app.logger.warning("vendor file %s/%s missing: run `make install` (npm ci)", package, path)
        abort(404)
    return send_from_directory(directory, path, max_age=86400)
