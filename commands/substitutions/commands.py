"""Substitutions between cities: ask (`!vertretung`), offer (`!übernehme` or ✋ on the announcement),
accept (`!zusage`), withdraw, cancel; reminders, expiry and the end come from the scheduler
(`commands.substitutions.jobs`), the rules from `commands.substitutions.rules`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from bot.config import Config
from bot.dispatch import CommandContext, IncomingMessage, Router, bounded_text, is_number_word, record_number
from bot.errors import BadArgument, Localized, NotFound, UserError
from bot.i18n import Catalog, Markdown
from bot.replies import Attachment, Followup, OnSent, Reply, md_code, md_escape, mention_link, message_content
from bot.schedule_parsing import format_when
from commands import rights
from commands.arguments import Year, resolve_name
from commands.charts import drawn
from commands.expertise.commands import Search, find_people
from commands.expertise.matching import Synonyms, topic_key
from commands.substitutions import rules
from commands.substitutions.charts import balance_chart, balance_filename
from commands.substitutions.rule_texts import MESSAGES as RULE_TEXTS
from commands.substitutions.rules import Notice, OfferState, OfferView, RequestState, RequestView
from commands.substitutions.texts import MESSAGES
from commands.timezones import personal_timezone, room_timezone
from storage import Repositories
from storage.substitutions import MAX_NOTE, MAX_WHAT, OfferRecord, RequestRecord
from storage.text import MATRIX_USER_ID, fold

ACTIVE_STATES = (RequestState.OPEN.value, RequestState.FILLED.value)
OFFER_EMOJI = ("✋", "👍")
LIST_LIMIT = 50  # requests `!vertretungen` lists in one message
OFFER_COMMAND = "übernehme"  # what the web board's button runs (`commands.substitutions.web`)

router = Router(
    "substitutions",
    title_de="Vertretungen",
    title_en="Substitutions",
    messages={**MESSAGES, **RULE_TEXTS},
    highlights=("vertretung", "übernehme", "vertretungen"),
)
_catalog = Catalog(MESSAGES)
ANNOUNCED = "substitutions.announced"


@router.on_sent(ANNOUNCED)
async def _announced(repos: Repositories, request_id: str, room_id: str, event_id: str) -> None:
    """Reactions on the announcement (✋) are matched by its event id."""
    await repos.substitutions.set_announcement(int(request_id), room_id=room_id, event_id=event_id)


# --- helpers --------------------------------------------------------------------------------------------


def request_view(record: RequestRecord) -> RequestView:
    return RequestView(
        id=record.id,
        requester=record.requester,
        requester_city=record.requester_city,
        state=RequestState(record.state),
        needed=record.needed,
        start=record.start,
        end=record.end,
        deadline=record.deadline,
    )


def offer_views(record: RequestRecord) -> list[OfferView]:
    return [OfferView(o.user_id, o.city, OfferState(o.state)) for o in record.offers]


class _People:
    """Display names and cities of the people a message talks about (from their profiles)."""

    def __init__(self, profiles: dict[str, Any]) -> None:
        self._profiles = profiles

    @classmethod
    async def load(cls, repos: Repositories, user_ids: Sequence[str]) -> _People:
        return cls(await repos.profiles.get_many(user_ids))

    def name(self, user_id: str) -> str | None:
        profile = self._profiles.get(user_id)
        return profile.display_name if profile else None

    def city(self, user_id: str) -> str | None:
        profile = self._profiles.get(user_id)
        return profile.city if profile else None

    def allows_mentions(self, user_id: str) -> bool:
        profile = self._profiles.get(user_id)
        return bool(profile and profile.allow_mentions)

    def link(self, user_id: str, *, with_city: bool = True) -> str:
        city = self.city(user_id)
        text = mention_link(user_id, self.name(user_id))
        return f"{text} ({md_escape(city)})" if city and with_city else text

    def suggested(self, user_id: str) -> str:
        """Someone suggested for a request: a pill (and a ping) only if they asked for pings (`!erwähnen ja`), else
        their plain name. Clients with intentional mentions notify only `m.mentions`, but show a pill of the reader
        highlighted as if they were mentioned: a plain name does not pretend to call someone who did not ask."""
        if self.allows_mentions(user_id):
            return self.link(user_id)
        city = self.city(user_id)
        name = md_escape(self.name(user_id) or user_id)
        return f"{name} ({md_escape(city)})" if city else name


def _span(record: RequestRecord, language: str) -> str:
    tz = ZoneInfo(record.timezone)
    return md_escape(rules.describe_span(record.start.astimezone(tz), record.end.astimezone(tz), language=language))


def _deadline(record: RequestRecord, language: str) -> str:
    return md_escape(format_when(record.deadline.astimezone(ZoneInfo(record.timezone)), language=language))


def _count(language: str, count: int) -> str:
    return _catalog.text(language, "sub.people", count=count)


def _topics(record: RequestRecord, language: str) -> str:
    if not record.topics:
        return ""
    return _catalog.text(language, "sub.topics", topics=", ".join(md_escape("#" + t) for t in record.topics))


def notice_reply(
    record: RequestRecord,
    notice: Notice,
    *,
    language: str,
    prefix: str,
    people: _People,
    actor: str | None = None,
    chosen: Sequence[str] = (),
    note: str | None = None,
) -> Reply:
    """The direct message telling someone what happened to a request (in their language)."""
    values: dict[str, Any] = {
        "id": record.id,
        "what": md_escape(record.what),
        "span": _span(record, language),
        "prefix": prefix,
        "requester": people.link(record.requester),
        "people": ", ".join(people.link(u) for u in chosen),
        "actor": people.link(actor) if actor else "",
        "actor_id": actor or "",
        "note": f" „{md_escape(note)}“" if note else "",
    }
    return Reply.text(_catalog.text(language, f"sub.notice.{notice.value}", **values))


async def _tell(
    ctx: CommandContext,
    record: RequestRecord,
    tells: Sequence[rules.Tell],
    people: _People,
    *,
    chosen: Sequence[str] = (),
    note: str | None = None,
) -> list[Followup]:
    languages = await ctx.repos.users.languages([t.user_id for t in tells], default=ctx.config.default_language)
    return [
        Followup(
            notice_reply(
                record,
                tell.notice,
                language=languages[tell.user_id],
                prefix=ctx.prefix,
                people=people,
                actor=ctx.sender,
                chosen=chosen,
                note=note,
            ),
            user_id=tell.user_id,
        )
        for tell in tells
    ]


async def _load(ctx: CommandContext, request_id: int, *, lock: bool = False) -> RequestRecord:
    record = await ctx.repos.substitutions.get(request_id, lock=lock)
    if record is None:
        raise NotFound("sub.not_found", id=request_id)
    return record


def _may_decide(ctx: CommandContext, record: RequestRecord) -> bool:
    return rights.may_change(rights.actor_of(ctx), owners=(record.requester,), room_id=record.room_id)


async def _store(
    ctx: CommandContext,
    record: RequestRecord,
    transition: rules.Transition,
    *,
    note: str | None = None,
    reaction_event_id: str | None = None,
) -> None:
    """Write a transition: offers, request state, one history line per change."""
    now = ctx.clock.now()
    repos = ctx.repos
    for change in transition.offers:
        city = (await repos.profiles.get(change.user_id) or None) if change.after is OfferState.OFFERED else None
        await repos.substitutions.set_offer(
            record.id,
            change.user_id,
            change.after.value,
            now=now,
            city=city.city if city else None,
            note=note,
            reaction_event_id=reaction_event_id,
        )
        action = {
            OfferState.OFFERED: "offered",
            OfferState.WITHDRAWN: "withdrew",
            OfferState.ACCEPTED: "accepted",
            OfferState.DECLINED: "declined",
        }[change.after]
        actor = ctx.sender if change.after is not OfferState.DECLINED else None
        detail = change.user_id if change.user_id != ctx.sender else note
        await repos.substitutions.add_history(record.id, at=now, actor=actor, action=action, detail=detail)
    if transition.after is not transition.before:
        await repos.substitutions.set_state(record.id, transition.after.value, now=now)
        if transition.after is RequestState.CANCELLED:
            await repos.substitutions.add_history(record.id, at=now, actor=ctx.sender, action="cancelled")


def _replan(ctx: CommandContext, request_id: int) -> None:
    ctx.replan("substitution", request_id)


_LABEL = Localized("Vertretung", "cover request")


@router.command(
    "vertretung",
    aliases=["cover"],
    help_de="Vertretung aus einer anderen Stadt anfragen; mit Nummer zeigen, absagen oder zurückziehen",
    help_en="Ask for a stand-in from another city; with a number: show, cancel or withdraw",
    details_de=(
        "`!vertretung 12.12. 10-16 Uhr Digitaltag Bühl, Stand Engagementplattform #Engagementplattform` – "
        "auch `2 Personen`, `Frist 10.12. 12 Uhr`, `ganztägig`.\n"
        "`!vertretung 12` zeigt eine mit Verlauf."
    ),
    details_en=(
        "`!cover 12/12 10am-4pm Digital Day Bühl #Engagementplattform` – also `2 people`, `deadline 10.12. 12pm`, "
        "`all day`.\n`!cover 12` shows one with its history."
    ),
    labels={"text": ("wann was", "when what")},
)
async def substitution(ctx: CommandContext, *, text: str | None = None) -> Reply:
    words = (text or "").split(maxsplit=1)
    if not words:
        return Reply.text(_usage(ctx))
    if is_number_word(words[0]) and len(words) == 1:
        return await _show(ctx, record_number(words[0], _LABEL))
    return await _create(ctx, text or "")


_NUMBER = {"number": ("Nr", "no.")}


@router.subcommand(
    "vertretung", "absagen", aliases=["cancel", "abbrechen"],
    help_de="Sagt deine Anfrage ab; alle Beteiligten bekommen Bescheid",
    help_en="Cancels your request; everyone involved is told", labels=_NUMBER,
)  # fmt: skip
async def cancel_substitution(ctx: CommandContext, *, number: int) -> Reply:
    return await _cancel(ctx, number)


@router.subcommand(
    "vertretung", "zurückziehen", aliases=["withdraw", "zurueck"],
    help_de="Zieht dein Angebot oder deine Zusage zurück", help_en="Withdraws your offer or acceptance",
    labels=_NUMBER,
)  # fmt: skip
async def withdraw_substitution(ctx: CommandContext, *, number: int) -> Reply:
    return await _withdraw(ctx, number)


def _usage(ctx: CommandContext) -> str:
    return ctx.t("sub.usage", example_de=rules.EXAMPLE_DE, example_en=rules.EXAMPLE_EN, prefix=ctx.prefix)


async def _create(ctx: CommandContext, text: str) -> Reply:
    now = ctx.clock.now()
    tz = await personal_timezone(ctx)
    draft = rules.parse_request(text, now=now, tz=tz)
    bounded_text(draft.what, MAX_WHAT, Localized("Die Beschreibung", "The description"))
    profile = await ctx.repos.profiles.get(ctx.sender)
    city = profile.city if profile else None
    record = await ctx.repos.substitutions.add(
        room_id=ctx.room_id,
        requester=ctx.sender,
        requester_city=city,
        what=draft.what,
        topics=draft.topics,
        start=draft.start,
        end=draft.end,
        deadline=draft.deadline,
        timezone=tz.key,
        needed=draft.needed,
        now=now,
    )
    suggested = await _suggest(ctx, record)
    people = await _People.load(ctx.repos, [ctx.sender, *suggested])
    language = ctx.config.default_language  # the announcement is public: the network's language
    announcement = _announcement(ctx, record, people, suggested, language)
    lines = [
        ctx.t(
            "sub.created",
            id=record.id,
            what=md_escape(record.what),
            span=_span(record, ctx.language),
            needed=ctx.t("sub.needed", count=record.needed),
            deadline=_deadline(record, ctx.language),
        )
    ]
    if city is None:
        lines.append(ctx.t("sub.no_city", prefix=ctx.prefix))
    elif not record.topics and ctx.config.substitution_suggestions:
        lines.append(ctx.t("sub.no_topics"))
    _replan(ctx, record.id)
    remember = OnSent(ANNOUNCED, str(record.id))
    network_room = ctx.config.network_room
    if network_room is None or network_room == ctx.room_id:
        # Asked in the network room (or there is none): the reply itself is the announcement.
        return Reply.text(
            "\n\n".join([*lines, announcement.markdown]),
            mentions=announcement.mentions,
            on_sent=remember,
        )
    lines.append(ctx.t("sub.announced_elsewhere"))
    followup = Followup(announcement, room_id=network_room, on_sent=remember)
    return Reply.text("\n\n".join(lines), followups=[followup])


async def _suggest(ctx: CommandContext, record: RequestRecord) -> list[str]:
    """Up to N people from other cities who know one of the request's topics, best first."""
    limit = ctx.config.substitution_suggestions
    found: list[str] = []
    for topic in record.topics:
        if len(found) >= limit:
            break
        ranked, _ = await find_people(
            ctx.repos,
            Search(topic, exclude_city=record.requester_city),
            synonyms=Synonyms(ctx.config.synonyms),
            asker=record.requester,
            own_city=record.requester_city,
            activity_since=ctx.clock.now() - ctx.config.activity_window,
            limit=limit + 1,
        )
        for person in ranked:
            uid = person.person.user_id
            # Only people with a city elsewhere: the point is help between cities.
            if uid != record.requester and uid not in found and person.person.city and len(found) < limit:
                found.append(uid)
    return found


