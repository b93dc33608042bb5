"""`redi-bot demo`: a throwaway Synapse on 127.0.0.1, the bot, two rooms and a terminal chat.

The terminal chat is a real Matrix client (the demo user): what you type goes through the homeserver
to the bot, and its replies come back the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import signal
import socket
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.app import build_app
from bot.config import load_config
from bot.dev.client import DevClient, ReceivedMessage
from bot.dev.homeserver import Homeserver, free_port

BOT_LOCALPART = "redi-bot"
DEMO_USER = "demo"
DEMO_PASSWORD = "demo-passwort"  # a throwaway server on loopback; printed for the user anyway

DEMO_CONFIG = """\
[matrix]
homeserver = "{homeserver}"
user_id = "@{bot}:{server}"
password = "{bot_password}"

[bot]
data_dir = "bot-data"
max_command_age_seconds = 900

[network]
network_room = "{network_room}"
coordinators = ["@{demo}:{server}"]

[rooms]
# The encrypted demo room plays the eAkte group's room (decisions, minutes and reports per group).
"{group_room}" = "eAkte"

[invites]
allowed_servers = ["{server}"]

[web]
# Calendar subscriptions (`!termine abo`) and the web pages (`!web`), on loopback.
listen = "127.0.0.1:{web_port}"
"""


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def _say(text: str = "") -> None:
    print(text, flush=True)


async def run_demo(*, port: int = 8008, chat: bool = True, workdir: Path | None = None) -> None:
    throwaway = workdir is None
    base = Path(tempfile.mkdtemp(prefix="redi-demo-")) if workdir is None else workdir
    base.mkdir(parents=True, exist_ok=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    _say("Starte lokalen Matrix-Testserver (Synapse) …")
    homeserver = await Homeserver.start(base / "synapse", port=port if _port_free(port) else None)
    bot_task: asyncio.Task[None] | None = None
    user: DevClient | None = None
    try:
        bot_password = "bot-" + DEMO_PASSWORD
        bot = await homeserver.register(BOT_LOCALPART, bot_password, displayname="re@di-Bot")
        demo = await homeserver.register(DEMO_USER, DEMO_PASSWORD, displayname="Demo-Nutzerin")
        user = await DevClient.login(homeserver.base_url, demo.user_id, DEMO_PASSWORD, base / "demo-store")
        room = await user.create_room(name="re@di Demo", invite=[bot.user_id])
        secret_room = await user.create_room(name="re@di Demo (verschlüsselt)", invite=[bot.user_id], encrypted=True)
        config_path = base / "config.toml"
        web_port = 8080 if _port_free(8080) else free_port()
        config_path.write_text(
            DEMO_CONFIG.format(
                homeserver=homeserver.base_url,
                bot=BOT_LOCALPART,
                server=homeserver.server_name,
                bot_password=bot_password,
                network_room=room,
                group_room=secret_room,
                demo=DEMO_USER,
                web_port=web_port,
            ),
            encoding="utf-8",
        )
        app = build_app(load_config(config_path, env={}))
        bot_task = asyncio.create_task(app.serve(stop))
        await user.wait_for_join(room, bot.user_id, timeout=60)
        await user.wait_for_join(secret_room, bot.user_id, timeout=60)

        _say()
        _say("✅ Der re@di-Bot läuft. / The bot is running.")
        _say(f"   Homeserver:  {homeserver.base_url}")
        _say(f"   Benutzer:    {demo.user_id}   Passwort: {DEMO_PASSWORD}")
        _say("   Räume:       „re@di Demo“ (Netzwerkraum) und „re@di Demo (verschlüsselt)“ (Gruppe eAkte)")
        _say("   Anmelden geht auch mit jedem Matrix-Client (z. B. Element) und den Daten oben.")
        _say(f"   Web:         http://127.0.0.1:{web_port}  (Anmeldelink: !web, Kalender-Abo: !termine abo)")
        _say(f"   Daten:       {base}{' (wird beim Beenden gelöscht)' if throwaway else ''}")
        _say()
        if chat:
            await _chat(user, bot.user_id, room, secret_room, stop)
        else:
            _say("Strg-C beendet alles. / Ctrl-C stops everything.")
            await stop.wait()
    finally:
        stop.set()
        if bot_task is not None:
            with contextlib.suppress(Exception):
                await bot_task
        if user is not None:
            await user.close()
        await homeserver.stop()
        if throwaway:
            shutil.rmtree(base, ignore_errors=True)
        _say("Demo beendet. Tschüss!")


async def _chat(user: DevClient, bot_id: str, room: str, secret_room: str, stop: asyncio.Event) -> None:
    """Lines typed go to the demo room as the demo user; the bot's replies are printed as they arrive.

    On a terminal this is a prompt_toolkit prompt; with piped input (scripts, tests) plain lines."""
    rooms = {"current": room}
    _say("Tippe Befehle wie  !hilfe  oder  !ping  (Enter sendet).")
    _say("/v wechselt in den verschlüsselten Raum, /p zurück, /q oder Strg-D beendet.")

    async def print_replies() -> None:
        while True:
            try:
                message = await user.wait_for_message(lambda m: m.sender == bot_id, timeout=3600)
            except TimeoutError:
                continue
            _print_reply(message, {room: "", secret_room: "🔒 "})

    async def accept_direct_chats() -> None:
        # Personal reminders come by direct message: the demo user joins the bot's DM invites.
        while True:
            try:
                invited = await user.wait_for_invite(inviter=bot_id, timeout=3600)
            except TimeoutError:
                continue
            await user.join(invited)

    async def handle(line: str) -> bool:
        """Send one typed line; False ends the chat."""
        line = line.strip()
        if line in {"/q", "/quit", "/exit"}:
            return False
        if line in {"/v", "/p"}:
            rooms["current"] = secret_room if line == "/v" else room
        elif line:
            await user.send_text(rooms["current"], line)
        return True

    printer = asyncio.gather(print_replies(), accept_direct_chats())
    try:
        if sys.stdin.isatty():
            await _prompt_loop(handle, lambda: rooms["current"] == secret_room, stop)
        else:
            await _pipe_loop(handle, stop)
    finally:
        printer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await printer
        stop.set()


async def _until_stopped(work: Awaitable[str], stop: asyncio.Event) -> str | None:
    """The result of `work`, or None if `stop` is set first (Ctrl-C)."""
    job = asyncio.ensure_future(work)
    stopper = asyncio.ensure_future(stop.wait())
    await asyncio.wait({job, stopper}, return_when=asyncio.FIRST_COMPLETED)
    stopper.cancel()
    if not job.done():
        job.cancel()
        return None
    return job.result()


async def _prompt_loop(
    handle: Callable[[str], Awaitable[bool]], encrypted: Callable[[], bool], stop: asyncio.Event
) -> None:
    from prompt_toolkit import PromptSession
    from prompt_toolkit.patch_stdout import patch_stdout

    session: PromptSession[str] = PromptSession()

    async def end_prompt_on_stop() -> None:
        await stop.wait()
        if session.app.is_running:
            session.app.exit(exception=EOFError)

    # The prompt is awaited here, not in a task of its own: prompt_toolkit turns Ctrl-C into a
    # KeyboardInterrupt, which asyncio would re-raise out of the event loop from a task.
    watcher = asyncio.create_task(end_prompt_on_stop())
    try:
        with patch_stdout():
            while not stop.is_set():
                label = "🔒 verschlüsselt" if encrypted() else "re@di Demo"
                try:
                    line = await session.prompt_async(f"[{label}] du> ")
                except (EOFError, KeyboardInterrupt):
                    return
                if not await handle(line):
                    return
    finally:
        watcher.cancel()


async def _pipe_loop(handle: Callable[[str], Awaitable[bool]], stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        line = await _until_stopped(loop.run_in_executor(None, sys.stdin.readline), stop)
        if not line or not await handle(line):  # None: stopped; "": end of input
            return


def _print_reply(message: ReceivedMessage, marks: dict[str, str]) -> None:
    mark = marks.get(message.room_id, "✉ ")  # any other room is the bot's direct chat
    body = message.body.replace("\n", "\n        ")
    _say(f"{mark}bot> {body}")
