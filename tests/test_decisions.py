"""The decision log, minutes and action items through the dispatcher (SQLite and PostgreSQL): logging with
context, revising with permissions, searching with filters and scopes, minutes, reminders, exports and the
yearly report. Nothing a command does deletes anything."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest

from bot.dispatch import IncomingMessage, Quoted
from bot.replies import Reply, html_to_plain, message_content, render_html
from commands.decisions import ActionJobs
from storage import Database
from storage import decisions as decision_storage
from tests.harness import BERLIN, GROUP_ROOM, NETWORK, Bot

SENSORIK_ROOM, COORD_ROOM, DM = "!sensorik:example.org", "!koordination:example.org", "!dm-koord:example.org"
ANNA, BEN, KOORD = "@anna:buehl.de", "@ben:rastatt.de", "@koord:example.org"
ROOMS = {GROUP_ROOM: "Engagementplattform", SENSORIK_ROOM: "Sensorik"}


@pytest.fixture
async def bot(db: Database, tmp_path: Path) -> AsyncIterator[Bot]:
    yield Bot(db, tmp_path, room_groups=ROOMS, coordinators=(KOORD,))


async def test_log_as_reply_keeps_the_context_and_shows_it_with_history(bot: Bot) -> None:
    quote = Quoted("$orig", BEN, "Sollen wir die Plattform ab Januar für alle Vereine öffnen?")
    reply = await bot.say(
        ANNA, "!beschluss Plattform wird ab 1.1. für alle Vereine geöffnet #Vereine #Onboarding", quoting=quote
    )
    assert "Beschluss #1 festgehalten (Gruppe Engagementplattform)" in reply
    shown = await bot.say(BEN, "!beschluss 1")
    assert "Beschluss #1 (gültig)" in shown and "Plattform wird ab 1.1. für alle Vereine geöffnet" in shown
    assert "Schlagworte: #Vereine, #Onboarding" in shown
    assert "Sollen wir die Plattform ab Januar" in shown and "festgehalten" in shown
    content = await bot.reply(BEN, "!beschluss 1")
    assert "matrix.to/#/" in content.markdown, "the permalink to the command"
    assert "hat dazu" in await bot.say(BEN, "!werweiss Vereine") or "Beschlüssen" in await bot.say(
        BEN, "!werweiss Vereine"
    )


async def test_edited_or_deleted_source_message_is_noted_and_our_copy_kept(bot: Bot) -> None:
    await bot.say(ANNA, "!beschluss Wir nehmen Angebot B", quoting=Quoted("$src", BEN, "Angebot B kostet 5.000 €"))
    edit = IncomingMessage(
        GROUP_ROOM, "$edit", BEN, "", bot.clock.now(), changes="$src", new_body="Angebot B kostet 9.000 €"
    )
    assert await bot.dispatcher.handle(edit) is None
    shown = await bot.say(ANNA, "!beschluss 1")
    assert "5.000 €" in shown and "bearbeitet" in shown
    redaction = IncomingMessage(GROUP_ROOM, "$red", BEN, "", bot.clock.now(), changes="$src", new_body=None)
    await bot.dispatcher.handle(redaction)
    shown = await bot.say(ANNA, "!beschluss 1")
    assert "5.000 €" in shown and "gelöscht" in shown and "Quellnachricht gelöscht" in shown


async def test_supersede_and_revoke_only_by_author_or_coordinator_and_never_deleted(bot: Bot) -> None:
    await bot.say(ANNA, "!beschluss Jour fixe dienstags #Termine")
    refused = await bot.say(BEN, "!beschluss ersetzen 1 Jour fixe mittwochs")
    assert "Beschluss #1 ersetzen oder aufheben dürfen nur, wer ihn festgehalten hat" in refused
    assert "#2 ersetzt #1" in await bot.say(ANNA, "!beschluss ersetzen 1 Jour fixe mittwochs")
    assert "schon ersetzt" in await bot.say(ANNA, "!beschluss aufheben 1 doppelt") and "#2" in await bot.say(
        ANNA, "!beschluss aufheben 1 doppelt"
    )
    assert "Warum" in await bot.say(KOORD, "!beschluss aufheben 2", room=GROUP_ROOM)
    assert "aufgehoben" in await bot.say(KOORD, "!beschluss aufheben 2 Termin entfällt ganz")
    found = await bot.say(BEN, "!beschluesse Jour")
    assert "Keine Beschlüsse gefunden" in found and "2 weitere sind ersetzt oder aufgehoben" in found
    history = await bot.say(BEN, "!beschluesse Jour status:alle")
    assert "#1" in history and "#2" in history and "(ersetzt)" in history and "(aufgehoben)" in history
    shown = await bot.say(BEN, "!beschluss 2")
    assert "Ersetzt #1" in shown and "Aufgehoben: Termin entfällt ganz" in shown


async def test_search_filters_scope_and_errors(bot: Bot) -> None:
    await bot.say(ANNA, "!beschluss E-Rechnung ab Januar für alle Rechnungen #XRechnung")
    bot.clock.set(datetime(2026, 11, 25, 10, tzinfo=BERLIN))
    await bot.say(ANNA, "!beschluss Sensoren am Rathaus tauschen #Wartung", room=SENSORIK_ROOM)
    await bot.say(ANNA, "!beschluss Newsletter monatlich #Kommunikation")
    in_group = await bot.say(BEN, "!beschluesse rechnung")
    assert "#1" in in_group and "#2" not in in_group, "a group room searches its group; parts of compounds match"
    assert "#3" in await bot.say(BEN, "!beschluesse seit:24.11.2026")
    assert "#1" not in await bot.say(BEN, "!beschluesse seit:24.11.2026")
    assert "#3" in await bot.say(BEN, "!beschluesse #kommunikation") and "#1" not in await bot.say(
        BEN, "!beschluesse #kommunikation"
    )
    assert "Koordination" in await bot.say(BEN, "!beschluesse gruppe:Sensorik")
    everywhere = await bot.say(KOORD, "!beschluesse", room=DM)
    assert all(f"#{n}" in everywhere for n in (1, 2, 3)), "coordinators search all groups in a direct message"
    assert "#2" in await bot.say(KOORD, "!beschluesse gruppe:sensorik", room=DM)
    assert "grupe" in await bot.say(BEN, "!beschluesse grupe:Sensorik")
    assert "seit" in await bot.say(BEN, "!beschluesse seit:32.13.")
    assert "keine Seitenzahl" in await bot.say(BEN, "!beschluesse seite:x")


async def test_paging(bot: Bot) -> None:
    for n in range(12):
        await bot.say(ANNA, f"!beschluss Punkt {n} zur Plattform")
    first = await bot.say(BEN, "!beschluesse Plattform")
    assert first.startswith("12 Beschlüsse – ") and "seite:2" in first and "#12" in first and "#2 " not in first
    second = await bot.say(BEN, "!beschluesse Plattform seite:2")
    assert "#1" in second and "#2" in second and "#12" not in second


async def test_best_matches_first_and_many_hits_by_date(bot: Bot, monkeypatch: pytest.MonkeyPatch) -> None:
    await bot.say(ANNA, "!beschluss Die Rechnung des Caterers zahlen wir sofort")
    await bot.say(ANNA, "!beschluss Keine Papierrechnungen mehr ab 2027")
    await bot.say(ANNA, "!beschluss Die XRechnung wird Pflicht")
    found = await bot.say(BEN, "!beschluesse Rechnung")
    assert found.startswith("3 Beschlüsse – ") and found.index("#1 ") < found.index("#3 ") < found.index("#2 "), (
        "the word, then parts"
    )
    assert "die besten Treffer zuerst" in await bot.say(BEN, "!hilfe !beschluesse")
    monkeypatch.setattr(decision_storage, "RANK_LIMIT", 2)
    many = await bot.say(BEN, "!beschluesse Rechnung")
    assert (
        "Mehr als 2 Beschlüsse – Gruppe Engagementplattform, „Rechnung“, nur gültige; die neuesten zuerst" in many
        and many.index("#3 ") < many.index("#2 ") < many.index("#1 ")
    )
    await bot.say(ANNA, "!beschluss aufheben 3 doppelt")
    await bot.say(ANNA, "!beschluss aufheben 2 doppelt")
    hidden = await bot.say(BEN, "!beschluesse Rechnung")
    assert hidden.startswith("1 Beschluss – ") and "Weitere sind ersetzt oder aufgehoben" in hidden


async def test_who_may_log_coordinators_only(db: Database, tmp_path: Path) -> None:
    bot = Bot(db, tmp_path, room_groups=ROOMS, coordinators=(KOORD,), decisions_by_coordinators_only=True)
    assert "nur die Koordination" in await bot.say(ANNA, "!beschluss Etwas")
    assert "nur die Koordination" in await bot.say(ANNA, "!sitzung start")
    assert "festgehalten" in await bot.say(KOORD, "!beschluss Etwas")


async def test_minutes_session_with_items_undo_and_file(bot: Bot) -> None:
    assert "läuft" in await bot.say(ANNA, "!sitzung start Jour fixe Engagement")
    assert "schon ein Protokoll" in await bot.say(BEN, "!sitzung start Nochmal")
    assert "Info 1" in await bot.say(ANNA, "!info 40 Vereine registriert")
    assert "Beschluss #1" in await bot.say(ANNA, "!beschluss Schulung im Februar")
    assert "Aufgabe #" in await bot.say(ANNA, "!aufgabe @ben:rastatt.de bis 15.12. Schulungsraum buchen")
    await bot.say(BEN, "!info Versehen")
    assert "Zurückgenommen: Info „Versehen“" in await bot.say(BEN, "!rueckgaengig")
    reply = await bot.reply(ANNA, "!sitzung ende")
    [attachment] = reply.attachments
    assert attachment.filename.startswith("protokoll-jour-fixe-engagement-") and attachment.filename.endswith(".md")
    text = attachment.data.decode()
    for expected in ("Jour fixe Engagement", "40 Vereine registriert", "Schulung im Februar", "Schulungsraum buchen"):
        assert expected in text
    assert "Versehen" not in text
    assert "kein Protokoll" in await bot.say(ANNA, "!info zu spät")


async def test_undoing_a_decision_in_the_minutes_revokes_it(bot: Bot) -> None:
    await bot.say(ANNA, "!sitzung start")
    await bot.say(ANNA, "!beschluss Falsch verstanden")
    assert "Beschluss #1 ist damit aufgehoben" in await bot.say(ANNA, "!rückgängig")
    assert "aufgehoben" in await bot.say(ANNA, "!beschluss 1")


async def test_action_items_listed_closed_and_reminded_on_the_due_day_once(bot: Bot) -> None:
    await bot.say(ANNA, "!aufgabe @ben:rastatt.de bis 24.11. Angebot einholen")
    await bot.say(ANNA, "!aufgabe @anna:buehl.de Flyer drucken")
    listed = await bot.say(BEN, "!aufgaben")
    assert "#1 Angebot einholen" in listed and "bis 24.11.2026" in listed and "Flyer drucken" in listed
    assert "Angebot" in await bot.say(BEN, "!aufgaben meine") and "Flyer" not in await bot.say(BEN, "!aufgaben meine")
    assert "Vergangenheit" in await bot.say(ANNA, "!aufgabe @ben:rastatt.de bis 1.1.2020 Altes")
    assert "So geht's" in await bot.say(ANNA, "!aufgabe Ohne Person")
    pill = await bot.say(ANNA, "!aufgabe Ben Müller: bis 30.11. Raum buchen", mentions=("@redi-bot:example.org", BEN))
    assert pill.startswith("Aufgabe #3 für Ben Müller bis 30.11.2026: Raum buchen"), "named as the pill showed"

    bot.clock.set(datetime(2026, 11, 24, 9, 0, 5, tzinfo=BERLIN))
    actions = bot.planner.of(ActionJobs)
    await actions.fire(1)
    await actions.fire(1)
    assert bot.sent_dms() == [(BEN, "⏰ Heute fällig – Aufgabe #1: Angebot einholen (Engagementplattform)")]

    assert "als erledigt melden dürfen nur, für wen sie ist, wer sie notiert hat" in await bot.say(
        "@eve:x.de", "!erledigt 1"
    )
    assert "erledigt" in await bot.say(BEN, "!erledigt 1")
    assert "schon erledigt" in await bot.say(BEN, "!erledigt 1")
    assert "Angebot" not in await bot.say(BEN, "!aufgaben")


async def test_export_files_and_yearly_report(bot: Bot) -> None:
    await bot.say(ANNA, "!beschluss Plattform öffnen; „Vereine“ zuerst #Vereine")
    await bot.say(ANNA, "!beschluss Sensoren tauschen", room=SENSORIK_ROOM)
    reply = await bot.reply(BEN, "!export beschluesse csv")
    [csv_file] = reply.attachments
    rows = list(csv.reader(io.StringIO(csv_file.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:4] == ["Nr", "Datum", "Gruppe", "Autor"]
    assert [r[0] for r in rows[1:]] == ["1"], "a group room exports its group only"
    assert "Plattform öffnen; „Vereine“ zuerst" in rows[1][4]
    md = (await bot.reply(KOORD, "!export beschluesse md 2026", room=DM)).attachments[0]
    assert md.filename.endswith(".md") and "Sensoren tauschen" in md.data.decode() and "Plattform" in md.data.decode()
    assert "So geht's" in await bot.say(BEN, "!export beschluesse pdf")

    for query in ("XRechnung", "xrechnung", "E-Akte", "XRechnung in Bühl"):
        await bot.say(BEN, f"!werweiss {query}")
    assert "Koordination" in await bot.say(BEN, "!jahresbericht 2026", room=DM)
    report = await bot.reply(KOORD, "!jahresbericht 2026", room=DM)
    assert "2 Beschlüsse" in report.markdown
    text = report.attachments[0].data.decode()
    assert "Engagementplattform" in text and "Sensorik" in text and "Plattform öffnen" in text
    assert "Meistgefragte Themen" in text
    assert text.index("XRechnung (3×)") < text.index("Akte (1×)"), "XRechnung asked three times, first"
    group_report = await bot.reply(BEN, "!jahresbericht", room=SENSORIK_ROOM)
    assert "Jahresbericht 2026 (Sensorik): 1 Beschluss. Die Datei hängt an." in group_report.markdown
    assert "ist kein Jahr" in await bot.say(BEN, "!jahresbericht 3000")


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("!beschluss 99", "Einen Beschluss #99 gibt es nicht"),
        ("!beschluss", "So hältst du einen Beschluss fest"),
        ("!beschluss #nurtag", "So hältst du einen Beschluss fest"),
        ("!beschluss ersetzen 1", "Was gilt stattdessen?"),
        ("!beschluss ersetzen x Text", "„x“ ist keine Zahl (Nr)"),
        ("!beschluesse bis:1.1.2026 seit:1.2.2026", "seit"),
        ("!beschluesse farbe:blau", "farbe"),
        ("!info ohne Sitzung", "kein Protokoll"),
        ("!rueckgaengig", "kein Protokoll"),
        ("!sitzung ende", "kein Protokoll"),
        ("!erledigt 42", "Eine offene Aufgabe #42 gibt es nicht"),
        ("!aufgabe @ben:rastatt.de bis 31.2. Unmöglich", "31.2."),
    ],
)
async def test_bad_input_gets_a_clear_answer(bot: Bot, command: str, expected: str) -> None:
    await bot.say(ANNA, "!beschluss Ein Beschluss")
    assert expected in await bot.say(ANNA, command)


# --- Messages as the people who get them read them (issue #13): the text body and the formatted body ------------

CLARA = "@clara:buehl.de"


def read(reply: Reply) -> tuple[str, str, list[str]]:
    """A reply as clients get it: the plain body, the formatted body, and who is pinged (m.mentions)."""
    content = message_content(reply)
    return content["body"], content["formatted_body"], list(content["m.mentions"].get("user_ids", []))


async def profiles(bot: Bot) -> None:
    """Anna and Clara have profiles with names; Ben too, and he asked to be pinged (`!erwähnen ja`)."""
    async with bot.db.transaction() as repos:
        for user, name in ((ANNA, "Anna Berger"), (BEN, "Ben Müller"), (CLARA, "Clara Schulz")):
            await repos.profiles.ensure(user, name)
        await repos.profiles.set_allow_mentions(BEN, True)


async def test_numbers_one_scheme_per_kind_shown_the_same_everywhere(bot: Bot) -> None:
    """Issue #13 saw "Info 1", "Beschluss #1", then "Aufgabe #3" for the first task of one meeting."""
    await bot.say(ANNA, "!sitzung start Jour fixe")
    assert await bot.say(ANNA, "!info 40 Vereine registriert") == "Notiert: Info 1 im Protokoll „Jour fixe“."
    assert (await bot.say(ANNA, "!beschluss Schulung im Februar")).startswith("Beschluss #1 festgehalten")
    first, html, _ = read(await bot.reply(ANNA, "!aufgabe @ben:rastatt.de bis 15.12. Schulungsraum buchen"))
    assert first.startswith("Aufgabe #1 für ") and first.endswith("Steht auch im Protokoll „Jour fixe“.")
    assert html.startswith("<p>Aufgabe #1 für <a href=")
    assert await bot.say(ANNA, "!info Raum 2 ist frei") == "Notiert: Info 2 im Protokoll „Jour fixe“."
    assert (await bot.say(ANNA, "!aufgabe @anna:buehl.de Flyer drucken")).startswith("Aufgabe #2 für ")
    assert await bot.say(ANNA, "!aufgabe @anna:buehl.de Versehen") != ""
    assert await bot.say(ANNA, "!rueckgaengig") == "Zurückgenommen: Aufgabe #3 „Versehen“."
    assert await bot.say(BEN, "!sitzung") == (
        "Protokoll „Jour fixe“ läuft seit Sa., 21.11.2026, 9:00 Uhr: 2 Infos, 1 Beschluss und 2 Aufgaben."
    )
    listed, html, _ = read(await bot.reply(BEN, "!aufgaben"))
    assert "• #1 Schulungsraum buchen – " in listed and "• #2 Flyer drucken – " in listed
    assert "<strong>#1</strong> Schulungsraum buchen" in html

    minutes = (await bot.reply(ANNA, "!sitzung ende")).attachments[0].data.decode()
    assert "### Infos\n\n1. 40 Vereine registriert" in minutes and "\n2. Raum 2 ist frei" in minutes
    assert "### Beschlüsse\n\n- **#1** Schulung im Februar" in minutes
    assert "- **#1** Schulungsraum buchen – zuständig:" in minutes and "- **#2** Flyer drucken" in minutes

    # The number people see is the one the reminder names and `!erledigt` takes.
    async with bot.db.transaction() as repos:
        first_item = await repos.minutes.get_action(1)
    assert first_item is not None and first_item.id == 3, "row 3: after the info and the decision entry"
    bot.clock.set(datetime(2026, 12, 15, 9, 0, 5, tzinfo=BERLIN))
    await bot.planner.of(ActionJobs).fire(first_item.id)
    assert bot.sent_dms() == [(BEN, "⏰ Heute fällig – Aufgabe #1: Schulungsraum buchen (Engagementplattform)")]
    assert await bot.say(BEN, "!erledigt 1") == "Aufgabe #1 ist erledigt. Danke!"
    assert "Eine offene Aufgabe #3 gibt es nicht" in await bot.say(ANNA, "!erledigt 3"), "#3 was taken back"
    assert "#2 Flyer drucken" in await bot.say(ANNA, "!aufgaben") and "#1" not in await bot.say(ANNA, "!aufgaben")


