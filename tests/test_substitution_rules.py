"""Substitution requests: what `!vertretung` understands, which steps are allowed, who is told, the balance."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.errors import BadArgument, Example, Forbidden, UserError, render
from bot.i18n import LANGUAGES
from bot.replies import render_html
from bot.schedule_parsing import Schedule, ScheduleError, parse_schedule
from commands.substitutions import rule_texts, rules
from commands.substitutions.rules import (
    ALLOWED_STATES,
    EXAMPLE_DE,
    EXAMPLE_EN,
    Action,
    CityBalance,
    Notice,
    OfferChange,
    OfferState,
    OfferView,
    Problem,
    RequestState,
    RequestView,
    SubstitutionError,
    SubstitutionForbidden,
    Tell,
    Transition,
    accept,
    balance,
    cancel,
    describe_span,
    due_transition,
    is_whole_day,
    offer,
    parse_request,
    withdraw,
)
from tests.messages import CATALOG, shown

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


NOW = berlin(2026, 11, 21, 10, 0)  # a Saturday
LATE = berlin(2026, 11, 21, 19, 0)  # after 18:00, the usual deadline on the day before tomorrow

# --- Reading a request -----------------------------------------------------------------------------------

DEC11_18 = (2026, 12, 11, 18, 0)  # the default deadline for 12.12.

# (phrase, start, end, what, topics, needed, deadline); times are local (Europe/Berlin).
VALID = [
    # German
    (
        "12.12. 10-16 Uhr Digitaltag Bühl, Stand Engagementplattform #Engagementplattform",
        (2026, 12, 12, 10, 0), (2026, 12, 12, 16, 0), "Digitaltag Bühl, Stand Engagementplattform",
        ("Engagementplattform",), 1, DEC11_18,
    ),
    ("12.12. 10 Uhr für 2 Stunden Sprechstunde", (2026, 12, 12, 10, 0), (2026, 12, 12, 12, 0), "Sprechstunde", (), 1,
     DEC11_18),
    ("12.12. von 9 bis 12:30 Uhr Bürgerbüro", (2026, 12, 12, 9, 0), (2026, 12, 12, 12, 30), "Bürgerbüro", (), 1,
     DEC11_18),
    ("morgen 9-17 Uhr Messestand", (2026, 11, 22, 9, 0), (2026, 11, 22, 17, 0), "Messestand", (), 1,
     (2026, 11, 21, 18, 0)),
    ("am 3.12.2026 14:00-15:30 Vortrag eAkte", (2026, 12, 3, 14, 0), (2026, 12, 3, 15, 30), "Vortrag eAkte", (), 1,
     (2026, 12, 2, 18, 0)),
    # topics: umlauts, ß, digits, hyphens, underscores; repeats dropped; stray commas tidied
    ("12.12. 10-16 Uhr Digitaltag, #KI #ki #Daten-Schutz #Straßen_Bau #OZG2026", (2026, 12, 12, 10, 0),
     (2026, 12, 12, 16, 0), "Digitaltag", ("KI", "Daten-Schutz", "Straßen_Bau", "OZG2026"), 1, DEC11_18),
    ("12.12. 10-16 Uhr #Bürgerbeteiligung Workshop #Ideen, Moderation", (2026, 12, 12, 10, 0),
     (2026, 12, 12, 16, 0), "Workshop, Moderation", ("Bürgerbeteiligung", "Ideen"), 1, DEC11_18),
    # a number is not a topic, and a Matrix room address is not either
    ("12.12. 10-16 Uhr Nachfolge von #12, Raum #digital:example.org", (2026, 12, 12, 10, 0), (2026, 12, 12, 16, 0),
     "Nachfolge von #12, Raum #digital:example.org", (), 1, DEC11_18),
    # how many
    ("12.12. 10-16 Uhr 2 Personen Digitaltag", (2026, 12, 12, 10, 0), (2026, 12, 12, 16, 0), "Digitaltag", (), 2,
     DEC11_18),
    ("12.12. 10-16 Uhr Digitaltag, zwei Leute, Stand", (2026, 12, 12, 10, 0), (2026, 12, 12, 16, 0),
     "Digitaltag, Stand", (), 2, DEC11_18),
    ("12.12. 10-16 Uhr Digitaltag für drei Personen #Stand", (2026, 12, 12, 10, 0), (2026, 12, 12, 16, 0),
     "Digitaltag", ("Stand",), 3, DEC11_18),
    ("12.12. 10-16 Uhr Digitaltag, Stand für viele Leute", (2026, 12, 12, 10, 0), (2026, 12, 12, 16, 0),
     "Digitaltag, Stand für viele Leute", (), 1, DEC11_18),
    # deadlines
    ("12.12. 10-16 Uhr Digitaltag Frist 10.12.", (2026, 12, 12, 10, 0), (2026, 12, 12, 16, 0), "Digitaltag", (), 1,
     (2026, 12, 10, 18, 0)),
    ("12.12. 10-16 Uhr Digitaltag, Frist: 10.12. 12:30, #Stand", (2026, 12, 12, 10, 0), (2026, 12, 12, 16, 0),
     "Digitaltag", ("Stand",), 1, (2026, 12, 10, 12, 30)),
    ("12.12. 10-16 Uhr Digitaltag Frist bis 10.12. um 12", (2026, 12, 12, 10, 0), (2026, 12, 12, 16, 0),
     "Digitaltag", (), 1, (2026, 12, 10, 12, 0)),
    ("12.12. 10-16 Uhr Digitaltag Frist 12.12.", (2026, 12, 12, 10, 0), (2026, 12, 12, 16, 0), "Digitaltag", (), 1,
     (2026, 12, 12, 10, 0)),  # a bare date on the day itself: due when it begins
    ("Frist morgen 2 Personen 12.12. 10-16 Uhr Digitaltag", (2026, 12, 12, 10, 0), (2026, 12, 12, 16, 0),
     "Digitaltag", (), 2, (2026, 11, 22, 18, 0)),
    ("12.12. 10-16 Uhr Deadline-Workshop, Frist beachten", (2026, 12, 12, 10, 0), (2026, 12, 12, 16, 0),
     "Deadline-Workshop, Frist beachten", (), 1, DEC11_18),
    # whole days
    ("12.12. Digitaltag Bühl", (2026, 12, 12, 0, 0), (2026, 12, 13, 0, 0), "Digitaltag Bühl", (), 1, DEC11_18),
    ("12.12. ganztägig Digitaltag #Stand", (2026, 12, 12, 0, 0), (2026, 12, 13, 0, 0), "Digitaltag", ("Stand",), 1,
     DEC11_18),
    ("Samstag, 12.12. Infostand", (2026, 12, 12, 0, 0), (2026, 12, 13, 0, 0), "Infostand", (), 1, DEC11_18),
    ("12. Dezember Infostand", (2026, 12, 12, 0, 0), (2026, 12, 13, 0, 0), "Infostand", (), 1, DEC11_18),
    ("12.12. für 2 Tage Messe Karlsruhe", (2026, 12, 12, 0, 0), (2026, 12, 14, 0, 0), "Messe Karlsruhe", (), 1,
     DEC11_18),
    ("morgen Infostand", (2026, 11, 22, 0, 0), (2026, 11, 23, 0, 0), "Infostand", (), 1, (2026, 11, 21, 18, 0)),
    # English
    ("12/12 10am-4pm Digital Day Bühl, engagement platform booth #Engagementplattform", (2026, 12, 12, 10, 0),
     (2026, 12, 12, 16, 0), "Digital Day Bühl, engagement platform booth", ("Engagementplattform",), 1, DEC11_18),
    ("Dec 12 9am-5pm booth, 3 people, answer by Dec 10", (2026, 12, 12, 9, 0), (2026, 12, 12, 17, 0), "booth", (), 3,
     (2026, 12, 10, 18, 0)),
    ("12 December 2-4pm workshop for two persons deadline December 10th 5pm", (2026, 12, 12, 14, 0),
     (2026, 12, 12, 16, 0), "workshop", (), 2, (2026, 12, 10, 17, 0)),
    ("tomorrow 9am-5pm booth #open-data", (2026, 11, 22, 9, 0), (2026, 11, 22, 17, 0), "booth", ("open-data",), 1,
     (2026, 11, 21, 18, 0)),
    ("Dec 12 all day booth reply by 11.12. at 9am", (2026, 12, 12, 0, 0), (2026, 12, 13, 0, 0), "booth", (), 1,
     (2026, 12, 11, 9, 0)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("phrase", "start", "end", "what", "topics", "needed", "deadline"), VALID, ids=[v[0] for v in VALID]
)
def test_reads_a_request(
    phrase: str,
    start: tuple[int, ...],
    end: tuple[int, ...],
    what: str,
    topics: tuple[str, ...],
    needed: int,
    deadline: tuple[int, ...],
) -> None:
    draft = parse_request(phrase, now=NOW, tz=BERLIN)
    assert (draft.start, draft.end) == (berlin(*start), berlin(*end))
    assert draft.what == what
    assert draft.topics == topics
    assert draft.needed == needed
    assert draft.deadline == berlin(*deadline)
    assert draft.start.tzinfo == BERLIN and draft.deadline.tzinfo == BERLIN


def test_the_examples_shown_to_users_are_read_as_intended() -> None:
    for example in (EXAMPLE_DE, EXAMPLE_EN):
        draft = parse_request(example.split(" ", 1)[1], now=NOW, tz=BERLIN)
        assert (draft.start, draft.end) == (berlin(2026, 12, 12, 10), berlin(2026, 12, 12, 16))
        assert draft.topics == ("Engagementplattform",)


def test_whole_day_is_midnight_to_midnight_across_a_dst_change() -> None:
    draft = parse_request("28.3.2027 ganztägig Stand", now=NOW, tz=BERLIN)
    assert draft.whole_day
    # Compared as instants (within one zone Python subtracts wall times): the clocks go forward that night.
    assert draft.end.astimezone(UTC) - draft.start.astimezone(UTC) == timedelta(hours=23)
    assert describe_span(draft.start, draft.end, language="de") == "So., 28.3.2027, ganztägig"


def test_a_timed_request_is_no_whole_day() -> None:
    draft = parse_request("12.12. 0-16 Uhr Stand", now=NOW, tz=BERLIN)
    assert not draft.whole_day
    assert not is_whole_day(berlin(2026, 12, 12), berlin(2026, 12, 12))


def test_default_deadline_falls_back_to_the_start_when_the_evening_before_has_passed() -> None:
    draft = parse_request("morgen 9-12 Uhr Stand", now=LATE, tz=BERLIN)
    assert draft.deadline == draft.start == berlin(2026, 11, 22, 9)


def test_now_may_be_given_in_utc() -> None:
    draft = parse_request("morgen 9-12 Uhr Stand", now=NOW.astimezone(UTC), tz=BERLIN)
    assert draft.start == berlin(2026, 11, 22, 9) and draft.start.tzinfo == BERLIN


# (phrase, words the German text must contain, words the English text must contain)
INVALID = [
    ("", ["Wann und wofür"], ["When and for what"]),
    ("#Engagementplattform", ["Zeitpunkt und Beschreibung"], ["date and the description"]),
    ("12.12. 10-16 Uhr", ["Worum geht es?"], ["What is it about?"]),
    ("12.12. 10-16 Uhr #Engagementplattform", ["Worum geht es?"], ["What is it about?"]),
    ("12.12. 10 Uhr Digitaltag", ["Bis wann", "10:00 Uhr für 2 Stunden Digitaltag", "12.12. ganztägig Digitaltag"],
     ["Until when", "for 2 hours", "all day"]),
    ("20.11. 10-12 Uhr Digitaltag", ["war dieses Jahr schon", "20.11.2027"], ["already passed", "20.11.2027"]),
    ("heute 9-10 Uhr Frühdienst", ["Vergangenheit"], ["in the past"]),
    ("20.11. Digitaltag", ["schon vorbei", "`!vertretung 20.11.2027 Digitaltag`"], ["already passed", "20.11.2027"]),
    ("heute Digitaltag", ["ganztägig geht für heute nicht mehr", "heute 14-16 Uhr"], ["whole day", "today 2-4pm"]),
    ("12.12. 16-10 Uhr Digitaltag", ["Das Ende liegt vor dem Beginn"], ["the end is before the start"]),
    ("jeden Dienstag 10-12 Uhr Sprechstunde", ["einzelnen Termin", "nicht für eine Serie"], ["one date"]),
    ("Digitaltag 12.12. 10-16 Uhr", ["zuerst den Zeitpunkt", "`12.12. 10-16 Uhr Digitaltag`"], ["time first"]),
    ("12.12. Digitaltag 10 Uhr", ["vor dem Titel"], ["before the title"]),
    ("12.12. 10-16 Digitaltag", ["`!vertretung 12.12. 10-16 Uhr Digitaltag`"], ["`!cover 12.12. 10-16 Uhr"]),
    ("12.12. 22-2 Digitaltag", ["Um wie viel Uhr?"], ["At what time?"]),  # no suggestion across midnight
    ("12.12. abends Digitaltag", ["Um wie viel Uhr?"], ["At what time?"]),
    ("12.12. 10-16 Uhr ganztägig Digitaltag", ["„ganztägig“ passt nur", "12.12. ganztägig"], ["all day"]),
    ("12/10 10am-4pm Digital Day", ["mehrdeutig"], ["ambiguous", "12 October"]),
    ("12.12. 10-16 Uhr Digitaltag 25 Personen", ["„25 Personen“", "1 bis 20", "2 Personen"], ["1 to 20", "2 people"]),
    ("12.12. 10-16 Uhr Digitaltag 0 Leute", ["„0 Leute“", "1 bis 20"], ["1 to 20"]),
    ("12.12. 10-16 Uhr Digitaltag 2 Personen 3 Leute", ["zweimal eine Anzahl"], ["two numbers of people"]),
    ("12.12. 10-16 Uhr Digitaltag Frist 13.12.", ["nach dem Beginn", "Frist 10.12. 12 Uhr"],
     ["after the start", "deadline 10.12. 12pm"]),
    ("12.12. 10-16 Uhr Digitaltag Frist 12.12. 11 Uhr", ["nach dem Beginn"], ["after the start"]),
    ("12.12. 10-16 Uhr Digitaltag Frist 20.11.", ["Vergangenheit", "Vortag, 18 Uhr"], ["in the past"]),
    ("12.12. 10-16 Uhr Digitaltag Frist 31.11.", ["Den 31.11. gibt es nicht", "Frist 10.12. 12 Uhr"],
     ["There is no 31.11."]),
    ("12.12. 10-16 Uhr Digitaltag Frist 10.12. 25 Uhr", ["„25 Uhr“", "keine gültige Uhrzeit"], ["not a valid time"]),
    ("12.12. 10-16 Uhr Digitaltag Frist 10.12. um 3", ["3 Uhr morgens oder 15 Uhr?"], ["3am or 3pm"]),
    ("12.12. 10-16 Uhr Digitaltag Frist 10.12. Frist 11.12.", ["zwei Fristen"], ["two deadlines"]),
]  # fmt: skip


@dataclass(frozen=True)
class Refusal:
    """A rule's error and what the person reads of it in German and in English (`tests.messages.shown`)."""

    error: SubstitutionError | SubstitutionForbidden
    de: str
    en: str

    @property
    def problem(self) -> Problem:
        return self.error.problem


