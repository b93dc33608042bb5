"""`redi-bot demo` as a newcomer uses it: server, bot and chat come up, a command gets its answer."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from bot.dev.homeserver import free_port

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parent.parent


async def read_until(stream: asyncio.StreamReader, marker: str, seen: list[str], limit: float = 90) -> None:
    async with asyncio.timeout(limit):
        while True:
            line = (await stream.readline()).decode()
            if not line:
                raise AssertionError(f"demo ended before {marker!r}:\n{''.join(seen)}")
            seen.append(line)
            if marker in line:
                return


async def start_demo(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "demo",
        "--port",
        str(free_port()),
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


async def test_demo_chat_answers_in_both_rooms_and_cleans_up() -> None:
    proc = await start_demo()
    assert proc.stdin is not None and proc.stdout is not None
    seen: list[str] = []
    try:
        await read_until(proc.stdout, "Der re@di-Bot läuft", seen)
        await read_until(proc.stdout, "Daten:", seen)
        assert any("Passwort: demo-passwort" in line for line in seen)
        data_line = seen[-1]
        workdir = Path(data_line.split("Daten:", 1)[1].split("(")[0].strip())
        assert workdir.is_dir()
        proc.stdin.write(b"!ping\n")
        await proc.stdin.drain()
        await read_until(proc.stdout, "bot> Pong", seen)
        proc.stdin.write(b"/v\n!ping\n")
        await proc.stdin.drain()
        await read_until(proc.stdout, "🔒 bot> Pong", seen)
        proc.stdin.close()  # end of input ends the chat, like Ctrl-D
        await read_until(proc.stdout, "Demo beendet", seen)
        assert await asyncio.wait_for(proc.wait(), 30) == 0
        assert not workdir.exists(), "the throwaway data must be removed"
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def test_demo_without_chat_stops_cleanly_on_sigint() -> None:
    proc = await start_demo("--no-chat")
    assert proc.stdout is not None
    seen: list[str] = []
    try:
        await read_until(proc.stdout, "Strg-C beendet alles", seen)
        proc.send_signal(signal.SIGINT)
        await read_until(proc.stdout, "Demo beendet", seen)
        assert await asyncio.wait_for(proc.wait(), 30) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
