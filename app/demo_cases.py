"""Demo cases for the reference pathways: about two dozen people at different stages, seeded from the past.

Each scenario starts some weeks or days ago on a fake clock and works its tasks as the clerks of the offices
they land in; timers that fall due on the way fire then and there. `lotse demo` finally fires what is due
now and runs the deadline jobs, so overdue steps are escalated when a supervisor first logs in.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.clock import FakeClock
from app.deadlines.notifier import InAppNotifier
from app.deadlines.service import run_deadline_jobs
from app.demo_data import answer
from app.directory import service as directory
from app.directory.models import Membership, User
from app.directory.service import Principal
from app.engine.calendar import BERLIN
from app.instances.messages import correlate, deliver_pending
from app.instances.service import start_instance
from app.scheduler.service import fire_due_timers
from app.tasks import service as tasks
from app.tasks.models import HumanTask

PEOPLE = (
    ("Haddad", "Amina", "1991-04-17", "syrisch"), ("Kovalenko", "Oleksandr", "1984-11-02", "ukrainisch"),
    ("Nouri", "Samir", "1996-01-23", "irakisch"), ("Rahimi", "Fatima", "1988-07-30", "afghanisch"),
    ("Tesfaye", "Selam", "1993-03-12", "eritreisch"), ("Popescu", "Ioana", "1990-09-05", "rumänisch"),
    ("Yıldız", "Emre", "1987-12-19", "türkisch"), ("Okafor", "Chinedu", "1992-06-08", "nigerianisch"),
    ("Bakr", "Lina", "1999-02-14", "syrisch"), ("Hosseini", "Reza", "1985-10-27", "iranisch"),
    ("Morales", "Ana", "1994-05-03", "kolumbianisch"), ("Gashi", "Arben", "1989-08-21", "kosovarisch"),
)

# The sample answers and payloads are dated as if the demo were seeded on this day; seeded on another day, every date
# in them moves by the difference, so deadlines counted from them (custody, consent validity) stay where they belong.
SAMPLE_DAY = date(2026, 3, 2)
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


class Driver:
    """Works demo tasks as the clerks of their offices, on a clock that starts in the past."""

    def __init__(self, session: Session, municipality_id: int, now: datetime) -> None:
        self.session, self.municipality_id, self.now = session, municipality_id, now
        self.clock = FakeClock(now)
        self.notifier = InAppNotifier()
        self._principals: dict[Any, Principal] = {}
        self._starts = 0
        self._shift = now.astimezone(BERLIN).date() - SAMPLE_DAY

    def dated(self, data: dict[str, Any]) -> dict[str, Any]:
        """The data with every ISO date moved from SAMPLE_DAY's world to the day of seeding."""
        if not self._shift:
            return data
        return {key: (date.fromisoformat(value) + self._shift).isoformat()
                if isinstance(value, str) and _ISO_DAY.fullmatch(value) else value for key, value in data.items()}

    def principal(self, username: str) -> Principal:
        """The principal of a demo user."""
        if username not in self._principals:
            user = self.session.scalars(select(User).where(User.username == username)).one()
            self._principals[username] = directory.principal_for(self.session, user)
        return self._principals[username]

    def clerk_of(self, office_id: int) -> Principal:
        """A clerk (or else a lead) of the office."""
        memberships = self.session.scalars(select(Membership).where(Membership.office_id == office_id)
                                           .order_by(Membership.id))
        member = min(memberships, key=lambda m: m.role != "clerk")
        return self.principal(self.session.get_one(User, member.user_id).username)

    def since(self, days: float) -> None:
        """Set the clock to this many days before now (a few minutes apart per case, like real starts)."""
        self._starts += 1
        self.clock.set(self.now - timedelta(days=days, minutes=7 * self._starts))

    def wait(self, days: float = 0, hours: float = 0) -> None:
        """Let time pass: timers due meanwhile fire, pending messages are delivered."""
        # Never past the present: the demo must show no event dated after the moment it was seeded.
        self.clock.set(min(self.clock.now() + timedelta(days=days, hours=hours), self.now))
        # The scheduler's jobs commit (or roll back) per instance: hand them a clean session.
        self.session.commit()
        fire_due_timers(self.session, clock=self.clock)
        deliver_pending(self.session, clock=self.clock)
        run_deadline_jobs(self.session, clock=self.clock, notifier=self.notifier)

    def start(self, key: str, person: tuple[str, str, str, str]) -> None:
        """A KIM case manager opens a P1 case for a person."""
        start_instance(self.session, actor=self.principal("kim.becker"), process_key="p1_ankommen",
                       business_key=key, data={"name": person[0], "vorname": person[1]}, clock=self.clock)

    def send(self, name: str, key: str, payload: dict[str, Any], username: str) -> None:
        """A clerk enters a message from an outside party."""
        correlate(self.session, actor=self.principal(username), name=name, business_key=key,
                  payload=self.dated(payload), clock=self.clock)

    def do(self, key: str, element_id: str, days: float = 1, **changes: Any) -> None:
        """Complete the open task of this element (sample answer plus changes), then let `days` pass."""
        task = self.session.scalar(select(HumanTask).where(
            HumanTask.municipality_id == self.municipality_id, HumanTask.business_key == key,
            HumanTask.element_id == element_id, HumanTask.status == "open"))
        if task is None or task.office_id is None:
            raise LookupError(f"demo case {key}: no open task {element_id} in an office")
        tasks.complete(self.session, actor=self.clerk_of(task.office_id), task_id=task.id,
                       data=self.dated(answer(element_id, **changes)), clock=self.clock)
        self.wait(days=days)

    def steps(self, key: str, *element_ids: str, days: float = 1) -> None:
        """Complete several tasks with their sample answers, `days` apart."""
        for element_id in element_ids:
            self.do(key, element_id, days=days)