def refused(call: Callable[..., object], *args: object, **kwargs: object) -> Refusal:
    with pytest.raises((SubstitutionError, SubstitutionForbidden)) as caught:
        call(*args, **kwargs)
    error = caught.value
    assert isinstance(error, SubstitutionError | SubstitutionForbidden)
    return Refusal(error, shown(error, "de"), shown(error, "en"))


def _refusal(phrase: str, now: datetime = NOW) -> Refusal:
    return refused(parse_request, phrase, now=now, tz=BERLIN)


@pytest.mark.parametrize(("phrase", "de", "en"), INVALID, ids=[i[0] or "empty" for i in INVALID])
def test_refuses_with_a_way_out(phrase: str, de: list[str], en: list[str]) -> None:
    error = _refusal(phrase)
    for part in de:
        assert part in error.de
    for part in en:
        assert part in error.en
    # Every refusal shows a whole command that works.
    assert "`!vertretung " in error.de
    assert "`!cover " in error.en
    assert error.problem is Problem.INVALID


def test_a_date_mistake_keeps_the_words_of_the_meeting_parser() -> None:
    phrase = "20.11. 10-12 Uhr Digitaltag"
    with pytest.raises(ScheduleError) as original:
        parse_schedule(phrase, now=NOW, tz=BERLIN)
    error = _refusal(phrase)
    assert isinstance(error.error, BadArgument)  # answered like the parser's own mistakes: with the usage line
    assert error.de.startswith(shown(original.value, "de"))
    assert error.en.startswith(shown(original.value, "en"))
    assert EXAMPLE_DE in error.de and EXAMPLE_EN in error.en


