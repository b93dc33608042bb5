"""Who knows what: people keep their own profile (topics, city, groups, note); anyone can ask
`!werweiss <Begriff>` and gets the right colleagues across the nine cities."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

from bot.dispatch import CommandContext, Role, Router
from bot.errors import BadArgument, NotFound
from bot.i18n import Markdown
from bot.replies import Reply, md_code, md_escape, mention_link
from commands.arguments import CITY, GROUPS, USER, resolve_name
from commands.expertise.importing import (
    MAX_NOTE_LENGTH,
    MAX_TOPIC_LENGTH,
    MAX_TOPICS,
    ExistingProfile,
    parse_profiles,
    plan_import,
    render_report,
)
from commands.expertise.matching import (
    Hit,
    Person,
    RankedPerson,
    Reason,
    Synonyms,
    TopicIndex,
    TopicMatch,
    match_topics,
    rank_people,
    related_topics,
    split_topics,
    topic_key,
)
from commands.expertise.texts import MESSAGES
from storage import Repositories
from storage.profiles import ProfileRecord, RankedPage
from storage.text import fold

SEARCH_KIND = "werweiss"

router = Router(
    "expertise",
    title_de="Wer weiß was",
    title_en="Who knows what",
    messages=MESSAGES,
    area_de="wissen",
    highlights=("werweiss", "ichweiss", "profil"),
)

_LEAD_WORDS = re.compile(r"^(?:mit|über|ueber|zu|zum|zur|about|on)\s+", re.IGNORECASE)
_TRAIL_WORDS = re.compile(r"\s+(?:aus|bescheid)\s*$", re.IGNORECASE)
_ELSEWHERE = re.compile(
    r"\s+(?:woanders|anderswo|in anderen städten|in anderen staedten|andere städte|andere staedte|"
    r"nicht (?:in |aus )?meiner stadt|nicht meine stadt|außerhalb|ausserhalb|elsewhere|in other cities|"
    r"other cities|not (?:in )?my city)\s*$",
    re.IGNORECASE,
)
_NOT_IN = re.compile(r"\s+(?:nicht in|nicht aus|außer|ausser|ohne|not in|not from|except)\s+(?P<city>.+)$", re.I)
_IN = re.compile(r"\s+(?:in|aus|from)\s+(?P<city>.+)$", re.IGNORECASE)


@dataclass(frozen=True)
class Search:
    """A parsed `!werweiss` request; saved as JSON for `!mehr`."""

    query: str
    city: str | None = None
    exclude_city: str | None = None
    exclude_own_city: bool = False


def parse_search(text: str, cities: Sequence[str]) -> Search:
    """Split "XRechnung in Bühl" / "eAkte nicht in Rastatt" / "DMS woanders" into query and filters.

    "in X" is only a filter when X is one of the network's cities: "KI in Kommunen" stays a query."""
    text = text.strip().rstrip("?!. ").strip()
    text = _TRAIL_WORDS.sub("", _LEAD_WORDS.sub("", text)).strip()
    if match := _ELSEWHERE.search(" " + text):
        return Search(query=(" " + text)[: match.start()].strip(), exclude_own_city=True)
    if match := _NOT_IN.search(text):
        city, _ = resolve_name(match["city"], cities)
        if city:
            return Search(query=text[: match.start()].strip(), exclude_city=city)
    if match := _IN.search(text):
        city, _ = resolve_name(match["city"], cities)
        if city:
            return Search(query=text[: match.start()].strip(), city=city)
    return Search(query=text)


async def topic_index(repos: Repositories, synonyms: Synonyms) -> TopicIndex:
    """Every known topic and the synonyms, analysed once per vocabulary version (and synonym configuration)."""
    return await repos.profiles.vocabulary_index(
        ("werweiss", synonyms), lambda vocabulary: TopicIndex(repos.analyzer, vocabulary, synonyms)
    )