def _fall(d: Driver, key: str, person, ago: float, **clearing: Any) -> None:
    """P1 up to and including the clearing: case, consent, registration."""
    d.since(ago)
    d.start(key, person)
    d.do(key, "p1_fall_anlegen", name=person[0], vorname=person[1], geburtsdatum=person[2],
         staatsangehoerigkeit=person[3])
    d.do(key, "p5_zweck")
    # A young minor consents together with the legal representative (here: the Jugendamt as guardian).
    minor = person[2] > "2010-03-03"
    d.do(key, "p5_aufklaerung", ds_erteilt_durch=f"{person[1]} {person[0]}",
         ds_vertreten_durch="Jugendamt Musterstadt (Amtsvormundschaft)" if minor else None)
    d.do(key, "p1_meldestatus")
    d.do(key, "p1_clearing", **clearing)


SINGLE: dict[str, Any] = {"kinder_schulpflichtig": 0, "kinder_unter_6": 0}
NO_JOB: dict[str, Any] = {"arbeitsaufnahme": False, "arbeitgeber": None, "beschaeftigungsbeginn": None,
                          "wochenstunden": None, "bruttolohn": None}


def _p1_scenarios(d: Driver) -> None:
    d.since(1)
    d.start("MS-2026-0101", PEOPLE[0])
    d.since(3)
    d.start("MS-2026-0102", PEOPLE[1])
    d.do("MS-2026-0102", "p1_fall_anlegen", name="Kovalenko", vorname="Oleksandr")
    d.do("MS-2026-0102", "p5_zweck")
    d.since(9)
    d.start("MS-2026-0103", PEOPLE[2])
    d.steps("MS-2026-0103", "p1_fall_anlegen", "p5_zweck")
    d.do("MS-2026-0103", "p5_aufklaerung", ds_einwilligung="verweigert", ds_form=None, ds_erteilt_am=None,
         ds_gueltig_bis=None)
    d.since(26)  # registration never followed up: overdue in the Bürgerbüro
    d.start("MS-2026-0104", PEOPLE[3])
    d.steps("MS-2026-0104", "p1_fall_anlegen", "p5_zweck", "p5_aufklaerung", "p1_clearing")
    # a family on AsylbLG: benefits (P2), language (P4), school place waiting for weeks
    _fall(d, "MS-2026-0105", PEOPLE[4], 40, kinder_schulpflichtig=1, kinder_unter_6=1)
    d.steps("MS-2026-0105", "p1_leistungsantrag", "p1_sprachzugang", "p1_schulberatung", "p1_kita", "p1_gesundheit")
    # a recognised refugee on SGB II: the Jobcenter decides
    _fall(d, "MS-2026-0106", PEOPLE[5], 24, rechtskreis="SGB II", aufenthaltsstatus="Aufenthaltserlaubnis", **SINGLE)
    d.steps("MS-2026-0106", "p1_leistungsantrag", "p1_sprachzugang")
    # an EU citizen without benefits who reached her goals: completed
    _fall(d, "MS-2026-0107", PEOPLE[6], 120, rechtskreis="keiner", aufenthaltsstatus="EU-Freizügigkeit", **SINGLE)
    d.do("MS-2026-0107", "p1_sprachzugang", sprachkurs_bedarf=False)
    d.steps("MS-2026-0107", "p1_integrationsplan")
    d.do("MS-2026-0107", "p1_plan_review", days=20, ziele_erreicht=True)
    d.do("MS-2026-0107", "p1_abschluss")
    # a case under review with a blocked goal: case conference and a structural issue for the steering group
    _fall(d, "MS-2026-0108", PEOPLE[7], 70, rechtskreis="keiner", **SINGLE)
    d.do("MS-2026-0108", "p1_sprachzugang", sprachkurs_bedarf=False)
    d.steps("MS-2026-0108", "p1_integrationsplan")
    d.do("MS-2026-0108", "p1_plan_review", days=45, blockade=True)
    d.do("MS-2026-0108", "p1_fallkonferenz", generatives_thema=True)