async def test_people_are_named_with_pills_and_pinged_only_if_they_asked(bot: Bot) -> None:
    """Issue #13 saw "Aufgabe #3 für @anna:localhost", "Bezieht sich auf @clara:localhost" and "zuständig:
    @anna\\:localhost" in the yearly report, while the minutes said "Anna Berger"."""
    await profiles(bot)
    body, html, pinged = read(await bot.reply(KOORD, "!aufgabe @anna:buehl.de bis 15.12. Angebot einholen"))
    assert body.startswith("Aufgabe #1 für Anna Berger bis 15.12.2026: Angebot einholen")
    assert '<a href="https://matrix.to/#/@anna:buehl.de">Anna Berger</a>' in html
    assert pinged == [], "a pill, but no ping: Anna did not say !erwähnen ja"
    body, html, pinged = read(await bot.reply(KOORD, "!aufgabe @ben:rastatt.de Raum buchen"))
    assert body.startswith("Aufgabe #2 für Ben Müller: Raum buchen") and pinged == [BEN], "Ben asked for pings"
    assert read(await bot.reply(BEN, "!aufgabe @ben:rastatt.de Notiz für mich"))[2] == [], "nobody pings themself"

    await bot.say(ANNA, "!beschluss DMS einführen", quoting=Quoted("$q", CLARA, "Nehmen wir das DMS?"))
    body, html, pinged = read(await bot.reply(BEN, "!beschluss 1"))
    assert "Bezieht sich auf Clara Schulz: „Nehmen wir das DMS?“" in body and ">Clara Schulz</a>: „Nehmen" in html
    assert "· Anna Berger" in body.splitlines()[0] and pinged == []
    found = await bot.say(BEN, "!beschluesse von:@anna:buehl.de")
    assert found.startswith("1 Beschluss – Gruppe Engagementplattform, von Anna Berger, nur gültige")
    await bot.say(ANNA, "!sitzung start Jour fixe")
    assert "begonnen Sa., 21.11.2026, 9:00 Uhr von Anna Berger." in await bot.say(BEN, "!sitzung start Noch eine")
    listed, html, pinged = read(await bot.reply(BEN, "!aufgaben"))
    assert "• #1 Angebot einholen – Anna Berger bis 15.12.2026" in listed and pinged == []
    # Someone without a profile is named as their client shows them, not by their Matrix id.
    body = await bot.say("@dora:bruchsal.de", "!aufgabe @dora:bruchsal.de Bericht", sender_name="Dora Fuchs")
    assert body.startswith("Aufgabe #4 für Dora Fuchs: Bericht")
    for text in (listed, found, body):
        assert "@anna:buehl.de" not in text and "@dora:bruchsal.de" not in text

    # Files name people so that readers can find them: the name and the Matrix id.
    report = (await bot.reply(KOORD, "!jahresbericht", room=DM)).attachments[0].data.decode()
    assert "zuständig: Anna Berger (@anna:buehl.de), bis 15.12.2026" in report
    assert "Anna Berger (@anna:buehl.de): DMS einführen" in report
    export = (await bot.reply(KOORD, "!export beschluesse md", room=DM)).attachments[0].data.decode()
    assert "Anna Berger (@anna:buehl.de): DMS einführen" in export
    minutes = (await bot.reply(ANNA, "!sitzung ende")).attachments[0].data.decode()
    assert "Teilnehmende: Anna Berger (@anna:buehl.de)" in minutes