def _announcement(
    ctx: CommandContext, record: RequestRecord, people: _People, suggested: Sequence[str], language: str
) -> Reply:
    text = announcement_text(record, people, language, ctx.prefix)
    if suggested:
        named = ", ".join(people.suggested(u) for u in suggested)
        text += "\n\n" + _catalog.text(language, "sub.suggest", people=named, count=len(suggested))
    # Pings are opt-in: only who said `!erwähnen ja` is mentioned; the others are named without a ping.
    return Reply.text(text, mentions=[u for u in suggested if people.allows_mentions(u)])


def announcement_text(
    record: RequestRecord, people: _People, language: str, prefix: str, *, edited: bool = False
) -> str:
    """The announcement as it reads in the request's state: a call to offer while it is open, and once it is filled,
    done, cancelled or expired only what happened (an edit of the posted one must not still ask for help)."""
    helpers = [o.user_id for o in record.offers if o.state == "accepted"]
    state = record.state
    key = "sub.announcement.reopened" if state == RequestState.OPEN.value and edited else f"sub.announcement.{state}"
    return _catalog.text(
        language,
        key,
        id=record.id,
        what=md_escape(record.what),
        span=_span(record, language),
        requester=people.link(record.requester),
        needed=_catalog.text(language, "sub.still_needed", count=record.needed - len(helpers))
        if helpers
        else _count(language, record.needed),
        deadline=_deadline(record, language),
        topics=_topics(record, language),
        helpers=", ".join(people.link(u) for u in helpers) or "–",
        count=len(helpers),
        prefix=prefix,
    )