def _p2_scenarios(d: Driver) -> None:
    # BAMF grants protection: residence permit at the Ausländerbehörde, then the switch to SGB II
    _fall(d, "MS-2026-0109", PEOPLE[8], 75, **SINGLE)
    d.steps("MS-2026-0109", "p1_leistungsantrag", "p2_asylblg_bewilligen", "p1_sprachzugang", "p1_gesundheit")
    d.do("MS-2026-0109", "p4_kompetenzen", kursberechtigung_durch="nicht erforderlich")
    d.do("MS-2026-0109", "p4_vermittlung", **NO_JOB)
    d.do("MS-2026-0109", "p1_integrationsplan", days=50)
    d.send("Asylbescheid", "MS-2026-0109", {"bamf_entscheidung": "Flüchtlingsschutz"}, "abh.mueller")
    _fall(d, "MS-2026-0110", PEOPLE[9], 80, **SINGLE)
    d.steps("MS-2026-0110", "p1_leistungsantrag", "p2_asylblg_bewilligen", "p1_sprachzugang", "p1_gesundheit")
    d.do("MS-2026-0110", "p4_kompetenzen", kursberechtigung_durch="nicht erforderlich")
    d.do("MS-2026-0110", "p4_vermittlung", **NO_JOB)
    d.do("MS-2026-0110", "p1_integrationsplan", days=40)
    d.send("Asylbescheid", "MS-2026-0110", {"bamf_entscheidung": "subsidiärer Schutz"}, "abh.mueller")
    d.steps("MS-2026-0110", "p2_ae_erteilen", "p2_sgb2_antrag", "p2_asylblg_einstellen", days=8)
    # BAMF refuses: legal advice within 48 hours, missed
    _fall(d, "MS-2026-0111", PEOPLE[10], 30, **SINGLE)
    d.steps("MS-2026-0111", "p1_leistungsantrag", "p2_asylblg_bewilligen", "p1_sprachzugang", "p1_gesundheit")
    d.send("Asylbescheid", "MS-2026-0111", {"bamf_entscheidung": "Ablehnung als offensichtlich unbegründet"},
           "abh.mueller")
    # a claim whose legal regime is unclear arrives from another office
    d.since(1)
    d.send("Leistungsantrag", "MS-2026-0112", {"name": "Morina", "vorname": "Drita", "rechtskreis": "ungeklärt",
                                               "aufenthaltsstatus": "Duldung", "uebermittlung": "§ 16 SGB I"},
           "kim.becker")


