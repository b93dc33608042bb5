"""End-to-end checks of the test toolkit itself (bot/dev): real Synapse, real nio clients."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote
from uuid import uuid4

import aiohttp
import pytest

from bot.dev.client import DevClient
from bot.dev.homeserver import Homeserver
from tests.fixtures_matrix import MakeUser

pytestmark = pytest.mark.e2e


async def _shared_room(a: DevClient, b: DevClient, *, encrypted: bool) -> str:
    room = await a.create_room(name="Werkzeugtest", invite=[b.user_id], encrypted=encrypted)
    assert await b.wait_for_invite(inviter=a.user_id) == room
    await b.join(room)
    await a.wait_for_join(room, b.user_id)
    return room


async def test_plain_room_message_arrives(make_user: MakeUser) -> None:
    anna, ben = await make_user("anna"), await make_user("ben")
    room = await _shared_room(anna, ben, encrypted=False)

    event_id = await anna.send_text(room, "Hallo Ben, schon die eAkte gesehen?")
    message = await ben.wait_for_message(sender=anna.user_id)

    assert (message.room_id, message.event_id, message.body) == (
        room,
        event_id,
        "Hallo Ben, schon die eAkte gesehen?",
    )
    assert message.msgtype == "m.text"
    assert not message.encrypted
    assert message in ben.received() and not ben.pending()

    # Content that Synapse accepts but nio's schema rejects (an image without url) must not vanish.
    odd = await anna.send_content(room, {"msgtype": "m.image", "body": "bild.png"})
    message = await ben.wait_for_message(sender=anna.user_id)
    assert (message.event_id, message.msgtype, message.body) == (odd, "m.image", "bild.png")


async def test_encrypted_room_works_both_ways(make_user: MakeUser) -> None:
    anna, ben = await make_user("anna"), await make_user("ben")
    room = await _shared_room(anna, ben, encrypted=True)

    root = await anna.send_text(room, "Geheim: Treffen am Dienstag", mentions=[ben.user_id])
    message = await ben.wait_for_message(lambda m: m.event_id == root)
    assert message.body == "Geheim: Treffen am Dienstag"
    assert message.encrypted
    assert message.mentioned_user_ids == [ben.user_id]

    answer = await ben.send_text(room, "Bin dabei", thread_root=root)
    reply = await anna.wait_for_message(lambda m: m.event_id == answer)
    assert reply.encrypted and reply.body == "Bin dabei"
    # m.relates_to stays outside the ciphertext; the toolkit must still show it.
    assert reply.thread_root == root and reply.reply_to == root


async def test_messages_are_kept_until_waited_for(make_user: MakeUser) -> None:
    anna, ben = await make_user("anna"), await make_user("ben")
    room = await _shared_room(anna, ben, encrypted=False)
    first = await anna.send_text(room, "eins")
    second = await anna.send_text(room, "zwei")

    # Waiting for the second first must not lose the first.
    assert (await ben.wait_for_message(lambda m: m.body == "zwei")).event_id == second
    assert (await ben.wait_for_message(lambda m: m.body == "eins")).event_id == first
    with pytest.raises(TimeoutError, match="eins"):
        await ben.wait_for_message(lambda m: m.body == "drei", timeout=0.3)


async def test_a_burst_arrives_complete(make_user: MakeUser) -> None:
    anna, ben = await make_user("anna"), await make_user("ben")
    room = await _shared_room(anna, ben, encrypted=False)
    sent = await asyncio.gather(*(anna.send_text(room, f"Nachricht {n}") for n in range(40)))
    received = [await ben.wait_for_message(sender=anna.user_id) for _ in sent]
    assert {m.event_id for m in received} == set(sent)


async def test_rejected_invite_is_seen_as_leave(make_user: MakeUser) -> None:
    anna, ben = await make_user("anna"), await make_user("ben")
    room = await anna.create_room(name="Abgelehnt", invite=[ben.user_id])
    await ben.leave(await ben.wait_for_invite(inviter=anna.user_id))
    assert await anna.wait_for_membership(room, ben.user_id, {"leave", "ban"}) == "leave"


async def test_per_user_message_ratelimit_gives_429_and_nio_retries(
    homeserver: Homeserver, make_user: MakeUser
) -> None:
    anna, ben = await make_user("anna"), await make_user("ben")
    room = await _shared_room(anna, ben, encrypted=False)
    await homeserver.set_message_ratelimit(anna.user_id, 1, 2)
    try:
        headers = {"Authorization": f"Bearer {anna.access_token}"}
        async with aiohttp.ClientSession() as http:

            async def raw_send() -> tuple[int, dict[str, Any]]:
                path = f"/_matrix/client/v3/rooms/{quote(room)}/send/m.room.message/{uuid4().hex}"
                url = homeserver.base_url + path
                async with http.put(url, json={"msgtype": "m.text", "body": "spam"}, headers=headers) as resp:
                    return resp.status, await resp.json()

            async def fill_bucket() -> None:
                # Refused requests are not counted: get one message through (honouring retry_after_ms); then
                # the bucket is full. Anna's last action (the invite) may still count against the new limit.
                status, body = await raw_send()
                while status == 429:
                    await asyncio.sleep(body["retry_after_ms"] / 1000)
                    status, body = await raw_send()
                assert status == 200, body

            # Both over 1/s with burst 2, sent together (Synapse holds every refused request for 0.5 s). On a
            # busy machine the two may still land a refill apart: then the round is tried again, a few times.
            refused: list[dict[str, Any]] = []
            sent: list[str] = []
            for _ in range(5):
                await fill_bucket()
                (status, body), event_id = await asyncio.gather(raw_send(), anna.send_text(room, "trotzdem angekommen"))
                sent.append(event_id)
                if status == 429:
                    refused.append(body)
                if refused and anna.rate_limited_responses >= 1:
                    break

        assert refused and refused[0]["errcode"] == "M_LIMIT_EXCEEDED", refused
        assert isinstance(refused[0]["retry_after_ms"], int) and 0 < refused[0]["retry_after_ms"] <= 1000, refused
        assert anna.rate_limited_responses >= 1  # nio saw a 429 too, and retried after retry_after_ms
        arrived = [await ben.wait_for_message(lambda m: m.body == "trotzdem angekommen") for _ in sent]
        assert sorted(m.event_id for m in arrived) == sorted(sent), "every message nio sent arrived, retried or not"
    finally:
        await homeserver.clear_message_ratelimit(anna.user_id)


async def test_fractional_rate_is_refused_clearly(homeserver: Homeserver) -> None:
    with pytest.raises(ValueError, match="whole numbers"):
        await homeserver.set_message_ratelimit("@x:localhost", 0.5, 1)
