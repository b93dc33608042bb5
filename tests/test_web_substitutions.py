"""The substitution board over real HTTP (SQLite and PostgreSQL): `/vertretungen` lists exactly what `!vertretungen`
lists for the same person, and its offer button is `!übernehme N [Notiz]`: the same record change, the same direct
message to the requester, the same refusals (own request, filled, closed, twice, a note too long), and nothing at all
from a forged form."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from markupsafe import Markup
from sqlalchemy import text

from bot.config import WebConfig
from bot.dispatch import OnBehalf
from bot.web import WebServer
from bot.web.pages import Pages
from bot.web.substitutions import Outcome, Outcomes
from storage import Database
from tests.harness import BERLIN, GROUP_ROOM, Bot
from tests.test_web import ANNA, BEN, KOORD, ROOMS, SENSORIK_ROOM, People, sign_in

CLARA = "@carol:bruchsal.de"  # in her own room only: no group at all, like any colleague who writes to the bot
REQUEST = "!vertretung 12.12. 10-16 Uhr Digitaltag Bühl, Stand Engagementplattform #Engagementplattform"
LATER = "!vertretung 14.12. 9-12 Uhr Sensorik-Workshop Rastatt"


class Board:
    def __init__(self, bot: Bot, url: str, people: People, actions: OnBehalf) -> None:
        self.bot, self.url, self.people, self.actions = bot, url, people, actions

    async def browser(self, user: str, *, room: str = GROUP_ROOM) -> aiohttp.ClientSession:
        await self.bot.say(user, "!web", room=room)
        sent_to, dm = self.bot.dms[-1]
        assert sent_to == user
        found = re.search(r"/anmelden/([A-Za-z0-9_-]+)", dm)
        assert found, dm
        http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        await sign_in(http, f"{self.url}/anmelden/{found.group(1)}")
        return http

    async def page(self, http: aiohttp.ClientSession, path: str = "/vertretungen") -> str:
        async with http.get(self.url + path) as response:
            text = await response.text()
            assert response.status == 200, text
            return text

    async def offer(
        self, http: aiohttp.ClientSession, number: int, note: str = "", *, csrf: str | None = None
    ) -> tuple[int, str]:
        """Press "Ich übernehme" (with the page's own CSRF token unless `csrf` is given); the status of the POST and
        the board it leads to."""
        if csrf is None:
            csrf = _csrf(await self.page(http))
        async with http.post(
            f"{self.url}/vertretungen/{number}/uebernehmen", data={"csrf": csrf, "notiz": note}, allow_redirects=False
        ) as response:
            status, text = response.status, await response.text()
        await self.actions.settled()  # the direct messages go out in the background, as a moment later in chat
        if status != 303:
            return status, text
        assert response.headers["Location"] == "/vertretungen#ergebnis"
        return status, await self.page(http)

    def dms_to(self, user: str) -> list[str]:
        """What the bot sent to this person's direct chat (the recording transport's `!dm-<user>`)."""
        bodies = [str(c.get("body", "")) for room, c, _ in self.bot.transport.sent if room == f"!dm-{user}"]
        return [body for body in bodies if "/anmelden/" not in body]  # not the sign-in links


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert found, page
    return found.group(1)


def _text(page: str) -> str:
    """The page as a person reads it: tags gone, entities decoded, spaces collapsed (none before a full stop or comma,
    where an inline tag ended)."""
    return re.sub(r" ([.,;])", r"\1", " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split()))


def _chat(reply: str) -> str:
    """A chat reply's plain body as the page shows the same Markdown rendered: without Markdown's escapes and marks."""
    return " ".join(re.sub(r"\\(.)", r"\1", reply).replace("`", "").replace("**", "").split())


def _listed(page: str) -> list[int]:
    """The request numbers of the board's main list, in order."""
    main = page.split('id="meine"')[0]
    return [int(n) for n in re.findall(r'<li class="request \w+" id="anfrage-(\d+)"', main)]


