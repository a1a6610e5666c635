"""`lotse demo`: a living demo municipality on first start (offices, users of every role, models, cases)."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.clock import Clock, FakeClock
from app.deadlines.notifier import InAppNotifier
from app.deadlines.service import run_deadline_jobs
from app.definitions.service import deploy
from app.directory import service as directory
from app.directory.models import Municipality, User
from app.forms.service import deploy_form
from app.instances.messages import deliver_pending
from app.instances.models import ProcessInstance
from app.scheduler.service import fire_due_timers
from app.tasks.models import HumanTask

ROOT = Path(__file__).resolve().parent.parent
DEMO_PASSWORD = "lotse-demo-2026"
OFFICES = ("KIM-Case-Management", "Bürgerbüro", "Sozialamt", "Ausländerbehörde", "Jobcenter", "Jugendamt",
           "Kommunales Integrationszentrum", "Gesundheitsamt", "Schulamt", "Agentur für Arbeit",
           "KIM-Koordination", "Datenschutz-Koordination")
# P5 first: the other pathways call it, and a call target must be deployed before its callers.
PATHWAYS = ("p5_einwilligung", "p1_ankommen", "p2_leistungsbezug", "p3_uma", "p4_sprache_arbeit")
DEPLOYED_BEFORE = timedelta(days=365)  # longer ago than the oldest demo case started
COORDINATION_OFFICE, SECOND_ESCALATION_AFTER = "KIM-Koordination", "P5D"
USERS = (
    # username, role, office, display name
    ("abh.mueller", "clerk", "Ausländerbehörde", "Aylin Müller"),
    ("abh.leitung", "lead", "Ausländerbehörde", "Jens Hoffmann"),
    ("jc.schmidt", "clerk", "Jobcenter", "Petra Schmidt"),
    ("jc.leitung", "lead", "Jobcenter", "Murat Demir"),
    ("soz.wagner", "clerk", "Sozialamt", "Katrin Wagner"),
    ("soz.leitung", "lead", "Sozialamt", "Georg Brandt"),
    ("kim.becker", "clerk", "KIM-Case-Management", "Lena Becker"),
    ("kim.leitung", "lead", "KIM-Case-Management", "Nadia Schäfer"),
    ("ja.fischer", "clerk", "Jugendamt", "Tobias Fischer"),
    ("ja.leitung", "lead", "Jugendamt", "Ute Lorenz"),
    ("bb.klein", "clerk", "Bürgerbüro", "Sven Klein"),
    ("bb.leitung", "lead", "Bürgerbüro", "Marion Vogel"),
    ("ki.yilmaz", "clerk", "Kommunales Integrationszentrum", "Derya Yilmaz"),
    ("ga.schulz", "clerk", "Gesundheitsamt", "Dr. Heike Schulz"),
    ("sa.weber", "clerk", "Schulamt", "Carsten Weber"),
    ("sa.leitung", "lead", "Schulamt", "Birgit Hahn"),
    ("aa.koch", "clerk", "Agentur für Arbeit", "Jonas Koch"),
    ("koord.richter", "clerk", "KIM-Koordination", "Miriam Richter"),
    ("ds.neumann", "clerk", "Datenschutz-Koordination", "Paul Neumann"),
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
                                  password=DEMO_PASSWORD, display_name=display, clock=clock, actor="demo")
        coordination = directory.find_office(session, town.id, COORDINATION_OFFICE)
        assert coordination is not None  # created just above
        town.coordination_office_id = coordination.id
        town.second_escalation_after = SECOND_ESCALATION_AFTER
        yield f"Demo municipality '{slug}' created with {len(OFFICES)} offices."
        # The pathways were deployed before the oldest demo case started (a message never starts a process
        # deployed after it arrived), so deploy them on a clock a year back.
        yield from _deploy(session, FakeClock(clock.now() - DEPLOYED_BEFORE))
        yield from _cases(session, town.id, clock)
    else:
        yield f"Demo municipality '{slug}' exists already; issuing fresh demo tokens."
    yield ""
    yield f"Logins (password for all: {DEMO_PASSWORD}) and API tokens:"
    for username, role, office, _display in USERS:
        directory.revoke_tokens(session, username=username, clock=clock, name="demo", actor="demo")
        token = directory.create_token(session, username=username, clock=clock, name="demo", actor="demo")
        yield f"  {username:<14} {role:<10} {office or '(ganze Kommune)':<30} {token}"


def _deploy(session: Session, clock: Clock) -> Iterator[str]:
    user = session.scalars(select(User).where(User.username == "modellierung")).one()
    designer = directory.principal_for(session, user)
    forms = sorted((ROOT / "forms").glob("*.json"))
    for path in forms:
        deploy_form(session, actor=designer, raw=path.read_bytes(), clock=clock)
    yield f"Deployed {len(forms)} forms."
    paths = [ROOT / "processes" / f"{key}.bpmn" for key in PATHWAYS]
    paths += [p for p in sorted((ROOT / "processes").glob("*.bpmn")) if p.stem not in PATHWAYS]
    for path in paths:
        definition, _ = deploy(session, actor=designer, data=path.read_bytes(), clock=clock)
        yield f"Deployed {definition.key} v{definition.version} ({path.relative_to(ROOT)})."


def _cases(session: Session, municipality_id: int, clock: Clock) -> Iterator[str]:
    from app.demo_cases import seed_cases

    yield from seed_cases(session, municipality_id, clock.now())
    session.commit()
    # Back in the present: what fell due since the seeded past fires now, overdue steps escalate.
    fire_due_timers(session, clock=clock)
    deliver_pending(session, clock=clock)
    run_deadline_jobs(session, clock=clock, notifier=InAppNotifier())

    def count(model, *where) -> int:
        return session.scalar(select(func.count()).select_from(model).where(
            model.municipality_id == municipality_id, *where)) or 0

    open_task = (HumanTask.status == "open",)
    yield (f"Started {count(ProcessInstance)} demo cases with {count(HumanTask, *open_task)} open tasks: "
           f"{count(HumanTask, *open_task, HumanTask.due_at < clock.now())} overdue, "
           f"{count(HumanTask, *open_task, HumanTask.escalated_at.is_not(None))} escalated to their office's lead, "
           f"{count(HumanTask, *open_task, HumanTask.second_escalated_at.is_not(None))} on to the "
           f"{COORDINATION_OFFICE}.")