def announcement_update(record: RequestRecord, people: _People, language: str, prefix: str) -> Reply:
    """The announcement as it should read now (for an edit of the posted one)."""
    return Reply.text(announcement_text(record, people, language, prefix, edited=True))


async def _update_announcement(ctx: CommandContext, request_id: int) -> list[Followup]:
    """An edit of the posted announcement after the request's state changed (none if it was never posted)."""
    await _load(ctx, request_id)
    return await update_announcement(ctx.repos, ctx.config, request_id)


async def update_announcement(repos: Repositories, config: Config, request_id: int) -> list[Followup]:
    """The announcement's edit (none if it was never posted or the request is gone), also for another feature that
    changed the request: an erasure withdrawing an offer, in chat or by `redi-bot privacy forget`."""
    record = await repos.substitutions.get(request_id)
    if record is None or record.announcement_event_id is None or record.announcement_room_id is None:
        return []
    people = await _People.load(repos, [record.requester, *(o.user_id for o in record.offers)])
    reply = announcement_update(record, people, config.default_language, config.command_prefix)
    return [Followup(reply, room_id=record.announcement_room_id, replaces=record.announcement_event_id)]


async def _show(ctx: CommandContext, request_id: int) -> Reply:
    record = await _load(ctx, request_id)
    history = await ctx.repos.substitutions.history(request_id)
    involved = [record.requester, *(o.user_id for o in record.offers), *(h.actor for h in history if h.actor)]
    people = await _People.load(ctx.repos, involved)
    lines = [
        ctx.t(
            "sub.show",
            id=record.id,
            state=ctx.t(f"sub.state.{record.state}"),
            what=md_escape(record.what),
            span=_span(record, ctx.language),
            requester=people.link(record.requester),
            needed=_count(ctx.language, record.needed),
            deadline=_deadline(record, ctx.language),
            topics=_topics(record, ctx.language),
        )
    ]
    offers = [f"{people.link(o.user_id)}: {ctx.t(f'sub.offer.{o.state}')}" for o in record.offers]
    lines.append(ctx.t("sub.offers", offers=", ".join(offers) if offers else ctx.t("sub.nobody_yet")))
    tz = ZoneInfo(record.timezone)
    steps = []
    for item in history:
        who = people.link(item.actor, with_city=False) if item.actor else "🤖"
        detail = ""
        if item.detail and item.detail.startswith("@"):
            detail = " → " + people.link(item.detail, with_city=False)
        elif item.detail:
            detail = f" „{md_escape(item.detail)}“"
        when = item.at.astimezone(tz).strftime("%d.%m. %H:%M")
        steps.append(f"- {when} {who}: {ctx.t(f'sub.action.{item.action}')}{detail}")
    lines.append(ctx.t("sub.history") + "\n" + "\n".join(steps))
    return Reply.text("\n\n".join(lines))