async def find_people(
    repos: Repositories,
    search: Search,
    *,
    synonyms: Synonyms,
    asker: str | None,
    own_city: str | None,
    activity_since: datetime,
    limit: int,
    offset: int = 0,
) -> tuple[list[RankedPerson], RankedPage]:
    """One page of the people who know about `search`, best first, and how many there are in all; never the
    `asker`, who is no answer to their own question.

    Matching runs over the analysed topic vocabulary (small, and cached); ranking runs in the database, so a
    topic with thousands of holders costs one aggregate query. Used by the command, substitution suggestions
    and the benchmark."""
    matches = match_topics(search.query, await topic_index(repos, synonyms))
    if not matches:
        return [], RankedPage([], 0, capped=False)
    by_key = {m.key: m for m in matches}
    result = await repos.profiles.rank_holders(
        {m.key: (int(m.kind), m.score) for m in matches},
        activity_since=activity_since,
        city=search.city,
        exclude_city=search.exclude_city or (own_city if search.exclude_own_city else None),
        exclude_user=asker,
        limit=limit,
        offset=offset,
    )
    page = result.user_ids
    records, holders = await repos.profiles.page_of_holders(page, list(by_key), activity_since=activity_since)
    people = {
        uid: Person(uid, p.display_name, p.city, p.groups) if (p := records.get(uid)) else Person(uid, None, None, ())
        for uid in page
    }
    hits: dict[str, list[Hit]] = {}
    for holder in holders:
        match = by_key[holder.key]
        hits.setdefault(holder.user_id, []).append(
            Hit(TopicMatch(match.key, holder.label, match.reason, match.score), holder.source)
        )
    # rank_people orders each person's hits; the database already ordered the people.
    ranked = {r.person.user_id: r for r in rank_people(hits, people)}
    return [ranked[uid] for uid in page if uid in ranked], result


# --- asking -----------------------------------------------------------------------------------------------


@router.command(
    "werweiss",
    aliases=["wer-weiss", "werweiß", "whoknows", "who-knows"],
    name_en="whoknows",
    help_de="Findet Kolleg:innen, die sich mit einem Thema auskennen",
    help_en="Finds colleagues who know about a topic",
    details_de=(
        "Beispiele: `!werweiss XRechnung`, `!werweiss eAkte in Bühl`, `!werweiss DMS nicht in Rastatt`, "
        "`!werweiss Sensorik woanders` (nicht aus deiner Stadt). Groß-/Kleinschreibung, Umlaute, Bindestriche, "
        "Wortformen („Verträge“ findet „Vertrag“) und kleine Tippfehler sind egal; Teile von Wörtern und verwandte "
        "Begriffe werden auch gefunden."
    ),
    details_en=(
        "Examples: `!whoknows XRechnung`, `!whoknows eAkte in Bühl`, `!whoknows DMS not in Rastatt`, "
        "`!whoknows sensors elsewhere` (not from your city). Case, umlauts, hyphens, word forms (“Verträge” "
        "finds “Vertrag”) and small typos don't matter; parts of words and related terms are found too."
    ),
    labels={"text": ("Begriff", "term")},
    replay_safe=True,
)
async def who_knows(ctx: CommandContext, *, text: str) -> Reply:
    search = parse_search(text, ctx.config.cities)
    if not search.query:
        raise BadArgument("who.empty_query")
    key = topic_key(search.query)
    if key:  # counted per day without who asked: "most-asked topics" in the yearly report
        ctx.tally.add(key, search.query, day=ctx.clock.now().astimezone(ctx.config.timezone).date())
    return await _answer(ctx, search, page=1)


@router.command(
    "mehr",
    aliases=["more"],
    help_de="Zeigt weitere Treffer der letzten Suche",
    help_en="Shows more results of the last search",
    replay_safe=True,
)
async def more(ctx: CommandContext) -> Reply:
    saved = await ctx.repos.queries.load(ctx.sender, ctx.room_id, SEARCH_KIND)
    if saved is None:
        raise NotFound("who.no_previous")
    search = Search(
        query=str(saved["query"]),
        city=saved.get("city"),
        exclude_city=saved.get("exclude_city"),
        exclude_own_city=bool(saved.get("exclude_own_city")),
    )
    return await _answer(ctx, search, page=int(saved.get("page", 1)) + 1)