@pytest.fixture
async def board(db: Database, tmp_path: Path) -> AsyncIterator[Board]:
    bot = Bot(db, tmp_path, room_groups=ROOMS, coordinators=(KOORD,), web=WebConfig("127.0.0.1", 0, "http://x"))
    people = People()
    people.rooms[CLARA] = {"!privat:example.org"}
    people.names[CLARA] = "Clara Weiß"
    for user, city in ((ANNA, "Bühl"), (BEN, "Rastatt"), (CLARA, "Bruchsal")):
        await bot.say(user, f"!stadt {city}")
    config = bot.config.web
    assert config is not None
    actions = OnBehalf(bot.dispatcher, bot.outbox)  # as bot.app wires it: the buttons run chat's commands
    pages = Pages(lambda: bot.config, bot.db, people, bot.clock, bot.dispatcher.catalog, actions=actions)
    server = WebServer(config, bot.db, people, bot.clock, server="example.org", name=lambda _: "re@di", pages=pages)
    await server.start()
    try:
        yield Board(bot, f"http://127.0.0.1:{server.port}", people, actions)
    finally:
        await server.stop()


async def _three_requests(bot: Bot) -> None:
    """#1 Anna's (group Engagementplattform), #2 Ben's (group Sensorik), #3 Anna's, cancelled."""
    assert "#1 eingetragen" in await bot.say(ANNA, REQUEST)
    assert "#2 eingetragen" in await bot.say(BEN, LATER, room=SENSORIK_ROOM)
    assert "#3 eingetragen" in await bot.say(ANNA, "!vertretung 15.12. 9-10 Uhr Absage-Test")
    assert "abgesagt" in await bot.say(ANNA, "!vertretung absagen 3")


async def test_the_board_lists_what_vertretungen_lists_for_each_person(board: Board) -> None:
    await _three_requests(board.bot)
    async with aiohttp.ClientSession() as stranger, stranger.get(f"{board.url}/vertretungen") as response:
        assert response.status == 401 and "Bitte anmelden" in await response.text()

    for user, room in ((ANNA, GROUP_ROOM), (BEN, SENSORIK_ROOM), (CLARA, "!privat:example.org")):
        chat = await board.bot.say(user, "!vertretungen", room=room)
        in_chat = [int(n) for n in re.findall(r"^• #(\d+)", chat, re.MULTILINE)]
        async with await board.browser(user, room=room) as http:
            page = await board.page(http)
            english = await board.page(http, "/substitutions")
        assert _listed(page) == in_chat == [1, 2], f"{user}: the same requests as chat, soonest first, none closed"
        assert english == page, "/substitutions is the same board"
        shown = _text(page)
        assert "Digitaltag Bühl, Stand Engagementplattform" in shown and "Sensorik-Workshop Rastatt" in shown
        assert "Absage-Test" not in shown, "a cancelled request is not on the board, as in chat"
        assert "Sa., 12.12.2026, 10:00–16:00 Uhr" in shown and "Mo., 14.12.2026, 9:00–12:00 Uhr" in shown
        assert "Angefragt von Anna Berger" in shown and "Angefragt von Ben Roth" in shown, "names as chat shows them"
        assert "Stadt Bühl" in shown and "Stadt Rastatt" in shown and "#Engagementplattform" in shown
        assert "Antwort bis Fr., 11.12.2026, 18:00 Uhr" in shown and "offen" in shown
        assert 'aria-current="page"' in page and 'href="/vertretungen"' in page

    async with await board.browser(ANNA) as anna:
        page = await board.page(anna)
    shown = _text(page)
    assert 'action="/vertretungen/1/uebernehmen"' not in page, "no button on her own request"
    assert 'action="/vertretungen/2/uebernehmen"' in page and "Ich übernehme #2" in shown
    assert "Deine Anfrage." in shown and "!zusage 1 @name" in shown
    mine = shown.split("Meine Anfragen")[1].split("Meine Angebote")[0]
    assert "#1 Digitaltag" in mine and "#2" not in mine
    assert "keiner offenen Anfrage angeboten" in shown


async def test_requests_are_network_wide_so_another_groups_request_is_offered_on_as_in_chat(board: Board) -> None:
    """Substitutions are help between cities: chat lists and takes offers on every group's requests from everybody,
    so the board does too (a group-less colleague included); what decides is `!übernehme`'s rules, not the group."""
    await _three_requests(board.bot)
    async with await board.browser(CLARA, room="!privat:example.org") as clara:
        status, page = await board.offer(clara, 2)
    assert status == 303 and "Dein Angebot für #2 ist notiert" in _text(page)
    assert "bietet an" in await board.bot.say(ANNA, "!vertretung 2")