async def test_search_headers_say_each_thing_once(bot: Bot) -> None:
    """Issue #13 saw "Beschlüsse – eAkte, „DMS“, Gruppe eAkte …" and "Keine Beschlüsse gefunden (Sensorik, „DMS“,
    Gruppe Sensorik …)"."""
    await bot.say(ANNA, "!beschluss Wir führen das DMS ein")
    for command in ("!beschluesse DMS gruppe:Engagementplattform", "!beschluesse DMS"):
        body, html, _ = read(await bot.reply(BEN, command))
        assert body.splitlines()[0] == "1 Beschluss – Gruppe Engagementplattform, „DMS“, nur gültige"
        assert html.startswith("<p><strong>1 Beschluss</strong> – Gruppe Engagementplattform, „DMS“, nur gültige</p>")
    none = await bot.say(BEN, "!beschluesse DMS gruppe:Sensorik", room=SENSORIK_ROOM)
    assert none == "Keine Beschlüsse gefunden (Gruppe Sensorik, „DMS“, nur gültige)."
    everywhere = await bot.say(KOORD, "!beschluesse DMS gruppe:Engagementplattform", room=DM)
    assert everywhere.splitlines()[0] == "1 Beschluss – Gruppe Engagementplattform, „DMS“, nur gültige"
    await bot.say(BEN, "!sprache en")
    english = await bot.say(BEN, "!decisions DMS group:Engagementplattform")
    assert english.splitlines()[0] == "1 decision – group Engagementplattform, “DMS”, in force only"