_COMMAND = re.compile(r"`(!(?:vertretung|cover) [^`]*)`")


def test_every_example_command_in_a_refusal_is_understood() -> None:
    """An example that itself fails would send people in circles."""
    errors = [_refusal(phrase) for phrase, _, _ in INVALID]
    shown = {
        command
        for error in errors
        for command in _COMMAND.findall(error.de + error.en)
        if "…" not in command  # "12.12. … Digitaltag" leaves the time to the reader on purpose
    }
    assert len(shown) >= 8
    for command in shown:
        parse_request(command.split(" ", 1)[1], now=NOW, tz=BERLIN)


def test_describe_span() -> None:
    assert describe_span(berlin(2026, 12, 12, 10), berlin(2026, 12, 12, 16), language="de") == (
        "Sa., 12.12.2026, 10:00–16:00 Uhr"
    )
    assert describe_span(berlin(2026, 12, 12, 10), berlin(2026, 12, 12, 16), language="en") == (
        "Sat 12 Dec 2026, 10:00–16:00"
    )
    assert describe_span(berlin(2026, 12, 12), berlin(2026, 12, 14), language="de") == (
        "Sa., 12.12.2026 – So., 13.12.2026, ganztägig"
    )
    assert describe_span(berlin(2026, 12, 12), berlin(2026, 12, 13), language="en") == "Sat 12 Dec 2026, all day"
    assert describe_span(berlin(2026, 12, 12, 20), berlin(2026, 12, 13, 2), language="de") == (
        "Sa., 12.12.2026, 20:00 Uhr – So., 13.12.2026, 2:00 Uhr"
    )