def _p3_scenarios(d: Driver) -> None:
    uma = {"unbegleitet_minderjaehrig": True, "rechtskreis": "keiner", **SINGLE}
    # reported by KIM this week: age assessment pending
    _fall(d, "MS-2026-0113", ("Ahmadi", "Jawad", "2010-05-01", "afghanisch"), 5, **uma)
    d.do("MS-2026-0113", "p3_inobhutnahme", kim_fall_bekannt=True)
    # reported by the police twelve days ago: the report to the Landesstelle is late
    d.since(15)
    d.send("UMA_erkannt", "MS-2026-0114", {"aufgriffsort": "Hauptbahnhof"}, "ja.fischer")
    d.steps("MS-2026-0114", "p3_inobhutnahme", "p3_alterseinschaetzung", "p3_screening")
    # no distribution within a month: excluded, guardianship under way
    d.since(45)
    d.send("UMA_erkannt", "MS-2026-0115", {"aufgriffsort": "Polizeiwache Mitte"}, "ja.fischer")
    d.steps("MS-2026-0115", "p3_inobhutnahme", "p3_alterseinschaetzung", "p3_screening",
            "p3_meldung_landesstelle")
    d.wait(days=33)
    # doubts about the age: medical examination at the Gesundheitsamt
    d.since(6)
    d.send("UMA_erkannt", "MS-2026-0116", {}, "ja.fischer")
    d.do("MS-2026-0116", "p3_inobhutnahme")
    d.do("MS-2026-0116", "p3_alterseinschaetzung", alter_ergebnis="Zweifel: ärztliche Untersuchung")
    # staying in Musterstadt: guardian appointed, help plan, school place requested
    d.since(40)
    d.send("UMA_erkannt", "MS-2026-0117", {}, "ja.fischer")
    d.steps("MS-2026-0117", "p3_inobhutnahme", "p3_alterseinschaetzung", "p3_screening", "p3_meldung_landesstelle")
    d.send("Verteilentscheidung", "MS-2026-0117", {"verteilung": "Verbleib"}, "ja.fischer")
    d.steps("MS-2026-0117", "p3_vormundschaft", "p3_vormund_nachhalten", "p3_perspektive", "p3_hilfeplan", days=4)