async def test_the_offer_button_does_what_uebernehme_does_in_chat(board: Board) -> None:
    await _three_requests(board.bot)
    async with await board.browser(BEN, room=SENSORIK_ROOM) as ben:
        page = await board.page(ben)
        assert 'maxlength="500"' in page and "Notiz (freiwillig)" in page
        sent_before = len(board.bot.transport.sent)
        status, page = await board.offer(ben, 1, "  komme ab 11 Uhr <b>sicher</b>  ")
        shown = _text(page)
        assert status == 303 and 'role="status"' in page
        assert "Danke! Dein Angebot für #1 ist notiert;" in shown and "entscheidet, ich sag dir Bescheid" in shown
        assert "<b>sicher" not in page, "nothing anybody wrote becomes HTML"
        assert 'action="/vertretungen/1/uebernehmen"' not in page, "offered: no second button"
        assert "Du hast angeboten; Anna Berger entscheidet." in shown
        offers = shown.split("Meine Angebote")[1]
        assert "#1 Digitaltag" in offers and "Anna Berger" in offers
        assert _text(await board.page(ben)).count("Danke!") == 0, "the message is shown once, after the button"

    [dm] = board.dms_to(ANNA)
    assert "bietet an, dich bei #1 zu vertreten" in dm and "komme ab 11 Uhr <b>sicher</b>" in _chat(dm)
    async with board.bot.db.transaction() as repos:  # stored with the offer in its unit of work, then sent: once
        rows = await repos.privacy._session.execute(
            text("SELECT user_id, room_id, sent_at FROM outbox WHERE command_event_id LIKE '$web-%'")
        )
        assert [(user, room, sent is not None) for user, room, sent in rows] == [(ANNA, None, True)], (
            "only the direct message: the page showed the reply, no room got it"
        )
    assert "!zusage 1 @ben:rastatt.de" in _chat(dm), "the requester is told how to accept, as after the command"
    assert not [c for _, c, _ in board.bot.transport.sent[sent_before:] if "m.new_content" in c], "no edit, as chat"
    shown = await board.bot.say(ANNA, "!vertretung 1")
    assert "@ben:rastatt.de" in shown and "bietet an" in shown and "komme ab 11 Uhr" in _chat(shown), "the record"

    # The same as a chat offer: Clara's by command tells Anna in the same words.
    await board.bot.say(CLARA, "!übernehme 1 komme ab 11 Uhr", room="!privat:example.org")
    chat_dm = board.bot.dms[-1][1]
    assert chat_dm.split("@")[0] == dm.split("@")[0], "the same direct message, word for word up to the person"

    # The record change drives the scheduled jobs as chat's does: at the deadline both waiting offers hear of it.
    board.bot.clock.set(datetime(2026, 12, 11, 18, 0, 30, tzinfo=BERLIN))
    await board.bot.jobs.run(1)
    expired = {user for user, body in board.bot.sent_dms() if "abgelaufen" in body}
    assert expired == {ANNA, BEN, CLARA}