# --- States ----------------------------------------------------------------------------------------------

REQUESTER = "@anna:example.org"
MARIA = "@maria:example.org"
JONAS = "@jonas:example.org"
LEA = "@lea:example.org"
COORDINATOR = "@koordination:example.org"
STRANGER = "@tom:example.org"

START = berlin(2026, 12, 12, 10)
END = berlin(2026, 12, 12, 16)
DEADLINE = berlin(2026, 12, 11, 18)


def request(state: RequestState = RequestState.OPEN, needed: int = 1) -> RequestView:
    return RequestView(
        id=12,
        requester=REQUESTER,
        requester_city="Bühl",
        state=state,
        needed=needed,
        start=START,
        end=END,
        deadline=DEADLINE,
    )


def offers(**states: OfferState) -> list[OfferView]:
    """offers(maria=OFFERED, jonas=ACCEPTED)."""
    return [OfferView(f"@{name}:example.org", "Rastatt", state) for name, state in states.items()]


def told(transition: Transition) -> dict[str, Notice]:
    return {tell.user_id: tell.notice for tell in transition.tell}


OFFERED, WITHDRAWN, ACCEPTED, DECLINED = (
    OfferState.OFFERED,
    OfferState.WITHDRAWN,
    OfferState.ACCEPTED,
    OfferState.DECLINED,
)

# The rule, written out independently of the module's table: (action, state before) -> state after `perform`.
EXPECTED_ALLOWED = {
    (Action.OFFER, RequestState.OPEN): RequestState.OPEN,
    (Action.WITHDRAW, RequestState.OPEN): RequestState.OPEN,
    (Action.WITHDRAW, RequestState.FILLED): RequestState.OPEN,
    (Action.ACCEPT, RequestState.OPEN): RequestState.FILLED,
    (Action.CANCEL, RequestState.OPEN): RequestState.CANCELLED,
    (Action.CANCEL, RequestState.FILLED): RequestState.CANCELLED,
}


def perform(action: Action, state: RequestState) -> Transition:
    """Each action in a setup where only the request's state could stand in the way."""
    match action:
        case Action.OFFER:
            return offer(request(state), [], MARIA, NOW)
        case Action.WITHDRAW:
            # One of two places taken while open, the only place while filled.
            needed = 1 if state is RequestState.FILLED else 2
            return withdraw(request(state, needed), offers(maria=ACCEPTED), MARIA, NOW)
        case Action.ACCEPT:
            return accept(request(state), offers(maria=OFFERED), REQUESTER, [MARIA], False, NOW)
        case Action.CANCEL:
            return cancel(request(state), REQUESTER, False, NOW, offers=offers(maria=OFFERED))


def test_the_table_names_every_action_and_agrees_with_the_rule() -> None:
    assert set(ALLOWED_STATES) == set(Action)
    assert {(action, state) for action, states in ALLOWED_STATES.items() for state in states} == set(EXPECTED_ALLOWED)


@pytest.mark.parametrize(
    ("action", "state"),
    sorted(EXPECTED_ALLOWED),
    ids=[f"{a}-{s}" for a, s in sorted(EXPECTED_ALLOWED)],
)
def test_allowed_pair(action: Action, state: RequestState) -> None:
    transition = perform(action, state)
    assert transition.request_id == 12
    assert (transition.before, transition.after) == (state, EXPECTED_ALLOWED[action, state])


