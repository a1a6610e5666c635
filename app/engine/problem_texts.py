"""German wording of the BPMN check's problems, and the engine's exceptions as sentences a designer can act on.

The checks speak English (API, logs, tests); the designer screens speak German. Each English message pattern has a
German template here, so the API answers both (`message`, `message_de`) and the web UI shows German. Technical
details quoted inside a message (an expression, an XSD message) stay as they are.
"""
from __future__ import annotations

import re

from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

# (English pattern, German template with the pattern's named groups); the first match wins.
_RULES: list[tuple[str, str]] = [
    (r"called process '(?P<t>[^']*)': (?P<rest>.*)", "aufgerufener Prozess „{t}“: {rest!}"),
    (r"called process '(?P<t>[^']*)' not loaded: more than (?P<n>\d+) called models",
     "aufgerufener Prozess „{t}“ nicht geladen: mehr als {n} aufgerufene Modelle"),
    (r"called process '(?P<t>[^']*)' is not deployed",
     "der aufgerufene Prozess „{t}“ ist nicht bereitgestellt; laden Sie ihn zuerst hoch"),
    (r"called process '(?P<t>[^']*)' could not be read: (?P<d>.*)",
     "der aufgerufene Prozess „{t}“ ist nicht lesbar: {d}"),
    (r"the model deployed for '(?P<t>[^']*)' has no process with id '(?P<t2>[^']*)'",
     "das für „{t}“ bereitgestellte Modell enthält keinen Prozess mit der Id „{t2}“"),
    (r"not a BPMN 2\.0 document \(root element is '(?P<r>[^']*)', expected bpmn:definitions\)",
     "keine BPMN-2.0-Datei (Wurzelelement ist „{r}“, erwartet wird bpmn:definitions)"),
    (r"process '(?P<p>[^']*)' is not executable: (?P<rest>.*)",
     "Prozess „{p}“ ist nicht ausführbar: setzen Sie isExecutable=\"true\" (im Camunda Modeler: "
     "„Executable“ ankreuzen), wenn Lotse ihn ausführen soll"),
    (r"no executable process: the file contains no bpmn:process.*",
     "kein ausführbarer Prozess: die Datei enthält keinen bpmn:process"),
    (r"model could not be loaded", "das Modell konnte nicht geladen werden"),
    (r"dynamic camunda:candidateGroups '(?P<g>.*)' are not supported.*",
     "dynamische camunda:candidateGroups „{g}“ werden nicht unterstützt; nennen Sie die Ämter "
     "(durch Komma getrennt) oder nutzen Sie Lanes"),
    (r"unknown property '(?P<n>[^']*)' \(known: (?P<k>.*)\)", "unbekannte Eigenschaft „{n}“ (bekannt: {k})"),
    (r"(?P<n>\S+) '(?P<v>.*)' is not an ISO 8601 duration.*",
     "{n} „{v}“ ist keine ISO-8601-Dauer (z. B. P14D, P1M, PT4H)"),
    (r"lotse:calendar '(?P<c>.*)' is unknown; use one of (?P<l>.*)",
     "lotse:calendar „{c}“ ist unbekannt; erlaubt: {l}"),
    (r"lotse:remindBefore needs a deadline.*",
     "lotse:remindBefore braucht eine Frist (lotse:dueIn oder camunda:dueDate)"),
    (r"timer has no timeDuration, timeDate or timeCycle",
     "der Timer hat weder timeDuration noch timeDate noch timeCycle"),
    (r"(?P<what>.+?) '(?P<raw>.*)' is neither an ISO 8601 (?P<k>\w+) literal \(e\.g\. (?P<ex>[^)]*)\) nor an "
     r"allowed expression: (?P<d>.*)",
     "{what} „{raw}“ ist weder ein ISO-8601-Wert (z. B. {ex}) noch ein erlaubter Ausdruck: {d}"),
    (r"(?P<what>.+?) '(?P<raw>.*)' is not allowed: (?P<d>.*)", "{what!} „{raw}“ ist nicht erlaubt: {d}"),
    (r"(?P<what>.+?) is not allowed: (?P<d>.*)", "{what!} ist nicht erlaubt: {d}"),
    (r"(?P<what>.+?) is empty \(e\.g\. (?P<ex>[^)]*)\)", "{what} ist leer (z. B. {ex})"),
    (r"(?P<what>.+?) is empty", "{what!} ist leer"),
    (r"bpmn:(?P<t>\w+) has no id", "bpmn:{t} hat keine Id"),
    (r"element id '(?P<i>[^']*)' is reserved by the engine; rename it",
     "die Element-Id „{i}“ ist für die Engine reserviert; benennen Sie sie um"),
    (r"condition language '(?P<l>.*)' is not supported.*",
     "die Sprache „{l}“ für Bedingungen wird nicht unterstützt; schreiben Sie eine JUEL-Bedingung ${{...}}"),
    (r"external condition scripts \(camunda:resource\) are not supported",
     "externe Bedingungsskripte (camunda:resource) werden nicht unterstützt"),
    (r"Camunda 8 \(Zeebe\) models are not supported.*",
     "Camunda-8-Modelle (Zeebe) werden nicht unterstützt; modellieren Sie für Camunda Platform 7"),
    (r"(?P<t>timeDuration|timeDate|timeCycle): (?P<d>.*)", "{t}: {d}"),
    (r"scriptFormat '(?P<f>.*)' is not supported.*",
     "scriptFormat „{f}“ wird nicht unterstützt; in Lotse laufen nur einfache Zuweisungen (name = Ausdruck)"),
    (r"external scripts \(camunda:resource\) are not supported",
     "externe Skripte (camunda:resource) werden nicht unterstützt"),
    (r"camunda:resultVariable on a script task is not supported.*",
     "camunda:resultVariable an einer Skriptaufgabe wird nicht unterstützt; weisen Sie die Variable im Skript zu"),
    (r"script task has no script", "die Skriptaufgabe hat kein Skript"),
    (r"camunda:collection '(?P<c>.*)' must be a variable name.*",
     "camunda:collection „{c}“ muss ein Variablenname oder ${{name}} sein"),
    (r"camunda:elementVariable '(?P<c>.*)' must be a plain variable name",
     "camunda:elementVariable „{c}“ muss ein einfacher Variablenname sein"),
    (r"DMN decisions are not supported yet.*", "DMN-Entscheidungen werden noch nicht unterstützt"),
    (r"camunda:connector is not supported.*",
     "camunda:connector wird nicht unterstützt; binden Sie Fachverfahren über eine externe Aufgabe an"),
    (r"a send task without a message would do nothing.*",
     "eine Sendeaufgabe ohne Nachricht bewirkt nichts; verweisen Sie auf eine bpmn:message (messageRef)"),
    (r"camunda:(?P<a>class|delegateExpression|expression)='(?P<v>.*)' is not supported.*",
     "camunda:{a}=„{v}“ wird nicht unterstützt: Lotse führt keinen Java-Code aus; berechnen Sie Werte in einer "
     "Skriptaufgabe (name = Ausdruck) oder lassen Sie den Schritt in einer Benutzeraufgabe erledigen"),
    (r"camunda:type='(?P<v>.*)' is not supported.*",
     "camunda:type=„{v}“ wird nicht unterstützt: Lotse bindet noch keine externen Worker an"),
    (r"camunda:(?P<t>executionListener|taskListener)(?P<i>.*) is not supported.*",
     "camunda:{t}{i} wird nicht unterstützt: Lotse führt keine Listener aus; modellieren Sie den Schritt als "
     "Skriptaufgabe im Ablauf"),
    (r"camunda:inputOutput mappings are not supported.*",
     "camunda:inputOutput-Zuordnungen werden nicht unterstützt; sie würden stillschweigend übergangen"),
    (r"link throw event '(?P<n>.*)' has no link catch event of the same name.*",
     "das Link-Ereignis „{n}“ hat kein fangendes Link-Ereignis gleichen Namens im selben (Teil-)Prozess"),
    (r"user task '(?P<t>[^']*)' has lane '(?P<l>.*)' naming an office of this municipality; it will wait in no "
     r"office inbox; confirm to deploy anyway",
     "die Aufgabe „{t}“ liegt in der Lane „{l}“, die kein Amt dieser Kommune ist – sie landet in keinem "
     "Posteingang; bestätigen Sie, um trotzdem bereitzustellen"),
    (r"user task '(?P<t>[^']*)' has no lane or candidate group naming an office of this municipality; it will wait "
     r"in no office inbox; confirm to deploy anyway",
     "die Aufgabe „{t}“ liegt in keiner Lane und nennt kein Amt – sie landet in keinem Posteingang; bestätigen "
     "Sie, um trotzdem bereitzustellen"),
    (r"user task '(?P<t>[^']*)' names the form '(?P<f>[^']*)', which is not deployed.*",
     "die Aufgabe „{t}“ nennt das Formular „{f}“, das nicht bereitgestellt ist; stellen Sie zuerst das Formular "
     "bereit oder bestätigen Sie, um trotzdem bereitzustellen"),
    (r"camunda:(?P<a>dueDate|followUpDate): (?P<d>.*)",
     "camunda:{a}: kein Datum, das Lotse berechnen kann (z. B. ${{dateTime().plusDays(14)}}, P14D, "
     "2026-12-01T09:00:00+01:00 oder ${{variable}}): {d}"),
    (r"camunda:candidateUsers '(?P<u>.*)' names several users.*",
     "camunda:candidateUsers „{u}“ nennt mehrere Personen; Lotse gibt eine Aufgabe einer Person oder einem Amt: "
     "nutzen Sie camunda:assignee oder eine Lane"),
    (r"the assignee '(?P<a>.*)' is neither a username nor \$\{variable\}",
     "die Zuständige „{a}“ ist weder ein Benutzername noch ${{variable}}"),
    (r"an external task needs a camunda:topic.*",
     "eine externe Aufgabe braucht ein camunda:topic (ohne „:“) an einer Serviceaufgabe"),
    (r"call activity has no calledElement", "der Aufruf (call activity) nennt keinen Prozess (calledElement)"),
    (r"dynamic calledElement '(?P<c>.*)' is not supported",
     "ein dynamisch berechneter Prozess (calledElement „{c}“) wird nicht unterstützt"),
    (r"camunda:(?P<t>in|out) mappings? (?P<rest>.*)", "camunda:{t}-Zuordnung wird nicht unterstützt: {rest}"),
    (r"the condition on a flow leaving a (?P<t>\w+) would be ignored.*",
     "die Bedingung an einem Fluss, der eine {t} verlässt, würde übergangen; setzen Sie ein exklusives oder "
     "inklusives Gateway vor die Verzweigung"),
    # Engine exceptions, worded by engine_problem_text below.
    (r"a (?P<t>\w+) may have only one outgoing flow.*",
     "eine {t} darf nur einen ausgehenden Fluss haben – fügen Sie ein exklusives (oder paralleles) Gateway ein"),
    (r"the flow leaving an exclusive gateway has no condition.*",
     "dieser Fluss verlässt ein exklusives Gateway ohne Bedingung und ist nicht der Standardfluss; geben Sie eine "
     "Bedingung an oder markieren Sie ihn als Standardfluss"),
    (r"the process has no start event.*", "der Prozess hat kein Startereignis; fügen Sie eines hinzu"),
    (r"a subprocess needs exactly one start event.*",
     "ein Teilprozess braucht genau ein Startereignis ohne Auslöser"),
    (r"a subprocess needs an end event.*", "ein Teilprozess braucht ein Endereignis"),
    (r"this boundary event has no trigger Lotse can wait for.*",
     "dieses angeheftete Ereignis hat keinen Auslöser, auf den Lotse warten kann (Timer, Nachricht, Signal, "
     "Fehler, Eskalation, Bedingung); fügen Sie eine Ereignisdefinition hinzu"),
    (r"this element type is not supported by the engine.*", "dieser Elementtyp wird von der Engine nicht unterstützt"),
    (r"two processes have the id '(?P<p>[^']*)'.*", "zwei Prozesse haben die Id „{p}“; benennen Sie einen um"),
    (r"a message event has no message.*",
     "ein Nachrichtenereignis verweist auf keine Nachricht; wählen Sie eine bpmn:message (messageRef)"),
    (r"a (?P<w>message|signal|error|escalation) definition has no id.*",
     "eine Definition ({w}) hat keine Id; speichern Sie das Modell im Modeler neu"),
    (r"the data association '(?P<d>.*)' names no data object.*",
     "die Datenzuordnung „{d}“ nennt kein Datenobjekt dieses Prozesses"),
    (r"the conditional event has no condition.*", "das Bedingungsereignis hat keine Bedingung"),
    (r"the timer could not be read: (?P<d>.*)", "der Timer ist nicht lesbar: {d}"),
    (r"the engine could not read the model: (?P<d>.*)", "die Engine konnte das Modell nicht lesen: {d}"),
    (r"the engine could not read this element: (?P<d>.*)", "die Engine konnte dieses Element nicht lesen: {d}"),
    (r"the flow is too long for the engine to parse.*",
     "der Ablauf ist zu lang, um ihn zu lesen (Hunderte Elemente hintereinander); teilen Sie ihn auf"),
    (r"the process '(?P<p>[^']*)' was not found.*", "der Prozess „{p}“ wurde nicht gefunden"),
    (r"an element lacks the attribute '(?P<a>\w+)' the engine needs",
     "einem Element fehlt das Attribut „{a}“, das die Engine braucht"),
    (r"(?P<d>Element '.*)", "passt nicht zum BPMN-Schema: {d}"),
]
_COMPILED = [(re.compile(pattern + r"\Z", re.DOTALL), template) for pattern, template in _RULES]
_LABELS = {"condition": "Bedingung", "completion condition": "Abschlussbedingung", "loop condition":
           "Schleifenbedingung", "loop cardinality": "Anzahl der Durchläufe", "event condition": "Ereignisbedingung",
           "script": "Skript", "preScript": "preScript", "postScript": "postScript",
           "message payload": "Nachrichteninhalt", "correlation expression": "Korrelationsausdruck"}
