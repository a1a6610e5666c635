"""The catalogue of legal clocks Lotse knows (numbered as in the research catalogue), shipped as data.

Each entry says what starts the clock, how it is counted with Lotse's attributes, and which legal sources mark a
model element as modelling it (`lotse clocks` matches them against the deployed models). Entries the engine cannot
compute carry the reason. The texts are Lotse's own summaries; the law named in `law` is the source to check.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CatalogueClock:
    """One clock of the catalogue."""

    number: int
    title: str
    law: str
    trigger: str
    counting: str           # the attributes that compute it, e.g. 'lotse:dueFrom=${zugestellt_am} lotse:dueIn=P14D'
    pathway: str            # where it belongs: P1–P5, or '—' when no shipped pathway holds it
    match: str              # regular expression on an element's lotse:legalSource
    computable: bool = True
    reason: str = ""        # why not, for the clocks the engine cannot compute
    due: tuple[str, ...] = ()  # when set, an element models the clock only with one of these offsets
    clock: bool = True      # False: listed in the research catalogue, but not a legal clock


def _c(number: int, title: str, law: str, trigger: str, counting: str, pathway: str, match: str,
       **kwargs: object) -> CatalogueClock:
    return CatalogueClock(number, title, law, trigger, counting, pathway, match, **kwargs)  # type: ignore[arg-type]


CATALOGUE: tuple[CatalogueClock, ...] = (
    _c(1, "Entitlement to the integration course lapses one year after the residence title", "§ 44 Abs. 2 AufenthG",
       "residence title issued (date)", "lotse:dueFrom=${ae_erteilt_am} lotse:dueIn=P1Y", "P4", r"§ ?44 Abs\. ?2"),
    _c(2, "BAMF admission to the course is valid for one year", "§ 44 Abs. 4 AufenthG (validity: research [43])",
       "admission granted (date)",
       "lotse:dueFrom=${zulassung_am} lotse:dueIn=P1Y", "P4", r"§ ?44 Abs\. ?4"),
    _c(3, "Obliged participants register without delay (policy: 14 days)", "§ 7 IntV", "obligation issued",
       "lotse:dueIn=P14D", "P4", r"§ ?7 IntV", due=("P14D",)),
    _c(4, "Course starts at most six weeks after registration", "IntV (a 'soll' rule, research [42])",
       "registered (date)",
       "lotse:dueFrom=${angemeldet_am} lotse:dueIn=P6W", "P4", r"IntV", due=("P6W",)),
    _c(5, "Local target: course access within eight weeks of the entitlement", "EGNRW (local practice)",
       "entitlement confirmed", "lotse:dueFrom=completed:p4_berechtigung lotse:dueIn=P8W", "P4", r"EGNRW|8 Wochen"),
    _c(6, "Apply for the extension before the title expires (Fortgeltungsfiktion)", "§ 81 Abs. 4 AufenthG",
       "title valid until (date)", "lotse:dueFrom=${titel_gueltig_bis} lotse:dueIn=P0D lotse:shift=none "
       "lotse:against=person", "P1, P2", r"§ ?81 Abs\. ?4"),
    _c(7, "Lead time: invite three months before the title expires", "§ 81 Abs. 4 AufenthG (practice)",
       "title valid until (date)", "lotse:dueFrom=${titel_gueltig_bis} lotse:dueIn=-P3M", "P2",
       r"§ ?81 Abs\. ?4"),
    _c(8, "Fiktionsbescheinigung runs out (3 or 6 months)", "§ 81 Abs. 5 AufenthG",
       "Fiktionsbescheinigung valid until (date)", "lotse:dueFrom=${fiktion_gueltig_bis} lotse:dueIn=-P2W", "P2",
       r"§ ?81 Abs\. ?5"),
    _c(9, "Electronic residence permit produced within about six weeks", "practice, no statute (research [51])",
       "eAT ordered",
       "lotse:dueIn=P6W", "P2", r"§ ?78 AufenthG|eAT", due=("P6W", "P4W")),
    _c(10, "Validity of a residence permit by title type", "§ 26 Abs. 1 AufenthG", "title issued",
       "—", "P2", r"§ ?26 Abs\. ?1 AufenthG", computable=False,
       reason="not a period from an event: the office sets the validity per title within legal maxima; Lotse "
              "watches the entered expiry date instead (clocks 6 to 8)"),
    _c(11, "Residence assignment within six months of recognition", "§ 12a AufenthG", "recognition (date)",
       "lotse:dueFrom=${anerkannt_am} lotse:dueIn=P6M", "P2", r"§ ?12a"),
    _c(12, "Register the new address within two weeks of moving in", "§ 17 Abs. 1 BMG", "moved in (date)",
       "lotse:dueFrom=${einzugsdatum} lotse:dueIn=P14D lotse:against=person", "P1", r"§ ?17 (Abs\. ?1 )?BMG"),
    _c(13, "Obligation to live in the reception centre (18 / 6 months)", "§ 47 Abs. 1 AsylG",
       "admitted to the reception centre (date)", "lotse:dueFrom=${aufnahme_am} lotse:dueIn=P18M lotse:rule=beginn",
       "—", r"§ ?47 Abs\. ?1 AsylG"),
    _c(14, "Hint on benefit rights within 15 days of the application", "§ 47 Abs. 4 AsylG", "asylum application (date)",
       "lotse:dueFrom=${asylantrag_am} lotse:dueIn=P15D", "—", r"§ ?47 Abs\. ?4 AsylG"),
    _c(15, "Employment may be permitted after six months", "§ 61 Abs. 1 AsylG", "asylum application (date)",
       "lotse:dueFrom=${asylantrag_am} lotse:dueIn=P6M", "P4", r"§ ?61 Abs\. ?1 AsylG"),
    _c(16, "Employment ban ends after three months", "§ 61 Abs. 2 AsylG", "entry (date)",
       "lotse:dueFrom=${einreise_am} lotse:dueIn=P3M", "P4", r"§ ?61 Abs\. ?2 AsylG"),
    _c(17, "Consent of the Federal Employment Agency deemed given after two weeks", "§ 36 Abs. 2 BeschV",
       "request sent to the agency", "lotse:dueFrom=message:Zustimmungsanfrage_uebermittelt lotse:dueIn=P14D",
       "P4", r"§ ?36 Abs\. ?2 BeschV"),
    _c(18, "Asylum decision within six months", "§ 24 Abs. 4 AsylG", "asylum application (date)",
       "lotse:dueFrom=${asylantrag_am} lotse:dueIn=P6M", "—", r"§ ?24 Abs\. ?4 AsylG"),
    _c(19, "BAMF decision times (statistics)", "—", "—", "—", "—", r"^$", clock=False),
    _c(20, "Action against the BAMF decision: two weeks (one week if manifestly unfounded)", "§ 74 Abs. 1 AsylG",
       "decision served (date)", "lotse:dueFrom=${zugestellt_am} lotse:dueIn=P14D lotse:against=person", "P2",
       r"§ ?74 Abs\. ?1 AsylG"),
    _c(21, "Report taking up work to the benefits office within three days", "§ 8a AsylbLG",
       "work taken up (date)", "lotse:dueFrom=${arbeitsaufnahme_am} lotse:dueIn=P3D lotse:against=person", "P2",
       r"§ ?8a AsylbLG"),
    _c(22, "Analogous benefits after 36 months' stay, counted once", "§ 2 Abs. 1 AsylbLG", "entry (date)",
       "lotse:clock=analogleistungen lotse:dueFrom=${einreise_am} lotse:dueIn=P36M lotse:rule=beginn "
       "lotse:shift=none", "P2", r"§ ?2 (Abs\. ?1 )?AsylbLG"),
    _c(23, "Entitlement ends at the end of the month", "§ 1 Abs. 3 AsylbLG", "condition ceased (date)",
       "lotse:dueFrom=${wegfall_am} lotse:dueIn=P0D lotse:rule=monatsende lotse:shift=none", "P2",
       r"§ ?1 Abs\. ?3 AsylbLG"),
    _c(24, "Application takes effect from the first of the month", "§ 37 Abs. 2 SGB II", "application (date)",
       "lotse:dueFrom=${antrag_datum} lotse:dueIn=P0D lotse:rule=monatsanfang", "P2", r"§ ?37 Abs\. ?2 SGB II"),
    _c(25, "Benefit period of 12 (or 6) months from its first day, no weekend shift", "§ 41 Abs. 3 SGB II",
       "benefit period begins (date)", "lotse:dueFrom=${bwz_beginn} lotse:dueIn=P12M lotse:rule=beginn "
       "lotse:shift=none", "P2", r"§ ?41 Abs\. ?3 SGB II"),
    _c(26, "Potential analysis without delay (policy: 14 days)", "§ 15 Abs. 1 SGB II", "benefits granted",
       "lotse:dueIn=P14D", "P4", r"§ ?15 Abs\. ?1 SGB II"),
    _c(27, "Review the cooperation plan every six months", "§ 15 Abs. 3 SGB II", "plan agreed",
       "lotse:dueFrom=completed:p4_kooperationsplan lotse:dueIn=P6M", "P4", r"§ ?15 Abs\. ?3 SGB II"),
    _c(28, "Forward an application to the competent body without delay (policy: 2 Werktage)", "§ 16 Abs. 2 SGB I",
       "application received", "lotse:dueIn=P2D lotse:calendar=werktage-nrw", "P2", r"§ ?16 Abs\. ?2 SGB I"),
    _c(29, "Report the minor to the Land office within seven Werktage", "§ 42a Abs. 4 SGB VIII",
       "provisional custody begins (date)", "lotse:dueFrom=${inobhutnahme_beginn} lotse:dueIn=P7D "
       "lotse:calendar=werktage-nrw", "P3", r"§ ?42a Abs\. ?4", due=("P7D",)),
    _c(30, "Land office reports to the Federal Office within three Werktage", "§ 42a Abs. 4 SGB VIII",
       "report received", "lotse:dueFrom=completed:p3_meldung_landesstelle lotse:dueIn=P3D "
       "lotse:calendar=werktage-nrw", "P3", r"§ ?42a Abs\. ?4", due=("P3D",)),
    _c(31, "Federal Office names the Land within two Werktage", "§ 42b Abs. 1 SGB VIII", "report received",
       "lotse:dueIn=P2D lotse:calendar=werktage-nrw", "P3", r"§ ?42b Abs\. ?1"),
    _c(32, "Land office assigns a youth office within two Werktage", "§ 42b Abs. 3 SGB VIII", "Land named",
       "lotse:dueIn=P2D lotse:calendar=werktage-nrw", "P3", r"§ ?42b Abs\. ?3", due=("P2D",)),
    _c(33, "Distribution excluded after one month of provisional custody", "§ 42b Abs. 4 Nr. 4 SGB VIII",
       "provisional custody begins (date)", "lotse:dueFrom=${inobhutnahme_beginn} lotse:dueIn=P1M", "P3",
       r"§ ?42b Abs\. ?4"),
    _c(34, "Health check: distribution infeasible after 14 Werktage", "§ 42a Abs. 2 Nr. 4 SGB VIII",
       "provisional custody begins (date)", "lotse:dueFrom=${inobhutnahme_beginn} lotse:dueIn=P14D "
       "lotse:calendar=werktage-nrw", "P3", r"§ ?42a Abs\. ?2"),
    _c(35, "NRW first report (abolished 28.06.2025)", "—", "—", "—", "—", r"^$", clock=False),
    _c(36, "Court decision by the end of the following day", "§ 42 Abs. 5 SGB VIII", "deprivation of liberty",
       "lotse:dueIn=P1D lotse:shift=none", "P3", r"§ ?42 Abs\. ?5"),
    _c(37, "Guardian and asylum application without delay (policy: 3 / 5 Werktage)", "§ 42 Abs. 2, 3 SGB VIII",
       "custody begins", "lotse:dueIn=P3D lotse:calendar=werktage-nrw", "P3", r"§ ?42 Abs\. ?[23]"),
    _c(38, "Plan the transition one year before the help ends", "§ 41 SGB VIII", "planned end of help (date)",
       "lotse:dueFrom=${hilfeende_geplant} lotse:dueIn=-P1Y", "P3", r"§ ?41 Abs\. ?3 SGB VIII|§ ?41 SGB VIII"),
    _c(39, "Confirm receipt of a recognition application within one month", "§ 6 Abs. 2 BQFG",
       "application received (date)", "lotse:dueFrom=${eingang_am} lotse:dueIn=P1M", "P4", r"§ ?6 Abs\. ?2 BQFG"),
    _c(40, "Decide on recognition within three months of complete documents", "§ 6 Abs. 3 BQFG",
       "documents complete", "lotse:dueIn=P3M; request for documents: pause as Unterbrechung", "P4",
       r"§ ?6 Abs\. ?3 BQFG"),
    _c(41, "Accelerated skilled-worker procedure: decision within two months", "§ 14a BQFG with § 81a AufenthG",
       "documents complete (date)", "lotse:dueFrom=${vollstaendig_am} lotse:dueIn=P2M", "P4",
       r"§ ?14a BQFG|§ ?81a AufenthG"),
    _c(42, "Objection within one month after notification", "§ 84 Abs. 1 SGG, § 70 VwGO",
       "decision posted (date)", "lotse:dueFrom=${abgesandt_am} lotse:dueIn=P1M lotse:rule=bekanntgabe-sgbx "
       "lotse:against=person", "P2", r"§ ?84 (Abs\. ?1 )?SGG|§ ?70 VwGO"),
    _c(43, "Action in NRW within one month after notification", "§ 74 Abs. 1 VwGO, § 110 JustG NRW",
       "decision posted (date)", "lotse:dueFrom=${abgesandt_am} lotse:dueIn=P1M lotse:rule=bekanntgabe-vwvfg "
       "lotse:against=person", "P2", r"§ ?74 (Abs\. ?1 )?VwGO"),
    _c(44, "One year when the instructions on remedies are missing or wrong", "§ 58 Abs. 2 VwGO, § 66 Abs. 2 SGG",
       "decision posted (date)", "lotse:dueFrom=${abgesandt_am} lotse:dueIn=P1Y lotse:rule=bekanntgabe-vwvfg",
       "P2", r"§ ?58 Abs\. ?2 VwGO|§ ?66 Abs\. ?2 SGG"),
    _c(45, "Action for failure to act after three months", "§ 75 VwGO", "application (date)",
       "lotse:dueFrom=${antrag_datum} lotse:dueIn=P3M", "P2, P4", r"§ ?75 VwGO"),
    _c(46, "Action for failure to act: six months (three for objections)", "§ 88 SGG", "application (date)",
       "lotse:dueFrom=${antrag_datum} lotse:dueIn=P6M", "P2", r"§ ?88 SGG"),
    _c(47, "Answer a data-subject request within one month", "Art. 12 Abs. 3 DSGVO", "request received (date)",
       "lotse:dueFrom=${eingang_am} lotse:dueIn=P1M", "—", r"Art\. ?12 (Abs\. ?3 )?DSGVO"),
    _c(48, "Report a personal-data breach within 72 hours", "Art. 33 Abs. 1 DSGVO", "breach known (date-time)",
       "lotse:dueFrom=${bekannt_seit} lotse:dueIn=PT72H", "—", r"Art\. ?33 (Abs\. ?1 )?DSGVO"),
    _c(49, "Access-log entries kept six months", "§ 79 Abs. 4 SGB X", "entry written", "—", "—", r"^$",
       computable=False, reason="a retention period of the system, not a case clock: configured by "
                                "ACCESS_LOG_RETENTION (P6M) and applied by the retention job"),
)

CLOCKS = tuple(c for c in CATALOGUE if c.clock)