async def test_a_second_press_and_a_filled_own_or_closed_request_are_refused_as_chat_refuses(board: Board) -> None:
    await _three_requests(board.bot)
    async with await board.browser(BEN, room=SENSORIK_ROOM) as ben, await board.browser(ANNA) as anna:
        await board.offer(ben, 1)
        status, page = await board.offer(ben, 1)
        assert status == 303 and 'role="alert"' in page and "Nicht möglich" in page
        assert "Für Vertretung 1 hast du schon angeboten" in _text(page)
        assert len(board.dms_to(ANNA)) == 1, "the requester hears of the offer once"

        status, page = await board.offer(anna, 1)
        refusal = _chat(await board.bot.say(ANNA, "!übernehme 1"))
        assert refusal.startswith("Vertretung 1 ist deine eigene Anfrage") and refusal in _text(page)

        assert "besetzt" in await board.bot.say(ANNA, "!zusage 1 Ben")
        async with await board.browser(CLARA, room="!privat:example.org") as clara:
            listed = await board.page(clara)
            assert 'action="/vertretungen/1/uebernehmen"' not in listed and "besetzt" in _text(listed)
            status, page = await board.offer(clara, 1, "trotzdem")
            refusal = _chat(await board.bot.say(CLARA, "!übernehme 1", room="!privat:example.org"))
            assert "ist schon besetzt – danke trotzdem" in refusal and refusal in _text(page)
            status, page = await board.offer(clara, 3)
            assert "Vertretung 3 wurde abgesagt und damit abgeschlossen" in _text(page)
            status, page = await board.offer(clara, 999)
            assert "Eine Vertretung #999 gibt es nicht" in _text(page)
            status, page = await board.offer(clara, 0)
            assert status == 303 and 'role="alert"' in page
            status, page = await board.offer(clara, 2, "x" * 501)
            assert "Die Notiz ist zu lang: 501 Zeichen, höchstens 500" in _text(page)
            status, page = await board.offer(clara, 2, "ab\x00 11 Uhr\u202e")
            assert status == 303 and "Dein Angebot für #2 ist notiert" in _text(page), "control characters dropped"
    shown = await board.bot.say(ANNA, "!vertretung 1")
    assert "@carol:bruchsal.de" not in shown, "no refused press left a trace on the record"
    assert len(board.dms_to(ANNA)) == 1 and len(board.dms_to(BEN)) == 2  # Ben's offer; Ben's DMs: accepted, Clara's #2


async def test_a_forged_form_changes_nothing(board: Board) -> None:
    await _three_requests(board.bot)
    async with await board.browser(BEN, room=SENSORIK_ROOM) as ben:
        good = _csrf(await board.page(ben))
        for forged in ("0" * 64, "", good[:-1] + ("0" if good[-1] != "0" else "1")):
            status, page = await board.offer(ben, 1, csrf=forged)
            assert status == 403 and "Dieses Formular kam nicht von unserer Seite" in page
        async with ben.post(f"{board.url}/vertretungen/1/uebernehmen", data={"notiz": "ohne Token"}) as response:
            assert response.status == 403
        async with ben.post(
            f"{board.url}/vertretungen/1/uebernehmen",
            data={"csrf": good},
            headers={"Sec-Fetch-Site": "cross-site"},
            allow_redirects=False,
        ) as response:
            assert response.status == 403, "another site's form, even with a token it somehow has"
        async with ben.post(f"{board.url}/vertretungen/1/uebernehmen", data=b"\xff\xfe", headers={
            "Content-Type": "application/x-www-form-urlencoded"
        }) as response:  # fmt: skip
            assert response.status == 403
        async with ben.post(f"{board.url}/vertretungen/12345678901/uebernehmen", data={"csrf": good}) as response:
            assert response.status == 404, "no record number that long"
    async with (
        aiohttp.ClientSession() as stranger,
        stranger.post(f"{board.url}/vertretungen/1/uebernehmen", data={"csrf": good}) as response,
    ):
        assert response.status == 401, "not signed in: nothing happens"
    assert board.dms_to(ANNA) == [] and "noch niemand" in (await board.bot.say(ANNA, "!vertretung 1")).lower()


async def test_who_left_every_room_of_the_bot_loses_the_board_as_chat_would(board: Board) -> None:
    await _three_requests(board.bot)
    async with await board.browser(BEN, room=SENSORIK_ROOM) as ben:
        csrf = _csrf(await board.page(ben))
        board.people.rooms[BEN] = set()  # left (or was removed from) every room the bot is in, his direct chat too
        async with ben.get(f"{board.url}/vertretungen") as response:
            page = await response.text()
            assert response.status == 403 and "keinen Raum mit dem Bot" in page and "Digitaltag" not in page
        status, page = await board.offer(ben, 1, csrf=csrf)
        assert status == 403 and "keinen Raum mit dem Bot" in page
    assert board.dms_to(ANNA) == [], "nothing happened"