FORBIDDEN = sorted(set(itertools.product(Action, RequestState)) - set(EXPECTED_ALLOWED))


@pytest.mark.parametrize(("action", "state"), FORBIDDEN, ids=[f"{a}-{s}" for a, s in FORBIDDEN])
def test_forbidden_pair(action: Action, state: RequestState) -> None:
    error = refused(perform, action, state)
    assert "Vertretung 12" in error.de and "substitution 12" in error.en.lower()
    if state is RequestState.FILLED:
        assert error.problem is Problem.FILLED
        assert "schon besetzt" in error.de and "already filled" in error.en
    else:
        assert error.problem is Problem.CLOSED
        assert "abgeschlossen" in error.de and "closed" in error.en


def test_closed_requests_say_why() -> None:
    done = refused(offer, request(RequestState.DONE), [], MARIA, NOW)
    expired = refused(offer, request(RequestState.EXPIRED), [], MARIA, NOW)
    cancelled = refused(accept, request(RequestState.CANCELLED), offers(maria=OFFERED), REQUESTER, [MARIA], False, NOW)
    assert "schon vorbei" in done.de
    assert "abgelaufen" in expired.de
    assert "abgesagt" in cancelled.de
    assert EXAMPLE_DE in cancelled.de  # the requester may simply ask again


def test_accepting_on_a_filled_request_says_a_helper_must_step_back_first() -> None:
    error = refused(
        accept, request(RequestState.FILLED), offers(maria=ACCEPTED, jonas=DECLINED), REQUESTER, [JONAS], False, NOW
    )
    assert "der Platz ist vergeben" in error.de
    assert "`!vertretung zurückziehen 12`" in error.de and "`!cover withdraw 12`" in error.en


def test_offering_on_a_filled_request_points_to_later() -> None:
    error = refused(offer, request(RequestState.FILLED), [], MARIA, NOW)
    assert "danke trotzdem" in error.de
    assert "`!übernehme 12`" in error.de and "`!offer 12`" in error.en


# offer ---------------------------------------------------------------------------------------------------


def test_offer_tells_the_requester() -> None:
    transition = offer(request(), offers(jonas=OFFERED), MARIA, NOW)
    assert transition.after is RequestState.OPEN
    assert transition.offers == (OfferChange(MARIA, None, OFFERED),)
    assert transition.tell == (Tell(REQUESTER, Notice.NEW_OFFER),)


def test_no_offer_on_ones_own_request() -> None:
    error = refused(offer, request(), [], REQUESTER, NOW)
    assert error.problem is Problem.OWN_REQUEST
    assert "eigene Anfrage" in error.de and "`!vertretung absagen 12`" in error.de


@pytest.mark.parametrize(
    ("state", "problem", "words"),
    [
        (OFFERED, Problem.ALREADY_OFFERED, "hast du schon angeboten"),
        (ACCEPTED, Problem.ALREADY_ACCEPTED, "schon zugesagt"),
    ],
)
def test_no_second_active_offer(state: OfferState, problem: Problem, words: str) -> None:
    error = refused(offer, request(), offers(maria=state), MARIA, NOW)
    assert error.problem is problem
    assert words in error.de
    assert "`!vertretung zurückziehen 12`" in error.de and "`!cover withdraw 12`" in error.en


@pytest.mark.parametrize("state", [WITHDRAWN, DECLINED])
def test_an_offer_can_be_renewed(state: OfferState) -> None:
    transition = offer(request(), offers(maria=state), MARIA, NOW)
    assert transition.offers == (OfferChange(MARIA, state, OFFERED),)
    assert told(transition) == {REQUESTER: Notice.NEW_OFFER}


def test_no_offer_once_it_has_begun() -> None:
    error = refused(offer, request(), [], MARIA, START)
    assert error.problem is Problem.STARTED
    assert "hat schon begonnen" in error.de
    offer(request(), [], MARIA, START - timedelta(minutes=1))  # a minute before is still fine


# withdraw ------------------------------------------------------------------------------------------------


def test_withdrawing_a_plain_offer_changes_nothing_else() -> None:
    transition = withdraw(request(), offers(maria=OFFERED, jonas=OFFERED), MARIA, NOW)
    assert transition.after is RequestState.OPEN
    assert transition.offer_states() == {MARIA: WITHDRAWN}
    assert transition.tell == ()
    assert not transition.reopened


def test_withdrawing_an_accepted_offer_reopens_a_filled_request() -> None:
    transition = withdraw(request(RequestState.FILLED), offers(maria=ACCEPTED, jonas=DECLINED), MARIA, NOW)
    assert transition.after is RequestState.OPEN
    assert transition.reopened
    assert transition.offer_states() == {MARIA: WITHDRAWN}
    assert told(transition) == {REQUESTER: Notice.HELPER_WITHDREW}


def test_withdrawing_one_of_two_accepted_keeps_it_open_and_tells_the_requester() -> None:
    transition = withdraw(request(needed=3), offers(maria=ACCEPTED, jonas=ACCEPTED), MARIA, NOW)
    assert transition.after is RequestState.OPEN
    assert not transition.reopened
    assert told(transition) == {REQUESTER: Notice.HELPER_WITHDREW}