_FALLBACK = "Die Prüfung meldet (englisch): {}"


def _fill(template: str, groups: dict[str, str]) -> str:
    """Replace {name} with the group, {name!} with its German wording (labels and nested messages)."""
    def value(match: re.Match[str]) -> str:
        name, nested = match.group(1), bool(match.group(2))
        text = groups.get(name) or ""
        return german(text, fallback=False) or _LABELS.get(text, text) if nested else text
    return re.sub(r"\{(\w+)(!?)\}", value, template).replace("{{", "{").replace("}}", "}")


def german(message: str, *, fallback: bool = True) -> str:
    """The German wording of one English problem message (the English text, marked, if none is known)."""
    for pattern, template in _COMPILED:
        match = pattern.match(message)
        if match:
            return _fill(template, match.groupdict())
    return _FALLBACK.format(message) if fallback else ""


def is_translated(message: str) -> bool:
    """True when a German wording exists for the message."""
    return bool(german(message, fallback=False))


_ENGINE_RULES: list[tuple[str, str]] = [
    (r"Multiple outgoing flows are not supported for tasks of type.*",
     "a {kind} may have only one outgoing flow — add an exclusive gateway (or a parallel gateway) after it"),
    (r"Non-default exclusive outgoing sequence flow without condition.*",
     "the flow leaving an exclusive gateway has no condition and is not the default flow — add a condition or "
     "mark it as the default flow"),
    (r"No start event found.*", "the process has no start event — add a start event"),
    (r"Exactly one start event is required in a SubWorkflow Task.*",
     "a subprocess needs exactly one start event without a trigger"),
    (r"A SubWorkflow Must contain an End event.*", "a subprocess needs an end event — add one"),
    (r".*Unsupported Catch Event.*",
     "this boundary event has no trigger Lotse can wait for (timer, message, signal, error, escalation, "
     "condition) — add an event definition"),
    (r"There is no support implemented for this task type.*", "this element type is not supported by the engine"),
    (r"Duplicate process ID: (?P<p>.*)", "two processes have the id '{p}' — rename one"),
    (r"Could not find messageRef.*", "a message event has no message — choose a bpmn:message (messageRef)"),
    (r"(?P<w>Message|Signal|Error|Escalation) identifier is missing.*",
     "a {w_lower} definition has no id — save the model again in the modeller"),
    (r"Cannot resolve data(?:Input|Output)Association (?P<d>.*)",
     "the data association '{d}' names no data object of this process"),
    (r"Conditional event definition with missing condition.*", "the conditional event has no condition"),
    (r"Time Specification Error\. (?P<d>.*)", "the timer could not be read: {d}"),
    (r"The process '(?P<p>[^']*)' was not found.*", "the process '{p}' was not found"),
    (r"KeyError\('(?:\{[^}]*\})?(?P<a>\w+)'\)", "an element lacks the attribute '{a}' the engine needs"),
]
_ENGINE_COMPILED = [(re.compile(p + r"\Z", re.DOTALL), t) for p, t in _ENGINE_RULES]
_XML_ID = re.compile(rb'\bid="([^"]+)"|\bid=\\?\'([^\']+)')


def engine_problem_text(exc: Exception) -> tuple[str, str | None]:
    """(sentence a designer can act on, element id if the text names one) for an engine parse exception."""
    message = str(exc.args[0]) if isinstance(exc, ValidationException) and exc.args else repr(exc)
    kind = (getattr(exc, "tag", "") or "task").split("}")[-1].split(":")[-1]
    for pattern, template in _ENGINE_COMPILED:
        match = pattern.match(message)
        if match:
            groups = {k: v or "" for k, v in match.groupdict().items()}
            groups["kind"] = kind
            groups["w_lower"] = groups.get("w", "").lower()
            return template.format(**groups), _embedded_id(exc, message)
    return f"the engine could not read this element: {message}", _embedded_id(exc, message)


def _embedded_id(exc: Exception, message: str) -> str | None:
    """The id of an element whose XML the engine put into its message (Unsupported Catch Event: b'<...>')."""
    for arg in getattr(exc, "args", ())[1:]:
        if isinstance(arg, bytes):
            in_xml = _XML_ID.search(arg)
            if in_xml:
                return (in_xml.group(1) or in_xml.group(2)).decode()
    found = re.search(r"""\bid=\\?["']([^"'\\]+)""", message)
    return found.group(1) if found else None