async def test_the_board_speaks_english_to_who_chose_it(board: Board) -> None:
    await _three_requests(board.bot)
    await board.bot.say(BEN, "!sprache en", room=SENSORIK_ROOM)
    async with await board.browser(BEN, room=SENSORIK_ROOM) as ben:
        page = await board.page(ben)
        assert 'lang="en"' in page and "I&#39;ll take #1" in page and "Open requests" in page
        status, page = await board.offer(ben, 1)
    assert status == 303 and "Your offer for #1 is noted" in _text(page)
    [dm] = board.dms_to(ANNA)
    assert "bietet an" in dm, "Anna reads German, as she set nothing else"


async def test_on_behalf_runs_any_command_as_typed_and_sends_what_it_sends_besides_its_reply(board: Board) -> None:
    """The entry point the buttons use, for the kinds of command the next buttons will run: a read-only one whose
    direct message is not stored (`!web`: the link goes out at once), and an unknown one (refused, nothing sent)."""
    actions = OnBehalf(board.bot.dispatcher, board.bot.outbox)
    sent = len(board.bot.transport.sent)
    performed = await actions.perform(ANNA, "web")
    await actions.settled()
    assert performed.done and "Direktnachricht" in performed.reply.markdown
    [(room, content, _)] = board.bot.transport.sent[sent:]
    assert room == f"!dm-{ANNA}" and "/anmelden/" in content["body"], "only the direct message, not the reply"
    refused = await actions.perform(ANNA, "uebernehmen 1")
    assert not refused.done and "kenne ich nicht" in refused.reply.markdown
    assert len(board.bot.transport.sent) == sent + 1


async def test_the_page_answers_at_once_while_the_homeserver_is_away_and_the_message_follows(board: Board) -> None:
    """The offer is taken when the button's POST returns; the direct message to the requester goes out when the
    homeserver takes it (the transport retries for minutes), not while the person watches a spinning page."""
    await _three_requests(board.bot)
    away = asyncio.Event()
    real = board.bot.transport.send

    async def unanswered(room_id: str, content: Any, **kwargs: Any) -> str:
        if room_id == f"!dm-{ANNA}":  # the requester's direct chat
            await away.wait()
        return await real(room_id, content, **kwargs)

    board.bot.transport.send = unanswered  # type: ignore[method-assign]
    async with await board.browser(BEN, room=SENSORIK_ROOM) as ben:
        csrf = _csrf(await board.page(ben))
        async with (
            asyncio.timeout(10),
            ben.post(f"{board.url}/vertretungen/1/uebernehmen", data={"csrf": csrf}, allow_redirects=False) as response,
        ):
            assert response.status == 303
        assert not board.dms_to(ANNA), "not out yet"
        away.set()
        async with asyncio.timeout(10):
            await board.actions.settled()
    [dm] = board.dms_to(ANNA)
    assert "bietet an, dich bei #1 zu vertreten" in dm
    assert "bietet an" in await board.bot.say(ANNA, "!vertretung 1"), "the offer is recorded"


async def test_a_double_click_shows_that_the_offer_was_taken(board: Board) -> None:
    await _three_requests(board.bot)
    async with await board.browser(BEN, room=SENSORIK_ROOM) as ben:
        csrf = _csrf(await board.page(ben))
        for _ in range(2):  # both presses arrive before the board is shown again
            async with ben.post(
                f"{board.url}/vertretungen/1/uebernehmen", data={"csrf": csrf}, allow_redirects=False
            ) as response:
                assert response.status == 303
        await board.actions.settled()
        shown = _text(await board.page(ben))
    assert "Dein Angebot für #1 ist notiert" in shown and "Nicht möglich" not in shown
    assert len(board.dms_to(ANNA)) == 1, "one offer, one message"


def test_only_a_double_click_keeps_the_first_outcome() -> None:
    outcomes, at = Outcomes(), datetime(2026, 12, 5, 9, tzinfo=UTC)
    taken = Outcome(Markup("notiert"), True, 1, at)
    for later, shown in (
        (Outcome(Markup("schon angeboten"), False, 1, at + timedelta(seconds=1)), taken),  # the same button twice
        (refused_other := Outcome(Markup("nein"), False, 2, at + timedelta(seconds=1)), refused_other),
        (refused_later := Outcome(Markup("nein"), False, 1, at + timedelta(minutes=5)), refused_later),
    ):
        outcomes.put(7, taken)
        outcomes.put(7, later)
        assert outcomes.take(7) == shown