@router.command(
    OFFER_COMMAND,
    aliases=["uebernehme", "offer"],
    help_de="Bietet an, bei einer Vertretung einzuspringen (oder ✋ auf die Ankündigung)",
    help_en="Offers to stand in for a substitution request (or ✋ on the announcement)",
    details_de="`!übernehme 12` oder mit Notiz: `!übernehme 12 komme ab 11 Uhr`",
    details_en="`!offer 12` or with a note: `!offer 12 can be there from 11am`",
    labels={"request_id": ("Nr", "no"), "note": ("Notiz", "note")},
)
async def offer(ctx: CommandContext, *, request_id: int, note: str | None = None) -> Reply:
    return await _offer(ctx, request_id, note)


@router.reaction(*OFFER_EMOJI, command="übernehme")
async def offer_by_reaction(ctx: CommandContext, event_id: str) -> Reply | None:
    request_id = await ctx.repos.substitutions.by_announcement(event_id)
    if request_id is None:
        return None  # a ✋ on any other message is just a reaction
    return await _offer(ctx, request_id, None, reaction_event_id=ctx.message.event_id)


@router.on_change
async def offer_reaction_removed(repos: Repositories, message: IncomingMessage, now: datetime) -> None:
    """Taking back one's ✋ withdraws the offer made with it, while it is only an offer. An accepted helper
    must withdraw with the command: a commitment is not undone by a stray click."""
    if message.new_body is not None or message.changes is None:
        return  # an edit, not a redaction
    found = await repos.substitutions.by_reaction(message.changes)
    if found is None or found[1] != message.sender:
        return
    record = await repos.substitutions.get(found[0], lock=True)
    if record is None:
        return
    mine = next((o for o in record.offers if o.user_id == message.sender), None)
    if mine is None or mine.state != OfferState.OFFERED.value:
        return
    try:
        rules.withdraw(request_view(record), offer_views(record), message.sender, now)
    except UserError:
        return  # closed or begun: nothing to take back
    await repos.substitutions.set_offer(record.id, message.sender, OfferState.WITHDRAWN.value, now=now)
    await repos.substitutions.add_history(record.id, at=now, actor=message.sender, action="withdrew", detail="✋")


