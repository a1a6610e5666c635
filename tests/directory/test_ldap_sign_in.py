"""Signing in through a real OpenLDAP (Debian's slapd, started by the test on 127.0.0.1 with its own config).

Skipped with the reason when slapd is not installed (`apt-get install -y slapd ldap-utils`).
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess

import pytest
from sqlalchemy import select

from tests.web.test_login_security import _attempt, _fresh_g

SLAPD = shutil.which("slapd") or ("/usr/sbin/slapd" if os.path.exists("/usr/sbin/slapd") else None)
BASE = "dc=musterstadt,dc=example"
ROOT_DN, ROOT_PW = f"cn=admin,{BASE}", "slapd-test-admin"
PEOPLE, GROUPS = f"ou=people,{BASE}", f"ou=groups,{BASE}"
ABH_CLERKS, JC_LEADS = f"cn=abh-sachbearbeitung,{GROUPS}", f"cn=jobcenter-leitung,{GROUPS}"

CONFIG = """include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
pidfile {dir}/slapd.pid
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
suffix "{base}"
rootdn "{root}"
rootpw {password}
directory {dir}/data
maxsize 10485760
access to attrs=userPassword by self =xw by anonymous auth by * none
access to * by * read
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def slapd(tmp_path_factory):
    """A running slapd with two people and two groups; stopped after the module."""
    if SLAPD is None:
        pytest.skip("slapd is not installed (apt-get install -y slapd ldap-utils); LDAP sign-in not tested")
    ldap3 = pytest.importorskip("ldap3")
    work = tmp_path_factory.mktemp("slapd")
    (work / "data").mkdir()
    conf = work / "slapd.conf"
    conf.write_text(CONFIG.format(dir=work, base=BASE, root=ROOT_DN, password=ROOT_PW))
    url = f"ldap://127.0.0.1:{_free_port()}"
    # Without -d slapd forks once its listener is open: when this returns, it answers.
    subprocess.run([SLAPD, "-f", str(conf), "-h", url + "/"], check=True, timeout=60)
    pid = int((work / "slapd.pid").read_text())
    try:
        with ldap3.Connection(ldap3.Server(url), ROOT_DN, ROOT_PW) as admin:
            admin.add(BASE, ["dcObject", "organization"], {"o": "Musterstadt", "dc": "musterstadt"})
            admin.add(PEOPLE, ["organizationalUnit"], {"ou": "people"})
            admin.add(GROUPS, ["organizationalUnit"], {"ou": "groups"})
            for uid, name, password in (("e.meyer", "Erika Meyer", "Meyer-Passphrase-2026"),
                                        ("k.schulz", "Karl Schulz", "Schulz-Passphrase-2026")):
                admin.add(f"uid={uid},{PEOPLE}", ["inetOrgPerson"],
                          {"cn": name, "sn": name.split()[-1], "displayName": name,
                           "mail": f"{uid}@musterstadt.example", "userPassword": password})
            admin.add(ABH_CLERKS, ["groupOfNames"], {"cn": "abh-sachbearbeitung", "member": [f"uid=e.meyer,{PEOPLE}"]})
            admin.add(JC_LEADS, ["groupOfNames"], {"cn": "jobcenter-leitung", "member": [f"uid=k.schulz,{PEOPLE}"]})
            assert admin.result["description"] == "success", admin.result
        yield url
    finally:
        os.kill(pid, signal.SIGTERM)


@pytest.fixture
def ldap_config(app, slapd, monkeypatch):
    """The app configured for the directory, with its group mapping."""
    config = {"url": slapd, "bind_dn": ROOT_DN, "bind_password": ROOT_PW, "user_base": PEOPLE,
              "user_filter": "(uid={username})", "group_base": GROUPS, "group_filter": "(member={user_dn})",
              "groups": {ABH_CLERKS: {"municipality": "musterstadt", "office": "Ausländerbehörde", "role": "clerk"},
                         JC_LEADS: [{"municipality": "musterstadt", "office": "Jobcenter", "role": "lead"},
                                    {"municipality": "musterstadt", "role": "supervisor"}]}}
    monkeypatch.setitem(app.config, "LDAP", config)
    return config


def _memberships(session, username: str) -> set[tuple[str, str | None]]:
    from app.directory.models import Membership, Office, User

    session.expire_all()
    rows = session.execute(select(Membership.role, Office.name).join(User, User.id == Membership.user_id)
                           .outerjoin(Office, Office.id == Membership.office_id).where(User.username == username))
    return {tuple(row) for row in rows}


def test_a_directory_user_signs_in_and_lands_in_the_mapped_office_with_the_mapped_role(app, world, session,
                                                                                      ldap_config):
    client = app.test_client()
    assert _attempt(client, "e.meyer", "Meyer-Passphrase-2026").status_code == 302
    _fresh_g()
    inbox = client.get("/", follow_redirects=True)
    assert inbox.status_code == 200 and "Erika Meyer" in inbox.get_data(as_text=True)
    assert _memberships(session, "e.meyer") == {("clerk", "Ausländerbehörde")}
    lead = app.test_client()
    assert _attempt(lead, "k.schulz", "Schulz-Passphrase-2026").status_code == 302
    assert _memberships(session, "k.schulz") == {("lead", "Jobcenter"), ("supervisor", None)}
    from app.audit.models import AuditEvent
    event = session.scalar(select(AuditEvent).where(AuditEvent.kind == "directory_sign_in",
                                                    AuditEvent.element_id == "e.meyer"))
    assert event.details["source"] == "ldap"


def test_a_wrong_directory_password_fails_and_counts_toward_throttling(app, world, session, ldap_config):
    client = app.test_client()
    assert _attempt(client, "e.meyer", "falsch").status_code == 401
    assert _attempt(client, "e.meyer", "").status_code == 401  # no anonymous bind posing as a password check
    assert _memberships(session, "e.meyer") == set()


def test_a_group_change_in_the_directory_applies_at_the_next_sign_in(app, world, session, ldap_config, slapd):
    import ldap3

    assert _attempt(app.test_client(), "e.meyer", "Meyer-Passphrase-2026").status_code == 302
    with ldap3.Connection(ldap3.Server(slapd), ROOT_DN, ROOT_PW) as admin:
        # groupOfNames needs a member: Karl takes Erika's place in the Ausländerbehörde group.
        admin.modify(ABH_CLERKS, {"member": [(ldap3.MODIFY_REPLACE, [f"uid=k.schulz,{PEOPLE}"])]})
        admin.modify(JC_LEADS, {"member": [(ldap3.MODIFY_ADD, [f"uid=e.meyer,{PEOPLE}"])]})
        assert admin.result["description"] == "success", admin.result
    try:
        _fresh_g()
        assert _attempt(app.test_client(), "e.meyer", "Meyer-Passphrase-2026").status_code == 302
        assert _memberships(session, "e.meyer") == {("lead", "Jobcenter"), ("supervisor", None)}
    finally:
        with ldap3.Connection(ldap3.Server(slapd), ROOT_DN, ROOT_PW) as admin:
            admin.modify(JC_LEADS, {"member": [(ldap3.MODIFY_DELETE, [f"uid=e.meyer,{PEOPLE}"])]})
            admin.modify(ABH_CLERKS, {"member": [(ldap3.MODIFY_REPLACE, [f"uid=e.meyer,{PEOPLE}"])]})


def test_local_accounts_still_sign_in_and_are_never_taken_over(app, world, session, ldap_config):
    assert _attempt(app.test_client(), "abh", "geheim-123").status_code == 302
    _fresh_g()
    assert _attempt(app.test_client(), "abh", "Meyer-Passphrase-2026").status_code == 401
