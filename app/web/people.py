"""Personenübersicht: the person behind a case reference with all their cases across pathways, open steps,
deadlines and consents, and a search by case reference, name or date of birth.

Everything shown of a person comes through `readable_data`: only cases the viewer may see
(`instances.list_instances` / `get_instance`, i.e. `visible_instances`), and of those only the entries the case
file's read rule hands out (`app.casefile.access.case_content`: own office's entries, released categories; a
supervisor reads metadata only, so finds people by case reference). No raw instance data is read here.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask import Blueprint, Flask, abort, current_app, g, render_template, request
from flask_babel import lazy_gettext
from sqlalchemy.orm import Session

from app.casefile.access import case_content, read_case
from app.clock import Clock
from app.directory.service import Principal
from app.errors import NotFound
from app.extensions import db
from app.instances import service as instances
from app.instances.models import ProcessInstance
from app.tasks import service as tasks
from app.web import formatting, task_views
from app.web.auth import current_principal, roles_required
from app.web.nav import NavItem, register_nav

bp = Blueprint("people", __name__, url_prefix="/personen")
PEOPLE_ROLES = ("clerk", "lead", "supervisor", "admin")
SCAN_LIMIT = 500  # a name or birth-date search reads at most this many of the viewer's newest cases
CONSENT_PREFIX = "ds_"
_DIN = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")


def clock() -> Clock:
    """The app's clock (a FakeClock in tests)."""
    return current_app.extensions["lotse_clock"]


def register(app: Flask) -> None:
    """Add the person search and view."""
    app.register_blueprint(bp)
    register_nav(app, NavItem("people.search", lazy_gettext("People"), PEOPLE_ROLES, order=35))


def readable_data(session: Session, actor: Principal, instance: ProcessInstance | int) -> dict[str, Any]:
    """What the viewer may read of a case's data (memoised per request); the one door for case content here."""
    instance_id = instance if isinstance(instance, int) else instance.id
    memo: dict[int, dict[str, Any]] = g.setdefault("lotse_readable", {})
    if instance_id not in memo:
        try:
            allowed = instances.get_instance(session, actor=actor, instance_id=instance_id)  # the rule
        except NotFound:
            memo[instance_id] = {}
        else:
            memo[instance_id] = case_content(session, actor=actor, instance=allowed).data
    return memo[instance_id]


def label_people(session: Session, actor: Principal, items: list[Any]) -> None:
    """Set `person` (name, * date of birth) on task views, where the viewer may read them."""
    for item in items:
        item.person = person_label(readable_data(session, actor, item.task.instance_id))


@dataclass
class Person:
    """A person as the viewer may see them: identity from readable data, their cases."""

    name: str = ""
    first_name: str = ""
    birth_date: str = ""  # ISO
    keys: list[str] = field(default_factory=list)
    cases: list[ProcessInstance] = field(default_factory=list)

    @property
    def full_name(self) -> str:
        """First name and surname."""
        return " ".join(part for part in (self.first_name, self.name) if part)

    @property
    def identity(self) -> tuple[str, str, str]:
        """What makes two case references the same person."""
        return (self.name.casefold(), self.first_name.casefold(), self.birth_date)


def identity_of(data: dict[str, Any]) -> tuple[str, str, str]:
    """(surname, first name, ISO birth date) from a case's readable data ('' where not readable)."""
    birth = data.get("geburtsdatum")
    return (str(data.get("name") or ""), str(data.get("vorname") or ""),
            birth if isinstance(birth, str) else "")


def person_label(data: dict[str, Any]) -> str | None:
    """"Amina Haddad, * 17.04.1991" for rows and headers, or None when nothing of the person is readable."""
    name, first, birth = identity_of(data)
    full = " ".join(p for p in (first, name) if p)
    if not full:
        return None
    return f"{full}, * {formatting.din_date(birth)}" if birth else full


def _people(session: Session, actor: Principal, rows: list[ProcessInstance]) -> list[Person]:
    """Group cases into people: same case reference, or same name and birth date."""
    people: list[Person] = []
    for instance in rows:
        name, first, birth = identity_of(readable_data(session, actor, instance))
        match = next((p for p in people if instance.business_key in p.keys
                      or (birth and p.identity == (name.casefold(), first.casefold(), birth))), None)
        if match is None:
            match = Person()
            people.append(match)
        match.name, match.first_name = match.name or name, match.first_name or first
        match.birth_date = match.birth_date or birth
        if instance.business_key not in match.keys:
            match.keys.append(instance.business_key)
        match.cases.append(instance)
    return people