async def _offer(
    ctx: CommandContext, request_id: int, note: str | None, *, reaction_event_id: str | None = None
) -> Reply:
    if note is not None:
        bounded_text(note, MAX_NOTE, Localized("Die Notiz", "The note"))
    record = await _load(ctx, request_id, lock=True)
    transition = rules.offer(request_view(record), offer_views(record), ctx.sender, ctx.clock.now())
    await _store(ctx, record, transition, note=note, reaction_event_id=reaction_event_id)
    people = await _People.load(ctx.repos, [record.requester, ctx.sender])
    followups = await _tell(ctx, record, transition.tell, people, note=note)
    thanks = ctx.t("sub.offered", id=record.id, requester=people.link(record.requester, with_city=False))
    if ctx.room_id == ctx.config.network_room:
        # The network room gets no message per offer: a ✅ on the command says it is noted. A ✋ on the announcement
        # cannot get a reaction of its own, so the thanks go to the person's direct chat.
        if reaction_event_id is None:
            return Reply.react("✅", followups=followups)
        return Reply.quiet(followups=[Followup(Reply.text(thanks), user_id=ctx.sender), *followups])
    return Reply.text(thanks, followups=followups)


async def _withdraw(ctx: CommandContext, request_id: int) -> Reply:
    record = await _load(ctx, request_id, lock=True)
    transition = rules.withdraw(request_view(record), offer_views(record), ctx.sender, ctx.clock.now())
    await _store(ctx, record, transition)
    if transition.reopened:
        await ctx.repos.substitutions.add_history(record.id, at=ctx.clock.now(), actor=None, action="reopened")
    people = await _People.load(ctx.repos, [record.requester, ctx.sender])
    followups = await _tell(ctx, record, transition.tell, people)
    if transition.reopened:
        followups += await _update_announcement(ctx, record.id)
    _replan(ctx, record.id)
    return Reply.text(ctx.t("sub.withdrawn", id=record.id), followups=followups)