@pytest.mark.parametrize(
    ("mine", "words"),
    [
        ({}, "hast du nichts angeboten"),
        ({"maria": WITHDRAWN}, "schon zurückgezogen"),
        ({"maria": DECLINED}, "nicht mehr gebraucht"),
    ],
)
def test_nothing_to_withdraw(mine: dict[str, OfferState], words: str) -> None:
    error = refused(withdraw, request(), offers(**mine), MARIA, NOW)
    assert error.problem is Problem.NO_OFFER
    assert words in error.de
    assert "`!übernehme 12`" in error.de and "`!offer 12`" in error.en


def test_no_withdrawing_once_it_has_begun() -> None:
    error = refused(withdraw, request(RequestState.FILLED), offers(maria=ACCEPTED), MARIA, START + timedelta(hours=1))
    assert error.problem is Problem.STARTED


# accept --------------------------------------------------------------------------------------------------


def test_accepting_the_only_place_fills_the_request_and_thanks_the_others() -> None:
    transition = accept(request(), offers(maria=OFFERED, jonas=OFFERED, lea=WITHDRAWN), REQUESTER, [MARIA], False, NOW)
    assert transition.after is RequestState.FILLED
    assert transition.offer_states() == {MARIA: ACCEPTED, JONAS: DECLINED}  # a withdrawn offer stays withdrawn
    assert told(transition) == {MARIA: Notice.ACCEPTED, JONAS: Notice.NOT_NEEDED}  # not the requester: it was her


def test_accepting_fewer_than_needed_keeps_it_open_and_the_others_waiting() -> None:
    first = accept(request(needed=2), offers(maria=OFFERED, jonas=OFFERED, lea=OFFERED), REQUESTER, [MARIA], False, NOW)
    assert first.after is RequestState.OPEN
    assert first.offer_states() == {MARIA: ACCEPTED}
    assert told(first) == {MARIA: Notice.ACCEPTED}

    second = accept(request(needed=2), offers(maria=ACCEPTED, jonas=OFFERED, lea=OFFERED), REQUESTER, [LEA], False, NOW)
    assert second.after is RequestState.FILLED
    assert second.offer_states() == {LEA: ACCEPTED, JONAS: DECLINED}
    assert told(second) == {LEA: Notice.ACCEPTED, JONAS: Notice.NOT_NEEDED}


def test_accepting_several_at_once_and_a_name_twice() -> None:
    transition = accept(
        request(needed=2), offers(maria=OFFERED, jonas=OFFERED), REQUESTER, [MARIA, JONAS, MARIA], False, NOW
    )
    assert transition.after is RequestState.FILLED
    assert transition.offer_states() == {MARIA: ACCEPTED, JONAS: ACCEPTED}


def test_the_coordination_may_accept_and_the_requester_hears_of_it() -> None:
    transition = accept(request(), offers(maria=OFFERED), COORDINATOR, [MARIA], True, NOW)
    assert transition.after is RequestState.FILLED
    assert told(transition) == {MARIA: Notice.ACCEPTED, REQUESTER: Notice.HELPERS_CHOSEN}


def test_others_may_not_accept() -> None:
    error = refused(accept, request(), offers(maria=OFFERED), STRANGER, [MARIA], False, NOW)
    assert error.problem is Problem.NOT_ALLOWED
    assert isinstance(error.error, Forbidden)  # a refusal, not a mistake: no usage line
    assert "dürfen nur, wer sie angefragt hat" in error.de and "und die Koordination" in error.de
    assert "`!übernehme 12`" in error.de  # what the stranger can do instead


def test_only_people_who_offered_can_be_accepted() -> None:
    error = refused(
        accept, request(needed=3), offers(maria=OFFERED, lea=WITHDRAWN), REQUESTER, [JONAS, LEA], False, NOW
    )
    assert error.problem is Problem.NOT_OFFERED
    assert f"{JONAS}, {LEA} haben nicht angeboten" in error.de
    assert f"Angeboten hat: {MARIA}" in error.de and f"`!zusage 12 {MARIA}`" in error.de
    assert f"`!accept 12 {MARIA}`" in error.en


def test_accepting_someone_twice_says_so() -> None:
    error = refused(accept, request(needed=2), offers(maria=ACCEPTED), REQUESTER, [MARIA], False, NOW)
    assert error.problem is Problem.ALREADY_ACCEPTED
    assert f"{MARIA} ist schon zugesagt" in error.de
    assert "`!übernehme 12`" in error.de  # nobody is waiting: say how offers come in


def test_not_more_than_still_needed() -> None:
    error = refused(
        accept,
        request(needed=2),
        offers(maria=ACCEPTED, jonas=OFFERED, lea=OFFERED),
        REQUESTER,
        [JONAS, LEA],
        False,
        NOW,
    )
    assert error.problem is Problem.TOO_MANY
    assert "nur noch 1 Person gebraucht" in error.de and "du hast 2 genannt" in error.de
    assert f"`!zusage 12 {JONAS}`" in error.de
    assert "needs only 1 more" in error.en


def test_accept_needs_a_name() -> None:
    error = refused(accept, request(), offers(maria=OFFERED), REQUESTER, [], False, NOW)
    assert error.problem is Problem.NO_TARGETS
    assert f"`!zusage 12 {MARIA}`" in error.de


def test_no_accepting_once_it_has_begun() -> None:
    error = refused(accept, request(), offers(maria=OFFERED), REQUESTER, [MARIA], False, START)
    assert error.problem is Problem.STARTED


