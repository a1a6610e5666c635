"""Web UI fixtures: compiled catalogs, a live server on SQLite, Chromium via Playwright, axe-core, screenshots.

Browser tests (marker `browser`) drive Debian's Chromium at /usr/bin/chromium; Playwright never downloads a
browser. Without Chromium they are skipped, unless CI=true or LOTSE_REQUIRE_BROWSER=1 (then they fail).
"""
from __future__ import annotations

import json
import os
import re
import threading
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from app.clock import FakeClock
from app.web.i18n import compile_catalogs

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts"
START = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)  # a Monday morning
PASSWORD = "geheim-123"  # tests.factories.build_world's password
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def pytest_configure(config):
    """Register the marker here (pyproject's marker list belongs to the whole suite)."""
    config.addinivalue_line("markers", "browser: drives Chromium through Playwright (tests/web)")


@pytest.fixture(scope="session", autouse=True)
def catalogs():
    """Compiled translations, so plain `pytest` works without `make install`."""
    compile_catalogs()


def _browser_required() -> bool:
    return os.environ.get("CI", "").lower() == "true" or os.environ.get("LOTSE_REQUIRE_BROWSER") == "1"


def _unavailable(reason: str):
    if _browser_required():
        pytest.fail(f"{reason} (required because CI=true or LOTSE_REQUIRE_BROWSER=1)")
    pytest.skip(f"{reason}; browser tests skipped (apt-get install chromium; set LOTSE_REQUIRE_BROWSER=1 to insist)")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so fixtures know at teardown whether the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


# --- the live server ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    """A Lotse app on its own migrated SQLite database (browser tests run on SQLite only)."""
    from flask_migrate import upgrade

    from app import create_app

    instance = tmp_path_factory.mktemp("instance-web")
    application = create_app({"TESTING": True, "INSTANCE_PATH": str(instance), "CLOCK": FakeClock(START),
                              "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'web.sqlite3'}",
                              "SECRET_KEY": "browser-tests"})
    with application.app_context():
        upgrade()
    yield application
    with application.app_context():
        from app.extensions import db
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def live_server(live_app):
    """The app served by werkzeug on a free port of 127.0.0.1, in a thread; yields the base URL."""
    import logging

    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log lines in test output
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


class Seeded:
    """What the seed created: the data-access session and helpers to act through the services."""

    def __init__(self, app, world):
        self.app, self.world = app, world

    @property
    def clock(self) -> FakeClock:
        """The live app's fake clock."""
        return self.app.extensions["lotse_clock"]

    def principal(self, username: str):
        """The directory's principal of a test user."""
        from sqlalchemy import select

        from app.directory.models import User
        from app.directory.service import principal_for
        from app.extensions import db

        return principal_for(db.session, db.session.scalar(select(User).where(User.username == username)))

    def start_case(self, business_key: str, data: dict | None = None, user: str = "abh") -> int:
        """Start an `aufenthalt_leistung` case through the service; returns its first task's id."""
        from app.extensions import db
        from app.instances.service import start_instance
        from app.tasks.service import list_tasks

        with self.app.app_context():
            instance = start_instance(db.session, actor=self.principal(user), process_key="aufenthalt_leistung",
                                      business_key=business_key, data=data or {}, clock=self.clock)
            rows, _ = list_tasks(db.session, actor=self.principal(user), now=self.clock.now(),
                                 instance_id=instance.id)
            db.session.commit()
            return rows[0].id


def _wipe(db) -> None:
    from sqlalchemy import text

    with db.engine.begin() as conn:
        conn.execute(text("PRAGMA defer_foreign_keys=ON"))
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(text(f'DELETE FROM "{table.name}"'))


@pytest.fixture
def seeded(live_app):
    """Fresh data per test: the standard world, the hand-off model and the pruefung form, deployed as the designer."""
    from app.definitions.service import deploy
    from app.extensions import db
    from app.forms.service import deploy_form
    from tests.factories import BPMN_DIR, build_world

    clock = live_app.extensions["lotse_clock"]
    clock.set(START)
    with live_app.app_context():
        _wipe(db)
        world = build_world(db.session, clock)
        seed = Seeded(live_app, world)
        designer = seed.principal("designer")
        deploy(db.session, actor=designer, data=(BPMN_DIR / "handoff.bpmn").read_bytes(), clock=clock)
        deploy_form(db.session, actor=designer, raw=(BPMN_DIR.parent / "forms" / "pruefung.json").read_bytes(),
                    clock=clock)
        db.session.commit()
    yield seed
    with live_app.app_context():
        db.session.remove()


@pytest.fixture(scope="session")
def web_app(tmp_path_factory):
    """An app without data (in-memory SQLite) for rendering and request-context tests."""
    from app import create_app

    instance = tmp_path_factory.mktemp("instance-web-unit")
    return create_app({"TESTING": True, "INSTANCE_PATH": str(instance), "SQLALCHEMY_DATABASE_URI": "sqlite://",
                       "SECRET_KEY": "unit"})


@pytest.fixture
def german(web_app):
    """A request context in the default locale (German)."""
    with web_app.test_request_context("/"):
        yield