async def _cancel(ctx: CommandContext, request_id: int) -> Reply:
    record = await _load(ctx, request_id, lock=True)
    transition = rules.cancel(
        request_view(record), ctx.sender, _may_decide(ctx, record), ctx.clock.now(), offers=offer_views(record)
    )
    await _store(ctx, record, transition)
    people = await _People.load(ctx.repos, [record.requester, ctx.sender])
    followups = await _tell(ctx, record, transition.tell, people) + await _update_announcement(ctx, record.id)
    _replan(ctx, record.id)
    return Reply.text(ctx.t("sub.cancelled", id=record.id), followups=followups)


@router.command(
    "zusage",
    aliases=["accept"],
    help_de="Sagt Angeboten für deine Vertretung zu",
    help_en="Accepts offers for your substitution request",
    details_de="`!zusage 12 @maria` – mehrere mit Komma. Die anderen bekommen ein Danke, sobald genug zugesagt sind.",
    details_en="`!accept 12 @maria` – several with commas. The others are thanked once enough are accepted.",
    labels={"request_id": ("Nr", "no"), "people": ("@wer", "@who")},
)
async def accept(ctx: CommandContext, *, request_id: int, people: str | None = None) -> Reply:
    record = await _load(ctx, request_id, lock=True)
    targets = _targets(ctx, record, people or "")
    transition = rules.accept(
        request_view(record), offer_views(record), ctx.sender, targets, _may_decide(ctx, record), ctx.clock.now()
    )
    await _store(ctx, record, transition)
    chosen = [c.user_id for c in transition.offers if c.after is OfferState.ACCEPTED]
    involved = await _People.load(ctx.repos, [record.requester, ctx.sender, *(o.user_id for o in record.offers)])
    followups = await _tell(ctx, record, transition.tell, involved, chosen=chosen)
    if transition.after is RequestState.FILLED:
        followups += await _update_announcement(ctx, record.id)
    _replan(ctx, record.id)
    accepted = sum(1 for o in record.offers if o.state == "accepted") + len(chosen)
    state = (
        ctx.t("sub.state_filled")
        if transition.after is RequestState.FILLED
        else ctx.t("sub.state_open", count=record.needed - accepted)
    )
    return Reply.text(
        ctx.t("sub.accepted", id=record.id, people=", ".join(involved.link(u) for u in chosen), state=state),
        followups=followups,
    )


def _targets(ctx: CommandContext, record: RequestRecord, text: str) -> list[str]:
    """Whom `!zusage` means: mention pills (m.mentions), Matrix ids, or names of people who offered."""
    found = [u for u in ctx.message.mentions if u != ctx.sender]
    rest = text
    for mxid in MATRIX_USER_ID.findall(text):
        found.append(mxid)
        rest = rest.replace(mxid, " ")
    offers = [o for o in record.offers if o.state in ("offered", "accepted")]
    for chunk in re.split(r"\s*(?:,|;|\bund\b|\band\b|&)\s*", rest):
        name = chunk.strip().lstrip("@").strip()
        if not name or _mentioned_by_pill(name, offers, found):
            continue
        user_id = _match_offer(name, offers)
        if user_id is None:
            listed = Markdown(", ".join(md_code(o.user_id) for o in offers) or ctx.t("sub.nobody_yet"))
            raise BadArgument("sub.unknown_person", name=name, offers=listed)
        found.append(user_id)
    return list(dict.fromkeys(found))


def _mentioned_by_pill(name: str, offers: Sequence[OfferRecord], found: Sequence[str]) -> bool:
    # A pill shows as the display name in the body; its user id is already in `found` via m.mentions.
    return any(_match_offer(name, [o]) for o in offers if o.user_id in found)


def _match_offer(name: str, offers: Sequence[OfferRecord]) -> str | None:
    key = fold(name)
    for offer_record in offers:
        localpart = offer_record.user_id[1:].split(":", 1)[0]
        if key in (fold(localpart), fold(offer_record.user_id)):
            return offer_record.user_id
    return None


