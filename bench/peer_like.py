"""The lightest peer-like bot: a baseline process for `bench/footprint.py`, not a feature.

    .venv/bin/python bench/peer_like.py --homeserver URL --user @peer:localhost --password PW --store DIR --since-ms MS

What a minimal nio reminder bot does and nothing more: log in once (credentials kept in the store, reused on the
next start), E2EE store, long-poll sync, join every invite, answer `!ping` (sent after `--since-ms`) with a
reply notice "pong". Imports only nio, so its memory and start time are the floor any nio bot pays.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
from pathlib import Path
from typing import Any

from nio import AsyncClient, AsyncClientConfig, InviteMemberEvent, LoginResponse, MatrixRoom, RoomMessageText


def load_credentials(path: Path) -> dict[str, str] | None:
    path.parent.mkdir(parents=True, exist_ok=True)
    return dict(json.loads(path.read_text())) if path.exists() else None


async def main(homeserver: str, user_id: str, password: str, store: Path, since_ms: int) -> None:
    saved = store / "credentials.json"
    creds = await asyncio.to_thread(load_credentials, saved)
    config = AsyncClientConfig(encryption_enabled=True, store_sync_tokens=True)
    if creds is not None:
        client = AsyncClient(homeserver, user_id, device_id=creds["device_id"], store_path=str(store), config=config)
        client.restore_login(user_id, creds["device_id"], creds["access_token"])
    else:
        client = AsyncClient(homeserver, user_id, store_path=str(store), config=config)
        response = await client.login(password, device_name="peer-like")
        if not isinstance(response, LoginResponse):
            raise SystemExit(f"login failed: {response}")
        creds = {"device_id": response.device_id, "access_token": response.access_token}
        await asyncio.to_thread(saved.write_text, json.dumps(creds))

    async def on_invite(room: MatrixRoom, event: InviteMemberEvent) -> None:
        if event.state_key == client.user_id and event.membership == "invite":
            await client.join(room.room_id)

    async def on_message(room: MatrixRoom, event: RoomMessageText) -> None:
        if event.sender == client.user_id or event.server_timestamp < since_ms or event.body.strip() != "!ping":
            return
        content: dict[str, Any] = {
            "msgtype": "m.notice",
            "body": "pong",
            "m.relates_to": {"m.in_reply_to": {"event_id": event.event_id}},
        }
        await client.room_send(room.room_id, "m.room.message", content, ignore_unverified_devices=True)

    client.add_event_callback(on_invite, InviteMemberEvent)
    client.add_event_callback(on_message, RoomMessageText)
    try:
        await client.sync_forever(timeout=30_000, full_state=True)
    finally:
        await client.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--homeserver", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--since-ms", type=int, default=0, help="ignore `!ping` older than this (ms since epoch)")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main(args.homeserver, args.user, args.password, args.store, args.since_ms))
