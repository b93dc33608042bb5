"""General commands: help generated from the registry, health check, language choice.

`!hilfe` is a short overview: one line per area (a feature's router: its title and the commands it highlights), then
how to get more. `!hilfe termine` (an area: the word its router declares, `!help meetings`, or a word of its title)
lists the area's commands with their usage; `!hilfe termin` (a command) explains one. Where an area and a command
share a name (`!termine`), the area wins and `!hilfe !termine`, with the prefix, means the command.
"""

from __future__ import annotations

from typing import Annotated, Literal

from bot.dispatch import Command, CommandContext, Feature, Registry, Role, Router
from bot.errors import NotFound
from bot.replies import Reply, md_code
from commands import arguments, rights
from commands.arguments import TIME_ZONE
from commands.timezones import room_timezone
from storage.text import fold

GENERAL = "general"

router = Router(
    "general",
    title_de="Allgemein",
    title_en="General",
    messages={
        **rights.MESSAGES,  # the refusals every feature raises through commands.rights
        **arguments.MESSAGES,  # the typed arguments every feature shares
        "help.title": {"de": "**Das kann ich** (re@di-Bot)", "en": "**What I can do** (re@di bot)"},
        "help.area": {"de": "**{title}**: {commands} – mehr: {more}", "en": "**{title}**: {commands} – more: {more}"},
        "help.others": {
            "de": {"one": "{commands} und {count} weiterer", "other": "{commands} und {count} weitere"},
            "en": {"one": "{commands} and {count} more", "other": "{commands} and {count} more"},
        },
        "help.general": {"de": "Außerdem: {commands}", "en": "Also: {commands}"},
        "help.footer": {
            "de": "Mehr zu einem Befehl: `{prefix}hilfe <Befehl>`, z. B. `{prefix}hilfe {example}`. "
            "Auf Englisch: `{prefix}sprache en`.",
            "en": "More about one command: `{prefix}help <command>`, e.g. `{prefix}help {example}`. "
            "Auf Deutsch: `{prefix}language de`.",
        },
        "help.area_title": {"de": "**{title}** – die Befehle", "en": "**{title}** – the commands"},
        "help.area_footer": {
            "de": "Mehr zu einem Befehl: `{prefix}hilfe {prefix}{example}`. Alle Bereiche: `{prefix}hilfe`",
            "en": "More about one command: `{prefix}help {prefix}{example}`. All areas: `{prefix}help`",
        },
        "help.unknown": {
            "de": "Zu {name} habe ich keinen Befehl und keinen Bereich gefunden. Überblick: `{prefix}hilfe`",
            "en": "I found no command or area {name}. Overview: `{prefix}help`",
        },
        "help.usage": {"de": "Aufruf", "en": "Usage"},
        "help.subcommands": {"de": "Dazu gehören", "en": "Subcommands"},
        "help.aliases": {"de": "Auch", "en": "Also"},
        "help.coordinators_only": {
            "de": "Nur für Koordinator:innen.",
            "en": "Coordinators only.",
        },
        "ping.pong": {"de": "Pong! Ich bin da. 🏓", "en": "Pong! I'm here. 🏓"},
        "language.set": {
            "de": "Alles klar, ich antworte dir ab jetzt auf Deutsch.",
            "en": "Alright, I'll answer you in English from now on.",
        },
        "timezone.set": {
            "de": "Deine Zeitzone: {zone}. Persönliche Erinnerungen rechne ich ab jetzt darin.",
            "en": "Your time zone: {zone}. I now use it for your personal reminders.",
        },
        "timezone.current": {
            "de": "Deine Zeitzone: {zone}. Ändern: `{prefix}zeitzone Europe/Lisbon`\n\n"
            "Termine in diesem Raum: {room_zone}. Ändern (Raum-Moderation): `{prefix}zeitzone raum Europe/Lisbon`",
            "en": "Your time zone: {zone}. Change: `{prefix}timezone Europe/Lisbon`\n\n"
            "Meetings in this room: {room_zone}. Change (room moderators): `{prefix}timezone room Europe/Lisbon`",
        },
        "timezone.room_set": {
            "de": "Neue Termine in diesem Raum rechne ich ab jetzt in {zone}. Bestehende Termine behalten ihre Zone.",
            "en": "New meetings in this room now use {zone}. Existing meetings keep their zone.",
        },
        "language.current": {
            "de": "Ich antworte dir auf Deutsch. Umstellen: `{prefix}sprache en`",
            "en": "I answer you in English. To switch: `{prefix}language de`",
        },
    },
)