async def _answer(ctx: CommandContext, search: Search, *, page: int) -> Reply:
    own_city = await ctx.repos.profiles.city_of(ctx.sender) if search.exclude_own_city else None
    if search.exclude_own_city and own_city is None:
        raise BadArgument("who.no_own_city")
    size = ctx.config.page_size
    ranked, result = await find_people(
        ctx.repos,
        search,
        synonyms=Synonyms(ctx.config.synonyms),
        asker=ctx.sender,
        own_city=own_city,
        activity_since=ctx.clock.now() - ctx.config.activity_window,
        limit=size,
        offset=(page - 1) * size,
    )
    query = Markdown(f"„{md_escape(search.query)}“" if ctx.language == "de" else f"“{md_escape(search.query)}”")
    where = _where(ctx, search, own_city)
    if result.total == 0:
        return _nobody(ctx, search, query, where, await topic_index(ctx.repos, Synonyms(ctx.config.synonyms)))
    start = (page - 1) * size
    if not ranked:
        raise NotFound("who.no_more", query=query)
    await ctx.repos.queries.save(
        ctx.sender,
        ctx.room_id,
        SEARCH_KIND,
        {
            "query": search.query,
            "city": search.city,
            "exclude_city": search.exclude_city,
            "exclude_own_city": search.exclude_own_city,
            "page": page,
        },
    )
    heading = ctx.t("who.heading", query=query, where=where)
    if page > 1:
        heading += f" – {ctx.t('who.page', page=page)}"
    lines = [heading, ""]
    for number, ranked_person in enumerate(ranked, start=start + 1):
        lines.append(f"{number}. {_person_line(ctx, ranked_person)}")
    remaining = result.total - (start + len(ranked))
    if result.capped:
        lines += ["", ctx.t("who.many_more", count=result.total - start, prefix=ctx.prefix)]
    elif remaining > 0:
        lines += ["", ctx.t("who.more", count=remaining, prefix=ctx.prefix)]
    return Reply.text("\n".join(lines))


def _where(ctx: CommandContext, search: Search, own_city: str | None) -> str:
    if search.city:
        return ctx.t("who.where_city", city=search.city)
    excluded = search.exclude_city or (own_city if search.exclude_own_city else None)
    return ctx.t("who.where_not_city", city=excluded) if excluded else ""


def _person_line(ctx: CommandContext, ranked: RankedPerson) -> str:
    person = ranked.person
    about = [x for x in (person.city, ", ".join(_in_config_order(person.groups, ctx.config.groups))) if x]
    topics: list[str] = []
    for hit in ranked.hits:
        label = md_escape(hit.topic.label)
        # Why this topic answers (an exact match needs no word), and where the knowledge comes from.
        notes = [] if hit.topic.reason is Reason.EXACT else [ctx.t(f"who.kind.{hit.topic.reason.value}")]
        if hit.source != "profile":
            notes.append(ctx.t(f"who.source.{hit.source}"))
        topics.append(f"{label} ({', '.join(notes)})" if notes else label)
    # Pills make names clickable; the reply's empty m.mentions means nobody is pinged by a search.
    line = mention_link(person.user_id, person.display_name)
    if about:
        line += " – " + md_escape(" · ".join(about))
    return line + " — " + ", ".join(dict.fromkeys(topics))


def _nobody(ctx: CommandContext, search: Search, query: str, where: str, index: TopicIndex) -> Reply:
    lines = [ctx.t("who.nobody", query=query, where=where)]
    related = related_topics(search.query, index)
    if related:
        lines.append(ctx.t("who.related", topics=", ".join(md_code(f"{ctx.prefix}werweiss {r}") for r in related)))
    substitution = ctx.registry.find("vertretung")
    if substitution is not None:
        lines.append(ctx.t("who.ask_network", prefix=ctx.prefix, command=substitution.name))
    command = f"{ctx.prefix}ichweiss {search.query}" if ctx.language == "de" else f"{ctx.prefix}iknow {search.query}"
    lines.append(ctx.t("who.enter_yourself", command=md_code(command)))
    return Reply.text("\n\n".join(lines))


# --- one's own profile --------------------------------------------------------------------------------------


def _topics_from(ctx: CommandContext, text: str) -> list[tuple[str, str]]:
    topics: list[tuple[str, str]] = []
    for label in split_topics(text):
        if len(label) > MAX_TOPIC_LENGTH:
            raise BadArgument("topics.too_long", topic=label[:80], limit=MAX_TOPIC_LENGTH)
        key = topic_key(label)
        if key:
            topics.append((key, label))
    if not topics:
        raise BadArgument("topics.none_given", command=ctx.invoked_as)
    return topics