async def test_counts_read_right_for_one_and_for_many(bot: Bot) -> None:
    """Issue #13 saw "1 Protokolle, 1 offene Aufgaben" and "1 Beschlüsse"."""
    assert (await bot.say(KOORD, "!jahresbericht", room=DM)) == (
        "Jahresbericht 2026: keine Beschlüsse, Termine, Protokolle oder offenen Aufgaben. Die Datei hängt an."
    )
    await bot.say(ANNA, "!sitzung start Runde")
    await bot.say(ANNA, "!beschluss Eins")
    await bot.say(ANNA, "!aufgabe @ben:rastatt.de Raum buchen")
    await bot.say(ANNA, "!sitzung ende")
    assert await bot.say(BEN, "!export beschluesse csv") == "1 Beschluss als CSV-Datei."
    assert await bot.say(BEN, "!jahresbericht") == (
        "Jahresbericht 2026 (Engagementplattform): 1 Beschluss, 1 Protokoll und 1 offene Aufgabe. Die Datei hängt an."
    )
    await bot.say(ANNA, "!beschluss Zwei")
    await bot.say(ANNA, "!beschluss Drei")
    await bot.say(ANNA, "!beschluss aufheben 3 doppelt")
    assert await bot.say(BEN, "!export beschluesse md") == "3 Beschlüsse als MD-Datei."
    found = await bot.say(BEN, "!beschluesse")
    assert found.startswith("2 Beschlüsse – Gruppe Engagementplattform, nur gültige")
    assert found.endswith("1 weiterer ist ersetzt oder aufgehoben: mit status:alle siehst du auch den.")
    await bot.say(BEN, "!sprache en")
    assert await bot.say(BEN, "!jahresbericht") == (
        "Yearly report 2026 (Engagementplattform): 3 decisions, 1 set of minutes, and 1 open action item. "
        "The file is attached."
    )


