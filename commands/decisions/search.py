"""`!beschluesse`: search the decision log, newest first, a page at a time; the grammar is read by `query`."""

from __future__ import annotations

import functools
import re
from zoneinfo import ZoneInfo

from bot.dispatch import CommandContext, is_number_word, record_number
from bot.errors import BadArgument, Localized
from bot.replies import Reply, md_escape
from commands.decisions.query import describe_decision_query
from commands.decisions.shared import People, people, read_query, router, search_scope
from commands.timezones import room_timezone
from storage.decisions import DecisionRecord

PAGE = 10


_PAGE = re.compile(r"(?:^|\s)(?:seite|page):(\S+)\s*$", re.IGNORECASE)


@router.command(
    "beschluesse",
    aliases=["beschlüsse", "decisions"],
    help_de="Sucht Beschlüsse (Begriff, gruppe:, seit:, bis:, #Schlagwort, von:, status:)",
    help_en="Searches decisions (term, group:, since:, until:, #tag, from:, status:)",
    details_de=(
        '`!beschluesse XRechnung gruppe:"Digitale Rechnung" seit:1.1.2026 #Pflicht status:alle` – die besten '
        "Treffer zuerst (das Wort selbst, dann andere Formen, Teile zusammengesetzter Wörter, Wortanfänge), sonst "
        "die neuesten. "
        "Im Gruppenraum sucht er in der Gruppe; die Koordination sucht im eigenen Raum oder per Direktnachricht "
        "über alle Gruppen."
    ),
    details_en=(
        '`!decisions XRechnung group:"Digitale Rechnung" since:1.1.2026 #duty status:all` – best matches first '
        "(the word itself, then other forms, parts of compounds, word starts), otherwise newest first. "
        "In a group room it searches the group; coordinators search all groups in their room or a direct message."
    ),
    labels={"text": ("Suche", "search")},
    replay_safe=True,
)
async def search_decisions(ctx: CommandContext, *, text: str | None = None) -> Reply:
    raw = text or ""
    page = 1
    found = _PAGE.search(raw)
    if found:
        if not is_number_word(found.group(1)):
            raise BadArgument("dec.bad_page", page=found.group(1))
        page = record_number(found.group(1), Localized("Seite", "page"))
        raw = raw[: found.start()]
    query = await read_query(ctx, raw)
    scope = search_scope(ctx, query.group)
    tz = await room_timezone(ctx)
    since, until = query.created_range(tz)
    search = functools.partial(
        ctx.repos.decisions.search,
        words=query.words,
        groups=scope.groups,
        room_id=scope.room_id,
        since=since,
        until=until,
        tags=query.tags,
        author=query.author,
        ids=query.ids,
    )
    result = await search(status=query.status, limit=PAGE, offset=(page - 1) * PAGE)
    named = await people(ctx, [query.author, *(d.author for d in result.decisions)])
    # The scope names the group ("Gruppe eAkte"); a `gruppe:` of the search is that scope, so it is not said twice.
    described = describe_decision_query(
        query, language=ctx.language, with_group=False, author_name=named.names.get(query.author or "")
    )
    heading = md_escape(", ".join(x for x in (scope.described, described) if x))
    if result.total == 0:
        lines = [ctx.t("dec.none", query=heading)]
    else:
        lines = [ctx.t("dec.results_many" if result.capped else "dec.results", query=heading, count=result.total)]
        lines.append("\n".join(_line(ctx, d, named, tz) for d in result.decisions))
        if page * PAGE < result.total:
            command = f"{ctx.prefix}{ctx.invoked_as} {raw.strip()}".strip()
            lines.append(ctx.t("dec.next_page", command=command, page=page + 1))
    if query.status == "active" and not query.ids and not result.capped:
        everything = await search(status="all", limit=0)
        if everything.capped:
            lines.append(ctx.t("dec.hidden_many"))
        elif everything.total > result.total:
            lines.append(ctx.t("dec.hidden", count=everything.total - result.total))
    return Reply.text("\n\n".join(lines))


def _line(ctx: CommandContext, record: DecisionRecord, named: People, tz: ZoneInfo) -> str:
    day = record.created_at.astimezone(tz).strftime("%d.%m.%Y")
    status = "" if record.status == "active" else f" ({ctx.t(f'dec.status.{record.status}')})"
    link = f" · [↗]({record.permalink})" if record.permalink else ""
    group = md_escape(record.group or ctx.t("dec.no_group"))
    text = md_escape(record.text if len(record.text) <= 300 else record.text[:300] + "…")
    author = named.link(record.author)
    return f"- **#{record.id}** · {day} · {group} · {author}: {text}{status}{link}"