@router.command(
    "hilfe",
    aliases=["help", "h", "?"],
    help_de="Zeigt, was ich kann, die Befehle eines Bereichs (z. B. termine) oder erklärt einen Befehl",
    help_en="Shows what I can do, the commands of an area (e.g. meetings) or explains one command",
    labels={"command": ("Bereich oder Befehl", "area or command")},
    replay_safe=True,
)
async def show_help(ctx: CommandContext, *, command: str | None = None) -> Reply:
    prefix, lang = ctx.prefix, ctx.language
    if not command:
        return Reply.text(_overview(ctx))
    area = None if command.strip().startswith(prefix) else find_area(ctx.registry, command)
    if area is not None:
        return Reply.text(_area(ctx, area))
    words = command.strip().removeprefix(prefix).split()
    found = ctx.registry.find(words[0]) if words else None
    if found is None:
        raise NotFound("help.unknown", name=md_code(" ".join(words)))
    sub = ctx.registry.subcommand(found, words[1]) if len(words) > 1 else None
    if sub is not None:
        found = sub
    head = f"{prefix}{found.parent.spoken_name(lang)} " if found.parent else prefix
    lines = [f"**{head}{found.spoken_name(lang)}** – {found.help(lang)}"]
    if found.details(lang):
        # Details are written with the default prefix; shown with the configured one.
        lines.append(found.details(lang).replace("`!", "`" + prefix))
    lines.append(f"{ctx.t('help.usage')}: `{found.usage(prefix, lang)}`")
    subcommands = ctx.registry.subcommands(found)
    if subcommands:
        items = "\n".join(f"- `{s.usage(prefix, lang)}` – {s.help(lang)}" for s in subcommands)
        lines.append(f"{ctx.t('help.subcommands')}:\n\n{items}")
    others = [n for n in found.names if n != found.spoken_name(lang)]
    if others:
        lines.append(f"{ctx.t('help.aliases')}: " + ", ".join(f"`{head}{n}`" for n in others))
    if found.role is Role.COORDINATOR:
        lines.append(ctx.t("help.coordinators_only"))
    return Reply.text("\n\n".join(lines))


def find_area(registry: Registry, word: str) -> Router | None:
    """The area a word names: its area word in either language (before a command of that name: `!hilfe termine`),
    else a word of its title of four letters or more that names no command (`!hilfe protokolle`)."""
    key = fold(word.strip())
    routers = [router for router in registry.routers if router.commands]
    for router in routers:
        if key in {fold(router.area_word("de")), fold(router.area_word("en"))}:
            return router
    if registry.find(key) is not None:
        return None
    for router in routers:
        if key in {fold(name) for name in (*router.title_de.split(), *router.title_en.split()) if len(name) >= 4}:
            return router
    return None


def _names(commands: list[Command], prefix: str, language: str) -> str:
    return ", ".join(md_code(prefix + c.spoken_name(language)) for c in commands)