# cancel --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("state", [RequestState.OPEN, RequestState.FILLED])
def test_cancel_tells_everyone_still_involved(state: RequestState) -> None:
    involved = offers(maria=ACCEPTED, jonas=OFFERED, lea=WITHDRAWN, tom=DECLINED)
    transition = cancel(request(state), REQUESTER, False, NOW, offers=involved)
    assert transition.after is RequestState.CANCELLED
    assert transition.offers == ()  # offers stay as the record of who did what
    assert told(transition) == {MARIA: Notice.CANCELLED, JONAS: Notice.CANCELLED}


def test_cancel_by_the_coordination_tells_the_requester_too() -> None:
    transition = cancel(request(), COORDINATOR, True, NOW, offers=offers(maria=OFFERED))
    assert told(transition) == {REQUESTER: Notice.CANCELLED, MARIA: Notice.CANCELLED}


def test_others_may_not_cancel() -> None:
    error = refused(cancel, request(), MARIA, False, NOW, offers=offers(maria=OFFERED))
    assert error.problem is Problem.NOT_ALLOWED
    assert isinstance(error.error, Forbidden)
    assert "Vertretung #12 absagen oder Zusagen geben dürfen nur" in error.de


def test_cancel_is_possible_until_the_end() -> None:
    during = cancel(request(RequestState.FILLED), REQUESTER, False, START + timedelta(hours=1), offers=[])
    assert during.after is RequestState.CANCELLED
    error = refused(cancel, request(RequestState.FILLED), REQUESTER, False, END, offers=[])
    assert error.problem is Problem.OVER
    assert "schon vorbei" in error.de


# due_transition ------------------------------------------------------------------------------------------


def test_nothing_is_due_before_the_deadline() -> None:
    assert due_transition(request(), offers(maria=OFFERED), DEADLINE - timedelta(minutes=1)) is None


def test_expires_at_the_deadline_without_accepted_helpers() -> None:
    transition = due_transition(request(), offers(maria=OFFERED, jonas=WITHDRAWN), DEADLINE)
    assert transition is not None
    assert (transition.before, transition.after) == (RequestState.OPEN, RequestState.EXPIRED)
    assert told(transition) == {REQUESTER: Notice.EXPIRED, MARIA: Notice.EXPIRED}


def test_a_partly_filled_request_waits_past_the_deadline_and_is_done_after_the_end() -> None:
    partly = request(needed=2)
    assert due_transition(partly, offers(maria=ACCEPTED), DEADLINE + timedelta(hours=1)) is None
    assert due_transition(partly, offers(maria=ACCEPTED), END - timedelta(minutes=1)) is None
    transition = due_transition(partly, offers(maria=ACCEPTED, jonas=OFFERED), END)
    assert transition is not None
    assert transition.after is RequestState.DONE
    assert transition.tell == ()


def test_a_filled_request_is_done_after_the_end() -> None:
    filled = request(RequestState.FILLED)
    assert due_transition(filled, offers(maria=ACCEPTED), START + timedelta(hours=1)) is None
    transition = due_transition(filled, offers(maria=ACCEPTED), END + timedelta(hours=3))
    assert transition is not None and transition.after is RequestState.DONE


def test_an_open_request_nobody_was_accepted_for_expires_after_the_end() -> None:
    # E.g. the scheduler was down over the deadline: the end still ends it.
    late_deadline = replace(request(), deadline=START)
    transition = due_transition(late_deadline, [], END)
    assert transition is not None and transition.after is RequestState.EXPIRED
    assert told(transition) == {REQUESTER: Notice.EXPIRED}


@pytest.mark.parametrize("state", [RequestState.DONE, RequestState.EXPIRED, RequestState.CANCELLED])
def test_closed_requests_are_never_due(state: RequestState) -> None:
    assert due_transition(request(state), offers(maria=ACCEPTED), END + timedelta(days=1)) is None


def test_two_offers_by_one_person_are_a_bug_in_the_caller() -> None:
    twice: Sequence[OfferView] = [OfferView(MARIA, None, OFFERED), OfferView(MARIA, None, WITHDRAWN)]
    with pytest.raises(ValueError, match="two offers"):
        offer(request(), twice, JONAS, NOW)


# --- Balance ---------------------------------------------------------------------------------------------


def test_balance_counts_help_between_cities() -> None:
    result = balance(
        [
            ("Rastatt", "Bühl"),
            ("Rastatt", "Bühl"),  # two helpers for one request count twice
            ("Baden-Baden", "Rastatt"),
            ("Bruchsal", None),
            (None, "Bühl"),
            ("Bühl", "Bühl"),  # help within a city is no help between cities
        ]
    )
    assert result == [
        CityBalance("Baden-Baden", helped=1, was_helped=0),
        CityBalance("Bruchsal", helped=1, was_helped=0),
        CityBalance("Bühl", helped=0, was_helped=3),
        CityBalance("Rastatt", helped=2, was_helped=1),
        CityBalance(None, helped=1, was_helped=1),
    ]


def test_balance_of_nothing_is_empty() -> None:
    assert balance([]) == []


# --- Texts -----------------------------------------------------------------------------------------------


def _schedule_without_length(text: str, *, now: datetime, tz: ZoneInfo) -> Schedule:
    return Schedule(START, timedelta(0), None, "Stand")


