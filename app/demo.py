"""`lotse demo`: a living demo municipality on first start (offices, users of every role, models, cases)."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.clock import Clock
from app.definitions.service import deploy
from app.directory import service as directory
from app.directory.models import ApiToken, Municipality, User
from app.forms.service import deploy_form
from app.instances.service import start_instance
from app.tasks import service as tasks

ROOT = Path(__file__).resolve().parent.parent
DEMO_PASSWORD = "lotse-demo-2026"
OFFICES = ("KIM-Case-Management", "Bürgerbüro", "Sozialamt", "Ausländerbehörde", "Jobcenter", "Jugendamt",
           "Kommunales Integrationszentrum", "Gesundheitsamt", "Schulamt", "Agentur für Arbeit",
           "KIM-Koordination", "Datenschutz-Koordination")
USERS = (
    # username, role, office, display name
    ("abh.mueller", "clerk", "Ausländerbehörde", "Aylin Müller"),
    ("abh.leitung", "lead", "Ausländerbehörde", "Jens Hoffmann"),
    ("jc.schmidt", "clerk", "Jobcenter", "Petra Schmidt"),
    ("jc.leitung", "lead", "Jobcenter", "Murat Demir"),
    ("soz.wagner", "clerk", "Sozialamt", "Katrin Wagner"),
    ("kim.becker", "clerk", "KIM-Case-Management", "Lena Becker"),
    ("ja.fischer", "clerk", "Jugendamt", "Tobias Fischer"),
    ("aufsicht", "supervisor", None, "Dr. Sabine Krüger"),
    ("modellierung", "designer", None, "Felix Wolf"),
    ("admin", "admin", None, "IT-Administration"),
)


def seed(session: Session, *, slug: str, clock: Clock) -> Iterator[str]:
    """Create (once) and describe the demo municipality; fresh demo tokens on every call."""
    town = session.scalar(select(Municipality).where(Municipality.slug == slug))
    fresh = town is None
    if fresh:
        town = directory.create_municipality(session, slug=slug, name="Stadt Musterstadt", clock=clock)
        for name in OFFICES:
            directory.create_office(session, municipality=town, name=name)
        for username, role, office, display in USERS:
            directory.create_user(session, municipality=town, username=username, role=role, office_name=office,
                                  password=DEMO_PASSWORD, display_name=display, clock=clock)
        yield f"Demo municipality '{slug}' created with {len(OFFICES)} offices."
    else:
        yield f"Demo municipality '{slug}' exists already; issuing fresh demo tokens."
    designer = directory.principal_for(session, session.scalar(select(User).where(User.username == "modellierung")))
    if fresh:
        for path in sorted((ROOT / "forms").glob("*.json")):
            deploy_form(session, actor=designer, raw=path.read_bytes(), clock=clock)
        for path in sorted((ROOT / "processes").glob("**/*.bpmn")):
            definition, _ = deploy(session, actor=designer, data=path.read_bytes(), clock=clock)
            yield f"Deployed {definition.key} v{definition.version} ({path.relative_to(ROOT)})."
        yield from _demo_cases(session, clock)
    yield ""
    yield f"Logins (password for all: {DEMO_PASSWORD}) and API tokens:"
    for username, role, office, _display in USERS:
        user = session.scalar(select(User).where(User.username == username))
        session.execute(update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.name == "demo",
                                               ApiToken.revoked_at.is_(None)).values(revoked_at=clock.now()))
        token = directory.create_token(session, username=username, clock=clock, name="demo")
        yield f"  {username:<14} {role:<10} {office or '(ganze Kommune)':<22} {token}"


def _demo_cases(session: Session, clock: Clock) -> Iterator[str]:
    clerk = directory.principal_for(session, session.scalar(select(User).where(User.username == "abh.mueller")))
    started = 0
    for number, answer in enumerate([None, True, True, False, None], start=1):
        instance = start_instance(session, actor=clerk, process_key="aufenthalt_leistung",
                                  business_key=f"AZ-2026-{number:04d}", data={"antragsteller": f"Demo-Fall {number}"},
                                  clock=clock)
        started += 1
        if answer is None:
            continue
        rows, _ = tasks.list_tasks(session, actor=clerk, now=clock.now(), instance_id=instance.id)
        tasks.complete(session, actor=clerk, task_id=rows[0].id, clock=clock,
                       data={"aufenthalt_gesichert": answer, "antrag_vollstaendig": True,
                             "aufenthaltsstatus": "Aufenthaltserlaubnis"})
    yield f"Started {started} demo cases."