@pytest.fixture
def english(web_app):
    """A request context with English chosen."""
    from flask import session

    with web_app.test_request_context("/"):
        session["lang"] = "en"
        yield


# --- test-client helpers (tests/web/test_views*.py) -----------------------------------------------------


def csrf(client, path: str = "/anmelden") -> str:
    """The CSRF token of the current session (from the page's meta tag)."""
    return re.search(r'name="csrf-token" content="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def sign_in(app, username: str, password: str = "geheim-123"):
    """A new test client with a signed-in session."""
    client = app.test_client()
    response = client.post("/anmelden", data={"csrf_token": csrf(client), "username": username,
                                              "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def give_password(app, username: str, password: str = "geheim-123") -> None:
    """Let a user without a password (the foreign municipality's) sign in to the web UI."""
    from argon2 import PasswordHasher
    from sqlalchemy import select

    from app.directory.models import User
    from app.extensions import db

    with app.app_context():
        db.session.scalar(select(User).where(User.username == username)).password_hash = PasswordHasher().hash(password)
        db.session.commit()


@pytest.fixture
def served(app, world):
    """Requests outside the test's app context, as on a server: a fresh `g` (login user, CSRF token, locale)
    per request. Database checks in the test then open their own app context."""
    from flask.globals import _cv_app

    context = _cv_app.get(None)
    context.pop()
    yield
    context.push()


# --- the browser ----------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, driven by Playwright's sync API (no browser download, ever)."""
    if not os.path.exists(CHROMIUM):
        _unavailable(f"Chromium not found at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e '.[test]')")
    if not AXE.exists():
        _unavailable(f"axe-core missing at {AXE} (run `make install`, which runs npm ci)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class PageFactory:
    """Opens pages in fresh browser contexts (one per user) that may only talk to 127.0.0.1."""

    def __init__(self, browser, base_url: str):
        self.browser, self.base_url = browser, base_url
        self.contexts: list = []
        self.pages: list = []
        self.external: list[str] = []
        self.page_errors: list[str] = []

    def _route(self, route):
        host = urlsplit(route.request.url).hostname
        if host == "127.0.0.1":
            route.continue_()
        else:
            self.external.append(route.request.url)
            route.abort()

    def _console(self, message):
        # A page answered with 401/422 on purpose logs "Failed to load resource"; failed assets are caught below.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.page_errors.append(message.text)

    def _response(self, response):
        if response.status >= 400 and response.request.resource_type != "document" and not (
                response.request.headers.get("hx-request") and response.status in (403, 409, 422)):
            self.page_errors.append(f"{response.status} for {response.url}")

    def new_page(self, locale: str = "de-DE", javascript: bool = True, width: int = 1280):
        """A page in a new context (own cookies), German browser locale by default."""
        context = self.browser.new_context(locale=locale, timezone_id="Europe/Berlin", base_url=self.base_url,
                                           viewport={"width": width, "height": 900},
                                           java_script_enabled=javascript)
        context.set_default_timeout(10_000)
        context.route("**/*", self._route)
        page = context.new_page()
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        page.on("console", self._console)
        page.on("response", self._response)
        self.contexts.append(context)
        self.pages.append(page)
        return page

    def close(self):
        """Close every context."""
        for context in self.contexts:
            context.close()


@pytest.fixture
def pages(browser, live_server, seeded, request):
    """Page factory for tests with several users; fails the test on external requests or page errors."""
    factory = PageFactory(browser, live_server)
    yield factory
    failed = any(getattr(getattr(request.node, f"report_{when}", None), "failed", False)
                 for when in ("setup", "call"))
    if failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
        for number, page in enumerate(factory.pages):
            try:
                page.screenshot(path=str(ARTIFACTS / f"{name}-{number}.png"), full_page=True)
            except Exception as exc:  # noqa: BLE001 - a screenshot must never hide the real failure
                print(f"screenshot failed: {exc}")
    factory.close()
    assert not factory.external, f"pages made requests outside 127.0.0.1: {factory.external}"
    assert not factory.page_errors, f"JavaScript errors or console errors: {factory.page_errors}"


@pytest.fixture
def page(pages):
    """One page (German locale) in its own context."""
    return pages.new_page()


def axe_check(page, context: str = "") -> None:
    """Run axe-core (WCAG 2.1 A/AA rules) on the current page and fail on any violation."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # evaluate() is not subject to the page's Content-Security-Policy, unlike an injected <script>.
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    result = page.evaluate(
        "async (tags) => { const r = await axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']}); return r.violations.map(v => ({id: v.id, impact: v.impact,"
        " help: v.help, nodes: v.nodes.map(n => n.target.join(' ') + ' :: ' + n.failureSummary)})); }",
        WCAG_TAGS)
    assert result == [], f"axe-core violations on {page.url} {context}:\n" + json.dumps(result, indent=2,
                                                                                        ensure_ascii=False)


@pytest.fixture
def axe():
    """The axe_check helper as a fixture (axe(page))."""
    return axe_check


def login(page, username: str, password: str = PASSWORD) -> None:
    """Sign in through the login form (German labels)."""
    page.goto("/anmelden")
    page.get_by_label("Benutzername").fill(username)
    page.get_by_label("Passwort").fill(password)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(lambda url: "/anmelden" not in url)