@router.command(
    "vertretungen",
    aliases=["covers"],
    help_de="Zeigt offene Vertretungsanfragen (Filter: Stadt, #Thema, meine, alle)",
    help_en="Lists open substitution requests (filters: city, #topic, mine, all)",
    details_de="`!vertretungen`, `!vertretungen Bühl`, `!vertretungen #eAkte`, `!vertretungen meine`, "
    "`!vertretungen alle` (auch erledigte)",
    details_en="`!covers`, `!covers Bühl`, `!covers #eAkte`, `!covers mine`, `!covers all` (closed ones too)",
    labels={"filters": ("Filter", "filters")},
    replay_safe=True,
)
async def list_requests(ctx: CommandContext, *, filters: str | None = None) -> Reply:
    mine = everything = False
    city: str | None = None
    topics: list[str] = []
    for word in (filters or "").replace(",", " ").split():
        key = fold(word)
        if key in ("meine", "mine", "my"):
            mine = True
        elif key in ("alle", "all"):
            everything = True
        elif word.startswith("#") and len(word) > 1:
            topics.append(topic_key(word[1:]))
        else:
            exact, suggestion = resolve_name(word, ctx.config.cities)
            if exact is None:
                raise BadArgument("sub.unknown_filter", word=word, suggestion=suggestion or "")
            city = exact
    records = await listed_requests(ctx.repos, ctx.sender, mine=mine, everything=everything, city=city, topics=topics)
    labels = [*(["meine" if ctx.language == "de" else "mine"] if mine else []), *([city] if city else [])]
    labels += ["#" + t for t in topics]
    shown = f" ({md_escape(', '.join(labels))})" if labels else ""
    if not records:
        return Reply.text(
            ctx.t("sub.list.none", filters=shown, example_de=rules.EXAMPLE_DE, example_en=rules.EXAMPLE_EN)
        )
    people = await _People.load(ctx.repos, [r.requester for r in records])
    lines = [ctx.t("sub.list.heading", filters=shown)]
    for record in records[:LIST_LIMIT]:
        active = sum(1 for o in record.offers if o.state in ("offered", "accepted"))
        lines.append(
            "- "
            + ctx.t(
                "sub.list.line",
                id=record.id,
                what=md_escape(record.what),
                span=_span(record, ctx.language),
                requester=people.link(record.requester),
                state=ctx.t(f"sub.state.{record.state}"),
                offers=ctx.t("sub.offer_count", count=active),
            )
        )
    return Reply.text("\n".join(lines))


async def listed_requests(
    repos: Repositories,
    sender: str,
    *,
    mine: bool = False,
    everything: bool = False,
    city: str | None = None,
    topics: Sequence[str] = (),
) -> list[RequestRecord]:
    """The requests `!vertretungen` lists for `sender` (and the web board shows), soonest first: open and filled ones
    (`everything`: closed ones too) of the whole network; `mine`: those they asked for or offered on."""
    states = [s.value for s in RequestState] if everything else list(ACTIVE_STATES)
    records = await repos.substitutions.in_states(states)
    if mine:
        records = [r for r in records if r.requester == sender or any(o.user_id == sender for o in r.offers)]
    if city:
        records = [r for r in records if r.requester_city == city]
    if topics:
        records = [r for r in records if {topic_key(t) for t in r.topics} & set(topics)]
    return records