def _listing(labels: Sequence[str]) -> str:
    return ", ".join(md_escape(label) for label in labels)


@router.command(
    "ichweiss",
    aliases=["ichweiß", "iknow"],
    help_de="Trägt Themen in dein Profil ein, bei denen du dich auskennst",
    help_en="Adds topics you know about to your profile",
    details_de="Mehrere Themen mit Komma trennen: `!ichweiss eAkte, XRechnung, LoRaWAN`.",
    details_en="Separate several topics with commas: `!iknow eAkte, XRechnung, LoRaWAN`.",
    labels={"topics": ("Themen", "topics")},
    replay_safe=True,
)
async def i_know(ctx: CommandContext, *, topics: str) -> Reply:
    wanted = _topics_from(ctx, topics)
    await ctx.repos.profiles.ensure(ctx.sender, ctx.message.sender_name)
    added = await ctx.repos.profiles.add_topics(ctx.sender, wanted)
    profile = await ctx.repos.profiles.get(ctx.sender)
    assert profile is not None
    if len(profile.topics) > MAX_TOPICS:
        raise BadArgument("topics.too_many", limit=MAX_TOPICS)
    already = [label for _, label in wanted if label not in added]
    lines = []
    if added:
        lines.append(ctx.t("topics.added", topics=_listing(added)))
    if already:
        lines.append(ctx.t("topics.already", topics=_listing(already)))
    lines.append(ctx.t("topics.see_profile", prefix=ctx.prefix))
    return Reply.text(" ".join(lines))


@router.command(
    "ichweissnicht",
    aliases=["ichweißnicht", "idontknow"],
    help_de="Entfernt Themen aus deinem Profil",
    help_en="Removes topics from your profile",
    labels={"topics": ("Themen", "topics")},
    replay_safe=True,
)
async def i_dont_know(ctx: CommandContext, *, topics: str) -> Reply:
    wanted = _topics_from(ctx, topics)
    removed = await ctx.repos.profiles.remove_topics(ctx.sender, [key for key, _ in wanted])
    removed_keys = {topic_key(label) for label in removed}
    missing = [label for key, label in wanted if key not in removed_keys]
    lines = []
    if removed:
        lines.append(ctx.t("topics.removed", topics=_listing(removed)))
    if missing:
        lines.append(ctx.t("topics.not_there", topics=_listing(missing)))
    lines.append(ctx.t("topics.see_profile", prefix=ctx.prefix))
    return Reply.text(" ".join(lines))


@router.command(
    "stadt",
    aliases=["city"],
    help_de="Setzt deine Stadt (eine der neun im Netzwerk)",
    help_en="Sets your city (one of the nine in the network)",
    labels={"city": ("Stadt", "city")},
    replay_safe=True,
)
async def set_city(ctx: CommandContext, *, city: Annotated[str, CITY] | None = None) -> Reply:
    if city is None:
        me = await ctx.repos.profiles.get(ctx.sender)
        current = me.city if me and me.city else ctx.t("profile.unset")
        return Reply.text(ctx.t("city.current", city=current, prefix=ctx.prefix, cities=", ".join(ctx.config.cities)))
    await ctx.repos.profiles.ensure(ctx.sender, ctx.message.sender_name)
    await ctx.repos.profiles.set_city(ctx.sender, city)
    return Reply.text(ctx.t("city.set", city=city) + " " + ctx.t("topics.see_profile", prefix=ctx.prefix))


