"""Sign-in throttling, sessions that end server-side, password changes under the local rules."""
from __future__ import annotations

from sqlalchemy import select

from tests.web.conftest import PASSWORD
from tests.web.conftest import csrf as _csrf

NEW_PASSWORD = "Fluss-Brücke-Laterne-47"


def csrf(client, path: str = "/anmelden") -> str:
    """The client's own CSRF token."""
    _fresh_g()
    return _csrf(client, path)


def _fresh_g() -> None:
    """The test's app context outlives requests: forget what the previous client's request cached in `g`."""
    from flask import g

    g.pop("csrf_token", None)
    g.pop("_login_user", None)


def sign_in(app, username: str, password: str = PASSWORD):
    """A new client with a signed-in session."""
    client = app.test_client()
    assert _attempt(client, username, password).status_code == 302
    return client


def _attempt(client, username: str, password: str):
    return client.post("/anmelden", data={"csrf_token": csrf(client), "username": username, "password": password})


def _signed_in(client) -> bool:
    _fresh_g()
    return client.get("/passwort").status_code == 200


def test_five_wrong_passwords_throttle_the_account_with_retry_after_and_an_audit_event(app, client, world, clock,
                                                                                      session):
    from app.audit.models import AuditEvent

    for _ in range(5):
        assert _attempt(client, "abh", "falsch").status_code == 401
    refused = _attempt(client, "abh", PASSWORD)  # even the right password waits now
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 15 * 60
    assert "Zu viele fehlgeschlagene Anmeldungen" in refused.get_data(as_text=True)
    other = _attempt(app.test_client(), "abh2", PASSWORD)
    assert other.status_code == 302, other.get_data(as_text=True)[-800:]  # another account is not affected
    event = session.scalar(select(AuditEvent).where(AuditEvent.kind == "login_throttled"))
    assert event.element_id == "abh" and event.details["retry_after"] == int(refused.headers["Retry-After"])
    clock.advance(minutes=16)
    assert _attempt(client, "abh", PASSWORD).status_code == 302


def test_many_failures_from_one_client_throttle_that_client(app, client, world, clock):
    for index in range(20):
        assert _attempt(client, f"niemand{index}", "falsch").status_code == 401
    assert _attempt(client, "abh", PASSWORD).status_code == 429


def test_a_cookie_copied_before_sign_out_is_dead_afterwards(app, world):
    browser = sign_in(app, "abh")
    copied = browser.get_cookie("session").value
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert _signed_in(thief)
    browser.post("/abmelden", data={"csrf_token": csrf(browser, "/passwort")})
    assert not _signed_in(browser)
    assert not _signed_in(thief)


def test_a_password_change_ends_every_other_session_and_follows_the_rules(app, world, session):
    from app.directory.models import User

    laptop, phone = sign_in(app, "abh"), sign_in(app, "abh")
    weak = laptop.post("/passwort", data={"csrf_token": csrf(laptop, "/passwort"), "current": PASSWORD,
                                          "new": "passwort123", "repeat": "passwort123"})
    assert weak.status_code == 422 and "at least 12 characters" in weak.get_data(as_text=True)
    assert _signed_in(phone)
    changed = laptop.post("/passwort", data={"csrf_token": csrf(laptop, "/passwort"), "current": PASSWORD,
                                             "new": NEW_PASSWORD, "repeat": NEW_PASSWORD})
    assert changed.status_code == 302
    assert _signed_in(laptop) and not _signed_in(phone)
    assert _attempt(app.test_client(), "abh", PASSWORD).status_code == 401
    assert _attempt(app.test_client(), "abh", NEW_PASSWORD).status_code == 302
    user = session.scalar(select(User).where(User.username == "abh"))
    from app.audit.models import AuditEvent
    assert session.scalar(select(AuditEvent).where(AuditEvent.kind == "password_changed",
                                                   AuditEvent.element_id == user.username)) is not None


def test_password_rules():
    from app.directory.sessions import password_problems

    assert password_problems("Fluss-Brücke-Laterne-47", "abh") == []
    assert "at least 12 characters" in password_problems("kurz", "abh")
    assert "must not contain the username" in password_problems("abh-abh-abh-abh-1", "abh")
    assert any("common word" in p for p in password_problems("Passwort2026!", "abh"))
    assert "at least 5 different characters" in password_problems("aaaaaaaaaaaaaaaa", "abh")


def test_the_cli_sets_a_password_under_the_rules_and_ends_the_sessions(app, world):
    from app.cli import cli

    browser = sign_in(app, "abh")
    runner = app.test_cli_runner()
    weak = runner.invoke(cli, ["user", "set-password", "abh"], input="kurz\n")
    assert weak.exit_code != 0 and "at least 12 characters" in weak.output
    assert _signed_in(browser)
    done = runner.invoke(cli, ["user", "set-password", "abh"], input=NEW_PASSWORD + "\n")
    assert done.exit_code == 0 and "1 web session(s) ended" in done.output
    assert not _signed_in(browser)