def _overview(ctx: CommandContext) -> str:
    """One line per area with the commands it highlights, the general commands, how to get more: short, whatever
    the features declare."""
    prefix, lang = ctx.prefix, ctx.language
    lines = []
    example = ""  # the first area's first command
    general: list[Command] = []
    for router in ctx.registry.routers:
        if router.family == GENERAL:
            general = [c for c in router.commands if c.name != "hilfe"]
            continue
        shown = router.highlighted()
        if not shown:
            continue
        rest = len(router.commands) - len(shown)
        example = example or shown[0].spoken_name(lang)
        names = _names(shown, prefix, lang)
        if rest:
            names = ctx.t("help.others", commands=names, count=rest)
        more = md_code(f"{prefix}{'help' if lang == 'en' else 'hilfe'} {router.area_word(lang)}")
        lines.append(f"- {ctx.t('help.area', title=router.title(lang), commands=names, more=more)}")
    parts = [ctx.t("help.title"), "\n".join(lines)]
    if general:
        parts.append(ctx.t("help.general", commands=_names(general, prefix, lang)))
    parts.append(ctx.t("help.footer", prefix=prefix, example=example or "ping"))
    return "\n\n".join(parts)


def _area(ctx: CommandContext, router: Router) -> str:
    """An area's commands with their usage and what they do."""
    prefix, lang = ctx.prefix, ctx.language
    items = "\n".join(f"- `{c.usage(prefix, lang)}` – {c.help(lang)}" for c in router.commands)
    example = router.commands[0].spoken_name(lang)
    return "\n\n".join(
        [
            ctx.t("help.area_title", title=router.title(lang)),
            items,
            ctx.t("help.area_footer", prefix=prefix, example=example),
        ]
    )


@router.command("ping", help_de="Prüft, ob ich antworte", help_en="Checks that I answer", replay_safe=True)
async def ping(ctx: CommandContext) -> Reply:
    return Reply.text(ctx.t("ping.pong"))


@router.command(
    "sprache",
    aliases=["language", "lang"],
    help_de="Stellt deine Sprache ein (de oder en)",
    help_en="Sets your language (de or en)",
    labels={"language": ("Sprache", "language")},
    replay_safe=True,
)
async def set_language(ctx: CommandContext, *, language: Literal["de", "en"] | None = None) -> Reply:
    if language is None:
        return Reply.text(ctx.t("language.current", prefix=ctx.prefix))
    await ctx.repos.users.set_language(ctx.sender, language)
    return Reply.text(ctx.t.catalog.text(language, "language.set"))


@router.command(
    "zeitzone",
    aliases=["timezone", "tz"],
    help_de="Stellt deine Zeitzone ein (persönliche Erinnerungen) oder die der Termine im Raum",
    help_en="Sets your time zone (personal reminders) or the one of the room's meetings",
    details_de="`!zeitzone` zeigt beide, `!zeitzone Europe/Lisbon` stellt deine ein.",
    details_en="`!timezone` shows both, `!timezone Europe/Lisbon` sets yours.",
    labels={"zone": ("Zeitzone", "time zone")},
    replay_safe=True,
)
async def set_timezone(ctx: CommandContext, *, zone: Annotated[str, TIME_ZONE] | None = None) -> Reply:
    if zone is None:
        settings = await ctx.repos.users.get(ctx.sender)
        current = settings.timezone if settings and settings.timezone else ctx.config.timezone.key
        room_zone = await room_timezone(ctx)
        return Reply.text(ctx.t("timezone.current", zone=current, room_zone=room_zone.key, prefix=ctx.prefix))
    await ctx.repos.users.set_timezone(ctx.sender, zone)
    return Reply.text(ctx.t("timezone.set", zone=zone))


@router.subcommand(
    "zeitzone", "raum", aliases=["room"],
    help_de="Stellt die Zeitzone neuer Termine in diesem Raum ein (Raum-Moderation)",
    help_en="Sets the time zone of new meetings in this room (room moderators)",
    labels={"zone": ("Zeitzone", "time zone")}, replay_safe=True,
)  # fmt: skip
async def set_room_timezone(ctx: CommandContext, *, zone: Annotated[str, TIME_ZONE] | None = None) -> Reply:
    if zone is None:
        return await set_timezone(ctx)
    rights.require(ctx, "room", owners=(), room_id=ctx.room_id)
    await ctx.repos.rooms.set_timezone(ctx.room_id, zone)
    return Reply.text(ctx.t("timezone.room_set", zone=zone))


feature = Feature(router)