async def test_network_room_decisions_are_the_networks_own_section_of_the_report(bot: Bot) -> None:
    """Issue #13: a `!beschluss` in the network room was found by `!beschluesse`, but the report said "0"."""
    await bot.say(KOORD, "!beschluss Netzwerktreffen zweimal im Jahr", room=NETWORK)
    await bot.say(ANNA, "!beschluss Plattform öffnen")
    assert "Netzwerktreffen" in await bot.say(KOORD, "!beschluesse", room=NETWORK)
    reply = await bot.reply(KOORD, "!jahresbericht", room=NETWORK)
    assert read(reply)[0] == "Jahresbericht 2026: 2 Beschlüsse. Die Datei hängt an."
    report = reply.attachments[0].data.decode()
    network = report.index("## Netzwerk (ohne Gruppe)")
    assert network < report.index("Netzwerktreffen zweimal im Jahr") < report.index("## Engagementplattform")
    assert "| Netzwerk (ohne Gruppe) | 1 | 0 | 0 | 0 |" in report and "| **Summe** | **2** |" in report
    assert "## Sensorik" not in report and "Ohne Einträge im Jahr 2026: Fachgruppe, " in report
    group = (await bot.reply(ANNA, "!jahresbericht")).attachments[0].data.decode()
    assert "Netzwerktreffen" not in group and "Netzwerk" not in group, "a group's report is the group's"