@router.command(
    "gruppen",
    aliases=["gruppe", "groups"],
    name_en="groups",
    help_de="Setzt die Projektgruppen, in denen du mitarbeitest",
    help_en="Sets the project groups you work in",
    details_de="Mehrere mit Komma trennen; `!gruppen keine` trägt dich überall aus.",
    details_en="Separate several with commas; `!groups none` removes you from all.",
    labels={"groups": ("Gruppen", "groups")},
    replay_safe=True,
)
async def set_groups(ctx: CommandContext, *, groups: Annotated[list[str], GROUPS] | None = None) -> Reply:
    if groups is None:
        me = await ctx.repos.profiles.get(ctx.sender)
        mine = ", ".join(me.groups) if me and me.groups else ctx.t("profile.unset")
        allowed = ", ".join(ctx.config.groups)
        return Reply.text(ctx.t("groups.current", mine=mine, prefix=ctx.prefix, groups=allowed))
    await ctx.repos.profiles.ensure(ctx.sender, ctx.message.sender_name)
    await ctx.repos.profiles.set_groups(ctx.sender, groups)
    chosen = _in_config_order(groups, ctx.config.groups)
    text = ctx.t("groups.set", groups=", ".join(chosen)) if chosen else ctx.t("groups.cleared")
    return Reply.text(text + " " + ctx.t("topics.see_profile", prefix=ctx.prefix))


@router.command(
    "notiz",
    aliases=["note"],
    help_de="Kurze Notiz in deinem Profil (Rolle, Erreichbarkeit); „löschen“ entfernt sie",
    help_en="Short note in your profile (role, availability); “delete” removes it",
    labels={"note": ("Text", "text")},
    replay_safe=True,
)
async def set_note(ctx: CommandContext, *, note: str) -> Reply:
    if fold(note) in {"loeschen", "delete", "clear", "weg"}:
        await ctx.repos.profiles.set_note(ctx.sender, None)  # no profile is created just to clear a note
        return Reply.text(ctx.t("note.cleared"))
    await ctx.repos.profiles.ensure(ctx.sender, ctx.message.sender_name)
    note = " ".join(note.split())
    if len(note) > MAX_NOTE_LENGTH:
        raise BadArgument("note.too_long", length=len(note), limit=MAX_NOTE_LENGTH)
    await ctx.repos.profiles.set_note(ctx.sender, note)
    return Reply.text(ctx.t("note.set", note=md_escape(note)))


@router.command(
    "erwähnen",
    aliases=["erwaehnen", "mentions"],
    help_de="Erlaubt (ja) oder verbietet (nein), dass ich dich anpinge",
    help_en="Allows (yes) or forbids (no) that I ping you",
    labels={"answer": ("ja|nein", "yes|no")},
    replay_safe=True,
)
async def set_mentions(
    ctx: CommandContext, *, answer: Literal["ja", "nein", "yes", "no", "an", "aus", "on", "off"]
) -> Reply:
    allow = answer in {"ja", "yes", "an", "on"}
    await ctx.repos.profiles.ensure(ctx.sender, ctx.message.sender_name)
    await ctx.repos.profiles.set_allow_mentions(ctx.sender, allow)
    return Reply.text(ctx.t("mentions.on" if allow else "mentions.off"))


@router.subcommand(
    "profil", "löschen", aliases=["delete"], help_de="Löscht dein Profil sofort, mit allem, was dazugehört",
    help_en="Deletes your profile at once, with everything that belongs to it", replay_safe=True,
)  # fmt: skip
async def delete_profile(ctx: CommandContext) -> Reply:
    await ctx.repos.profiles.delete(ctx.sender)
    return Reply.text(ctx.t("profile.deleted"))


@router.command(
    "profil",
    aliases=["profile"],
    help_de="Zeigt dein Profil oder das von @jemand",
    help_en="Shows your profile or @someone's",
    labels={"who": ("@jemand", "@someone")},
    replay_safe=True,
)
async def show_profile(ctx: CommandContext, *, who: Annotated[str, USER] | None = None) -> Reply:
    user_id = who or ctx.sender
    profile = await ctx.repos.profiles.get(user_id)
    if profile is None:
        if user_id == ctx.sender:
            return Reply.text(ctx.t("profile.none_own", prefix=ctx.prefix))
        return Reply.text(ctx.t("profile.none_other", user=md_escape(user_id)))
    return Reply.text(render_profile(ctx, profile))


def _in_config_order(names: Sequence[str], configured: Sequence[str]) -> list[str]:
    order = {name: index for index, name in enumerate(configured)}
    return sorted(names, key=lambda name: (order.get(name, len(order)), name))