def _p4_scenarios(d: Driver) -> None:
    # language course that has not started after eight weeks: the coordination is warned
    d.since(75)
    d.send("Sprachzugang", "MS-2026-0118", {"name": "Morales", "vorname": "Ana", "aufenthaltsstatus": "Duldung",
                                            "rechtskreis": "AsylbLG", "sprachniveau": "A1"}, "kim.becker")
    d.steps("MS-2026-0118", "p4_kompetenzen", "p4_berechtigung_abh", "p4_kursanmeldung")
    # foreign degree: consent for the recognition office, advice at the Integrationszentrum
    d.since(20)
    d.send("SGBII_bewilligt", "MS-2026-0119", {"name": "Hosseini", "vorname": "Reza", "rechtskreis": "SGB II",
                                               "aufenthaltsstatus": "Aufenthaltserlaubnis",
                                               "bewilligt_ab": "2026-01-01"},
           "jc.schmidt")
    d.do("MS-2026-0119", "p4_potenzialanalyse", kursberechtigung_durch="nicht erforderlich",
         auslaendischer_abschluss=True, referenzberuf="Bauingenieur")
    d.steps("MS-2026-0119", "p5_zweck", "p5_aufklaerung")
    # a job offer for a tolerated person: the Bundesagentur stays silent, its consent is deemed given
    d.since(30)
    d.send("Sprachzugang", "MS-2026-0120", {"name": "Okafor", "vorname": "Chinedu", "aufenthaltsstatus": "Duldung",
                                            "rechtskreis": "AsylbLG", "sprachniveau": "B1"}, "kim.becker")
    d.do("MS-2026-0120", "p4_kompetenzen", kursberechtigung_durch="nicht erforderlich")
    d.do("MS-2026-0120", "p4_vermittlung", days=15)
    # placement by the Agentur für Arbeit for an asylum seeker without a course need
    d.since(10)
    d.send("Sprachzugang", "MS-2026-0122", {"name": "Tesfay", "vorname": "Yonas", "aufenthaltsstatus":
                                            "Aufenthaltsgestattung", "rechtskreis": "AsylbLG", "sprachniveau": "B2"},
           "kim.becker")
    d.do("MS-2026-0122", "p4_kompetenzen", kursberechtigung_durch="nicht erforderlich")
    # health data need the data-protection coordination's check before they are shared
    d.since(3)
    d.start("MS-2026-0121", PEOPLE[11])
    d.do("MS-2026-0121", "p1_fall_anlegen", name="Gashi", vorname="Arben")
    d.do("MS-2026-0121", "p5_zweck", ds_sperrgrund="Gesundheitsdaten (Art. 9 DSGVO)",
         ds_datenkategorien=["Stammdaten", "Gesundheit"])
    d.do("MS-2026-0121", "p5_aufklaerung")


def _readme_scenarios(d: Driver) -> None:
    """What the README's clerk login finds first: an overdue task of abh.mueller (Amina Haddad, also in P1)."""
    d.since(22)
    d.send("Sprachzugang", "MS-2026-0123", {"name": "Haddad", "vorname": "Amina", "geburtsdatum": "1991-04-17",
                                            "aufenthaltsstatus": "Duldung", "rechtskreis": "AsylbLG",
                                            "sprachniveau": "A1"}, "kim.becker")
    d.do("MS-2026-0123", "p4_kompetenzen")
    task = d.session.scalar(select(HumanTask).where(
        HumanTask.municipality_id == d.municipality_id, HumanTask.business_key == "MS-2026-0123",
        HumanTask.element_id == "p4_berechtigung_abh", HumanTask.status == "open"))
    if task is None:
        raise LookupError("demo case MS-2026-0123: no open task p4_berechtigung_abh")
    tasks.claim(d.session, actor=d.principal("abh.mueller"), task_id=task.id, clock=d.clock)


def _consent_scenarios(d: Driver) -> None:
    """The consent register: P5 recorded the consents above; one person withdraws theirs (§ 67b Abs. 2 SGB X)."""
    from app.casefile.consents import withdraw
    from app.casefile.models import Consent

    consent = d.session.scalars(select(Consent).where(Consent.municipality_id == d.municipality_id,
                                                      Consent.business_key == "MS-2026-0104")).first()
    if consent is not None:
        d.wait(days=2)
        withdraw(d.session, actor=d.clerk_of(consent.office_id or 0), consent_id=consent.id, now=d.clock.now(),
                 reason="Widerruf bei der Vorsprache (schriftlich, zur Akte genommen)", notifier=d.notifier)


SCENARIOS: tuple[Callable[[Driver], None], ...] = (_p1_scenarios, _p2_scenarios, _p3_scenarios, _p4_scenarios,
                                                   _readme_scenarios, _consent_scenarios)


def seed_cases(session: Session, municipality_id: int, now: datetime) -> Iterator[str]:
    """Run every scenario on a clock in the past; yields one line per pathway group."""
    driver = Driver(session, municipality_id, now)
    for scenario in SCENARIOS:
        scenario(driver)
        yield f"Seeded {scenario.__name__.strip('_').replace('_scenarios', '').upper()} demo cases."