async def test_report_lists_the_meetings_held_and_leaves_out_quiet_groups(bot: Bot) -> None:
    await bot.say(ANNA, "!termin jeden Dienstag 10 Uhr Jour fixe Plattform")
    bot.clock.set(datetime(2026, 12, 10, 12, 0, tzinfo=BERLIN))
    reply = await bot.reply(KOORD, "!jahresbericht", room=DM)
    assert read(reply)[0] == "Jahresbericht 2026: 3 Termine. Die Datei hängt an.", "held, not planned"
    report = reply.attachments[0].data.decode()
    assert "### Termine (3)\n\n- Jour fixe Plattform: 24.11., 1.12., 8.12." in report
    assert report.count("\n## ") == 2, "the overview and the one group that met"


async def test_files_read_cleanly_in_an_editor(bot: Bot) -> None:
    """Issue #13 saw "Sa\\., 28\\.11\\.2026, 22\\:29", "Online\\-Bürgerservice" and "\\#eAkte" in the files."""
    text = "Online-Bürgerservice ab Sa., 28.11.2026, 22:29 live, #eAkte für Mitarbeiter*innen"
    await bot.say(ANNA, "!sitzung start Jour fixe Online-Bürgerservice")
    await bot.say(ANNA, f"!info {text}")
    await bot.say(ANNA, f"!beschluss {text}")
    await bot.say(ANNA, f"!aufgabe @ben:rastatt.de {text}")
    files = [
        (await bot.reply(ANNA, "!sitzung ende")).attachments[0],
        (await bot.reply(ANNA, "!export beschluesse md")).attachments[0],
        (await bot.reply(ANNA, "!jahresbericht")).attachments[0],
    ]
    for file in files:
        markdown = file.data.decode()
        assert "\\" not in markdown and text in markdown, file.filename
        assert text in html_to_plain(render_html(markdown)), "rendered, it reads the same"


async def test_people_without_a_profile_are_named_as_the_room_shows_them(bot: Bot) -> None:
    """No profile, no name of their own in the bot's records: lists and files still name them as the room does."""
    carl = "@carl:ettlingen.de"
    bot.member_names = {carl: "Carl Clemens", BEN: "Ben aus Rastatt"}
    await bot.say(ANNA, f"!aufgabe {carl} bis 15.12. Beamer reservieren")
    listed, html, _ = read(await bot.reply(BEN, "!aufgaben"))
    assert "#1 Beamer reservieren – Carl Clemens bis 15.12.2026" in listed and carl not in listed
    assert f'<a href="https://matrix.to/#/{carl}">Carl Clemens</a>' in html
    await bot.say(BEN, "!beschluss Beamer nur mit Reservierung")
    report = (await bot.reply(BEN, "!jahresbericht")).attachments[0].data.decode()
    assert f"Carl Clemens ({carl})" in report and f"Ben aus Rastatt ({BEN})" in report
    export = (await bot.reply(BEN, "!export beschluesse csv")).attachments[0].data.decode()
    assert "Ben aus Rastatt" in export