def _parse_birth(query: str) -> str | None:
    found = _DIN.match(query)
    if found:
        day, month, year = (int(x) for x in found.groups())
    else:
        try:
            return date.fromisoformat(query).isoformat()
        except ValueError:
            return None
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def search_people(session: Session, actor: Principal, query: str) -> list[Person]:
    """People whose case reference, name or date of birth matches, among the cases the viewer may read."""
    query = query.strip()
    if not query:
        return []
    rows, _ = instances.list_instances(session, actor=actor, limit=SCAN_LIMIT)
    birth = _parse_birth(query)
    words = [w.casefold() for w in query.split()]
    people = _people(session, actor, rows)
    found = []
    for person in people:
        by_key = any(query.casefold() == key.casefold() or key.casefold().startswith(query.casefold())
                     for key in person.keys)
        by_birth = birth is not None and person.birth_date == birth
        by_name = bool(person.full_name) and all(w in person.full_name.casefold() for w in words)
        if by_key or by_birth or by_name:
            found.append(person)
    return found


def _person_for(session: Session, actor: Principal, business_key: str) -> Person:
    rows, _ = instances.list_instances(session, actor=actor, business_key=business_key, limit=50)
    if not rows:
        abort(404)
    person = _people(session, actor, rows)[0]
    if person.birth_date and person.name:  # the same person under other case references
        others, _ = instances.list_instances(session, actor=actor, limit=SCAN_LIMIT)
        for instance in others:
            if instance.business_key in person.keys:
                continue
            name, first, birth = identity_of(readable_data(session, actor, instance))
            if (name.casefold(), first.casefold(), birth) == person.identity:
                person.keys.append(instance.business_key)
                person.cases.extend(o for o in others if o.business_key == instance.business_key
                                    and o not in person.cases)
    return person


def _consents(data: dict[str, Any]) -> list[tuple[str, str]]:
    props = task_views.form_properties(db.session(), current_principal().municipality_id)
    return [(task_views.fact_label(k, props.get(k)), task_views.fact_value(v, props.get(k)))
            for k, v in data.items() if k.startswith(CONSENT_PREFIX) and v not in (None, "", [])
            and not isinstance(v, (dict, list))]


@bp.get("")
@roles_required(*PEOPLE_ROLES)
def search():
    """Search by case reference, name or date of birth (DIN or ISO)."""
    actor = current_principal()
    query = request.args.get("suche", "").strip()
    found = search_people(db.session(), actor, query) if query else []
    for shown in found:  # names and birth dates of these cases are on the page: logged as reads
        for instance in shown.cases:
            read_case(db.session(), actor=actor, instance=instance, action="instance_detail", at=clock().now())
    return render_template("people/search.html", query=query, people=found, din_date=formatting.din_date)


@bp.get("/<path:business_key>")
@roles_required(*PEOPLE_ROLES)
def person(business_key: str):
    """The person behind a case reference: identity, every case across pathways, open steps, deadlines, consents."""
    actor = current_principal()
    session = db.session()
    person = _person_for(session, actor, business_key)
    now = clock().now()
    cases = []
    for instance in sorted(person.cases, key=lambda i: i.started_at, reverse=True):
        data = readable_data(session, actor, instance)
        open_rows, _ = tasks.list_tasks(session, actor=actor, now=now, instance_id=instance.id)
        details = instances.instance_details(session, instance)
        cases.append({"instance": instance, "definition": details["definition"],
                      "steps": task_views.task_views(session, open_rows, actor=actor, now=now),
                      "hidden_steps": len(details["active_tasks"]) - len(open_rows),
                      "consents": _consents(data)})
        # Reading a person's cases is logged like opening each case (the rule applied again, with its log entry).
        read_case(session, actor=actor, instance=instance, action="instance_detail", at=now)
    return render_template("people/person.html", person=person, cases=cases, din_date=formatting.din_date,
                           may_open_case=actor.has("lead", "supervisor", "designer", "admin"), now=now,
                           started=lambda d: formatting.din_datetime(d) if isinstance(d, datetime) else "")