def _end_before_start() -> object:
    """parse_schedule refuses such spans itself; the rule's own check is for a parser that one day would not."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(rules, "parse_schedule", _schedule_without_length)
        return parse_request("12.12. 10 Uhr Stand", now=NOW, tz=BERLIN)


def _asking(phrase: str) -> Callable[[], object]:
    return lambda: parse_request(phrase, now=NOW, tz=BERLIN)


def _accepting(
    asked: RequestView, offered: list[OfferView], targets: list[str], actor: str = REQUESTER
) -> Callable[[], object]:
    return lambda: accept(asked, offered, actor, targets, False, NOW)


# Every error the rules raise, each variant once: (what, a call that raises it).
EVERY_ERROR: list[tuple[str, Callable[[], object]]] = [
    *((phrase or "empty", _asking(phrase)) for phrase, _, _ in INVALID),
    ("topic too long", _asking("12.12. 10-16 Uhr Stand #" + "a" * 61)),
    ("too many topics", _asking("12.12. 10-16 Uhr Stand " + " ".join(f"#Thema{i}" for i in range(31)))),
    ("29 February gone", _asking("29.2.2024 Stand")),
    ("end before start", _end_before_start),
    ("offer when done", lambda: offer(request(RequestState.DONE), [], MARIA, NOW)),
    ("offer when expired", lambda: offer(request(RequestState.EXPIRED), [], MARIA, NOW)),
    ("accept when cancelled", _accepting(request(RequestState.CANCELLED), [], [MARIA])),
    ("offer when filled", lambda: offer(request(RequestState.FILLED), [], MARIA, NOW)),
    ("accept when filled", _accepting(request(RequestState.FILLED), [], [MARIA])),
    ("accept when all filled", _accepting(request(RequestState.FILLED, needed=3), [], [MARIA])),
    ("begun", lambda: offer(request(), [], MARIA, START)),
    ("own request", lambda: offer(request(), [], REQUESTER, NOW)),
    ("accepted already", lambda: offer(request(), offers(maria=ACCEPTED), MARIA, NOW)),
    ("offered already", lambda: offer(request(), offers(maria=OFFERED), MARIA, NOW)),
    ("nothing to withdraw", lambda: withdraw(request(), [], MARIA, NOW)),
    ("withdrawn already", lambda: withdraw(request(), offers(maria=WITHDRAWN), MARIA, NOW)),
    ("not needed", lambda: withdraw(request(), offers(maria=DECLINED), MARIA, NOW)),
    ("others may not", _accepting(request(), offers(maria=OFFERED), [MARIA], actor=STRANGER)),
    ("one did not offer", _accepting(request(), offers(maria=OFFERED), [JONAS])),
    ("several did not offer, several accepted, several waiting", _accepting(
        request(needed=5), offers(maria=ACCEPTED, jonas=ACCEPTED, lea=OFFERED, tom=OFFERED),
        [MARIA, JONAS, COORDINATOR, "@zoe:example.org"],
    )),
    ("one accepted, nobody waiting", _accepting(request(needed=2), offers(maria=ACCEPTED), [MARIA])),
    ("nobody named", _accepting(request(), [], [])),
    ("one more needed", _accepting(
        request(needed=2), offers(maria=ACCEPTED, jonas=OFFERED, lea=OFFERED), [JONAS, LEA]
    )),
    ("two more needed", _accepting(
        request(needed=2), offers(jonas=OFFERED, lea=OFFERED, tom=OFFERED), [JONAS, LEA, STRANGER]
    )),
    ("over", lambda: cancel(request(), REQUESTER, False, END, offers=[])),
]  # fmt: skip


def _keys(error: UserError) -> set[str]:
    """The message keys an error is rendered from: its own, its parts' and its examples'."""
    keys = {error.key}
    for value in error.params.values():
        if isinstance(value, UserError):
            keys |= _keys(value)
        elif isinstance(value, Example):
            keys.add(value.key)
    return keys


@pytest.mark.parametrize("call", [call for _, call in EVERY_ERROR], ids=[name for name, _ in EVERY_ERROR])
def test_every_rule_error_has_its_texts(call: Callable[[], object]) -> None:
    error = refused(call).error
    for language in LANGUAGES:
        for prefix in ("!", "?"):
            text = render(error, CATALOG, language, prefix)  # KeyError: a key or a parameter the catalog lacks
            assert "`!" not in text.replace(f"`{prefix}", ""), "an example without the configured prefix"


def test_every_text_of_the_rules_is_used() -> None:
    used = set().union(*(_keys(refused(call).error) for _, call in EVERY_ERROR))
    own = {key for key in used if not key.startswith("schedule.")}  # a date mistake nests the date grammar's text
    assert own == set(rule_texts.MESSAGES) | {"rights.substitution"}


def test_examples_show_the_configured_prefix() -> None:
    error = _refusal("12.12. 10 Uhr Digitaltag").error
    assert "`?vertretung 12.12. 10:00 Uhr für 2 Stunden Digitaltag` oder `?vertretung 12.12. 10-16 Uhr" in shown(
        error, "de", prefix="?"
    )
    assert "`?cover 12.12. all day Digitaltag`" in shown(error, "en", prefix="?")


def test_the_persons_words_are_escaped_in_the_text_and_literal_in_examples() -> None:
    stranger = "@_tom_:example.org"
    error = refused(accept, request(), offers(maria=OFFERED), REQUESTER, [stranger], False, NOW).error
    html = render_html(render(error, CATALOG, "de", "!"))
    assert f"{stranger} hat nicht angeboten" in html and "<em>" not in html
    assert f"<code>!zusage 12 {MARIA}</code>" in html

    title = "*Stand* [Anmeldung](https://evil.example)"
    html = render_html(render(_refusal(f"12.12. 10 Uhr {title}").error, CATALOG, "de", "!"))
    assert f"<code>!vertretung 12.12. ganztägig {title}</code>" in html
    assert "<em>" not in html and "<a " not in html