@router.command(
    "bilanz",
    aliases=["balance"],
    help_de="Zeigt pro Stadt, wie oft sie vertreten hat und vertreten wurde",
    help_en="Shows per city how often it helped and was helped",
    details_de="`!bilanz` für dieses Jahr, `!bilanz 2026` für ein bestimmtes.",
    details_en="`!balance` for this year, `!balance 2026` for a given one.",
    labels={"year": ("Jahr", "year")},
    replay_safe=True,
)
async def show_balance(ctx: CommandContext, *, year: Annotated[int, Year(ahead=1)] | None = None) -> Reply:
    tz = await room_timezone(ctx)
    chosen = year or ctx.clock.now().astimezone(tz).year
    rows = await balance_rows(ctx.repos, chosen, tz)
    table = balance_markdown(rows, ctx.language)
    lines = (
        [ctx.t("sub.balance.none", year=chosen)]
        if table is None
        else [ctx.t("sub.balance.heading", year=chosen), table]
    )
    # What is not counted yet: requests of that year that are arranged (filled) or still open.
    since, until = datetime(chosen, 1, 1, tzinfo=tz), datetime(chosen + 1, 1, 1, tzinfo=tz)
    pending = [r for r in await ctx.repos.substitutions.in_states(list(ACTIVE_STATES)) if since <= r.start < until]
    arranged = sum(1 for r in pending if r.state == RequestState.FILLED.value)
    waiting = len(pending) - arranged
    if arranged:
        lines.append(ctx.t("sub.balance.arranged", count=arranged))
    if waiting:
        lines.append(ctx.t("sub.balance.open", count=waiting, prefix=ctx.prefix))
    if not rows:
        return Reply.text("\n\n".join(lines))
    # The table is the accessible version; the chart, an image below it, shows the same rows at a glance.
    cities, language = ctx.config.cities, ctx.language

    async def chart() -> list[Attachment]:
        drawing = await drawn(lambda: balance_chart(rows, year=chosen, language=language, cities=cities))
        return [drawing.attachment(balance_filename(chosen, language))]

    return Reply.text("\n\n".join(lines), attach_later=chart)


async def balance_rows(repos: Repositories, year: int, tz: ZoneInfo) -> list[rules.CityBalance]:
    """The per-city balance of one year, counted once for `!bilanz`, the yearly report, its charts and its page."""
    since = datetime(year, 1, 1, tzinfo=tz)
    return rules.balance(await repos.substitutions.helped_pairs(since=since, until=datetime(year + 1, 1, 1, tzinfo=tz)))


def balance_markdown(rows: Sequence[rules.CityBalance], language: str) -> str | None:
    """The balance as a Markdown table (also in the yearly report), or None when nothing was counted."""
    if not rows:
        return None
    lines = [_catalog.text(language, "sub.balance.table"), "| --- | ---: | ---: |"]
    for row in rows:
        city = md_escape(row.city) if row.city else _catalog.text(language, "sub.balance.no_city")
        lines.append(f"| {city} | {row.helped} | {row.was_helped} |")
    return "\n".join(lines)


# --- what the scheduler uses ---------------------------------------------------------------------------------


async def apply_due(repos: Repositories, request_id: int, now: datetime) -> RequestRecord | None:
    """Expire or finish a request whose deadline or end has passed; record who helped on which topic."""
    record = await repos.substitutions.get(request_id, lock=True)
    if record is None:
        return None
    transition = rules.due_transition(request_view(record), offer_views(record), now)
    if transition is None:
        return record
    await repos.substitutions.set_state(record.id, transition.after.value, now=now)
    await repos.substitutions.add_history(record.id, at=now, actor=None, action=transition.after.value)
    if transition.after is RequestState.DONE:
        for offer_record in record.offers:
            if offer_record.state == "accepted":
                for label in record.topics:
                    key = topic_key(label)
                    if key:
                        await repos.profiles.record_activity(
                            offer_record.user_id, (key, label), source="substitution", ref_id=record.id, at=now
                        )
    return await repos.substitutions.get(request_id)


class SubstitutionTexts:
    """The scheduler's messages: reminders before the event and the expiry notice."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    async def people(self, repos: Repositories, record: RequestRecord) -> _People:
        return await _People.load(repos, [record.requester, *(o.user_id for o in record.offers)])

    def reminder(self, record: RequestRecord, helpers: Sequence[str], people: _People, language: str) -> dict[str, Any]:
        text = _catalog.text(
            language,
            "sub.reminder",
            id=record.id,
            what=md_escape(record.what),
            span=_span(record, language),
            requester=people.link(record.requester),
            helpers=", ".join(people.link(h) for h in helpers),
        )
        return message_content(Reply.text(text))

    def announcement(self, record: RequestRecord, people: _People, language: str) -> Reply:
        return announcement_update(record, people, language, self.prefix)

    def expired(self, record: RequestRecord, people: _People, language: str) -> dict[str, Any]:
        reply = notice_reply(record, Notice.EXPIRED, language=language, prefix=self.prefix, people=people)
        return message_content(reply)


def offer_accepted_before(offer_record: OfferRecord, moment: datetime) -> bool:
    return offer_record.state == "accepted" and offer_record.updated_at <= moment + timedelta(seconds=1)