def render_profile(ctx: CommandContext, profile: ProfileRecord) -> str:
    unset = ctx.t("profile.unset")
    pings = ("own." if profile.user_id == ctx.sender else "") + ("yes" if profile.allow_mentions else "no")
    rows = [
        (ctx.t("profile.city"), md_escape(profile.city) if profile.city else unset),
        (ctx.t("profile.groups"), _listing(_in_config_order(profile.groups, ctx.config.groups)) or unset),
        (ctx.t("profile.topics"), _listing(profile.topics) or unset),
        (ctx.t("profile.note"), md_escape(profile.note) if profile.note else unset),
        (ctx.t("profile.mentions"), ctx.t(f"profile.{pings}", prefix=ctx.prefix)),
    ]
    name = md_escape(profile.display_name) if profile.display_name else ""
    title = f"**{name}** ({md_escape(profile.user_id)})" if name else f"**{md_escape(profile.user_id)}**"
    return "\n".join([title, *(f"- {label}: {value}" for label, value in rows)])


# --- onboarding many people at once -------------------------------------------------------------------------


@router.command(
    "import",
    aliases=["importieren"],
    name_en="import",
    help_de="Importiert Profile aus einer CSV-/TOML-Datei (als Antwort auf die Datei; erst Probelauf)",
    help_en="Imports profiles from a CSV/TOML file (as a reply to the file; dry run first)",
    details_de=(
        "Lade die Datei hoch und antworte darauf mit `!import`: ich zeige, was sich ändern würde, und "
        "speichere nichts. `!import anwenden` übernimmt alles – oder nichts, wenn eine Zeile fehlerhaft ist. "
        "Leere Zellen behalten, was schon eingetragen ist; Themen werden ergänzt, nie gelöscht."
    ),
    details_en=(
        "Upload the file and reply to it with `!import`: I show what would change and save nothing. "
        "`!import apply` takes over everything – or nothing if any row is wrong. Empty cells keep what is "
        "there; topics are added, never removed."
    ),
    role=Role.COORDINATOR,
    labels={"mode": ("anwenden", "apply")},
    wants_file=True,
)
async def import_profiles(ctx: CommandContext, *, mode: Literal["anwenden", "apply"] | None = None) -> Reply:
    if ctx.message.reply_to is None:
        raise BadArgument("import.how")
    if ctx.attachment is None:
        raise BadArgument("import.not_a_file", how=ctx.t("import.how", prefix=ctx.prefix))
    outcome = await run_import(
        ctx.repos,
        ctx.attachment.data,
        ctx.attachment.filename,
        cities=ctx.config.cities,
        groups=ctx.config.groups,
        language=ctx.language,
        apply=mode is not None,
    )
    report = outcome.report
    if not outcome.applied and not outcome.problems and outcome.pending:
        report += "\n\n" + ctx.t("import.apply_hint", prefix=ctx.prefix)
    return Reply.text(report)


@dataclass(frozen=True)
class ImportOutcome:
    report: str  # Markdown
    problems: int
    pending: int  # profiles to create or update
    applied: bool


async def run_import(
    repos: Repositories,
    data: bytes,
    filename: str,
    *,
    cities: Sequence[str],
    groups: Sequence[str],
    language: str,
    apply: bool,
) -> ImportOutcome:
    """Parse, plan and (if asked and the file is clean) save; returns the report and the counts.

    Shared by `!import` and `redi-bot import profiles`."""
    rows, problems, notes = parse_profiles(data, filename, cities=cities, groups=groups)
    stored = await repos.profiles.get_many((row.data.user_id for row in rows), with_topics=True)
    existing = {
        uid: ExistingProfile(p.user_id, p.display_name, p.city, p.groups, p.topics, p.note, p.allow_mentions)
        for uid, p in stored.items()
    }
    plan = plan_import(rows, existing, topic_key=topic_key)
    apply = apply and not problems  # all or nothing
    if apply:
        for change in plan.to_apply:
            result = change.result
            await repos.profiles.save(
                result.user_id,
                display_name=result.display_name,
                city=result.city,
                groups=result.groups,
                topics=[(topic_key(label), label) for label in result.topics],
                note=result.note,
                allow_mentions=result.allow_mentions,
            )
    return ImportOutcome(
        report=render_report(plan, problems, notes, language=language, dry_run=not apply),
        problems=len(problems),
        pending=len(plan.to_apply),
        applied=apply,
    )
