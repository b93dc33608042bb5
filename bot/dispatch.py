"""Declarative commands: routers collect them, the dispatcher parses, checks roles and runs them.

Command modules never see Matrix: they get a `CommandContext` and return a `Reply`. Help, usage lines
and "did you mean" suggestions are all generated from the same `Command` metadata.
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import inspect
import logging
import re
import secrets
import types
import typing
from collections.abc import Awaitable, Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, Literal, Protocol, get_args, get_origin

from rapidfuzz import fuzz, process

from bot.clock import Clock
from bot.config import Config
from bot.errors import BadArgument, Forbidden, Localized, NotFound, UserError, render
from bot.i18n import CORE_MESSAGES, Catalog, Messages, Translator
from bot.monitor import CommandTrace, Monitor, current_command
from bot.outbox import Outbox, SentHook, outgoing
from bot.replies import Attachment, Followup, Reply, md_code
from bot.schedule_texts import MESSAGES as SCHEDULE_MESSAGES
from bot.scheduler import JobEnv, Jobs
from storage import Database, Repositories
from storage.profiles import SearchTally
from storage.text import fold, without_controls

log = logging.getLogger(__name__)

COORDINATOR_POWER_LEVEL = 50
# Record numbers are database ids; INTEGER holds 2^31-1 on PostgreSQL (SQLite more), so a larger number names
# nothing and must not reach a query (SQLite raises OverflowError for Python ints beyond 64 bits).
MAX_RECORD_NUMBER = 2**31 - 1
_NUMBER_WORD = re.compile(r"#?-?[0-9]+")
ATTACHMENT_TIMEOUT_S = 30
AFTER_COMMIT_RETRY_S = 30.0  # re-planning that failed after a command's commit is tried again, a bit later each time


class Role(enum.IntEnum):
    MEMBER = 0
    COORDINATOR = 1


@dataclass(frozen=True)
class IncomingMessage:
    """A text message addressed to the bot, already filtered and decrypted by the transport."""

    room_id: str
    event_id: str
    sender: str
    body: str
    timestamp: datetime
    thread_root: str | None = None
    is_direct: bool = False
    sender_power: int = 0
    encrypted: bool = False
    sender_name: str | None = None  # display name in the room, if the sender set one
    reply_to: str | None = None  # event id this message answers (rich reply), or a reaction's target
    reaction: str | None = None  # set for an m.reaction: its key (emoji); the body is then empty
    mentions: tuple[str, ...] = ()  # user ids the client marked as mentioned (pills), from m.mentions
    changes: str | None = None  # set for an edit or redaction: the event it changes; the body is then empty
    new_body: str | None = None  # an edit's new text (None for a redaction)
    # Pressed on a signed-in web page (`OnBehalf`), not typed in a room: the page shows the reply itself, so only
    # what the command sends besides it (followups: direct messages, an announcement's edit) goes into the outbox.
    from_page: bool = False

    def reply_relation(self) -> dict[str, Any]:
        """`m.relates_to` of the answer: a rich reply, inside the thread if the command was in one. A reaction is
        answered below the message it reacted to (a reply to a reaction shows nothing)."""
        target = self.reply_to if self.reaction is not None and self.reply_to else self.event_id
        relates: dict[str, Any] = {"m.in_reply_to": {"event_id": target}}
        if self.thread_root:
            relates.update({"rel_type": "m.thread", "event_id": self.thread_root, "is_falling_back": False})
        return relates


@dataclass(frozen=True)
class Quoted:
    """The message a command replied to (fetched by the transport)."""

    event_id: str
    sender: str
    body: str


class AttachmentTooLarge(Exception):
    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"{size} bytes > {limit}")
        self.size = size
        self.limit = limit


class Planner(Protocol):
    """Re-plans scheduled messages after a command changed what they derive from (see `bot.scheduler.Planner`)."""

    async def refresh(self, kind: str, ref_id: int) -> None: ...


class FileSource(Protocol):
    """What the dispatcher needs from the transport to hand a replied-to file or message to a command."""

    async def fetch_attachment(self, room_id: str, event_id: str, *, max_bytes: int) -> Attachment | None: ...

    async def fetch_message(self, room_id: str, event_id: str) -> Quoted | None: ...

    def display_names(self, room_id: str, user_ids: Collection[str]) -> dict[str, str]:
        """The display names these people have in this room (else in any room the bot shares with them): how
        the people in the room see them, for those without a name in their profile."""
        ...


class Converter(Protocol):
    """Turns an argument as written into the value the handler gets (`Annotated[City, city]`): discord.py-style
    converters, so a handler receives a checked, bounded value. Raises BadArgument or NotFound with a key.

    A converter sees the words of its parameter: one word, or all that is left for the last parameter."""

    async def convert(self, ctx: CommandContext, text: str, label: Localized) -> Any: ...


@dataclass(frozen=True)
class Param:
    name: str
    kind: Literal["word", "rest", "int", "choice"]
    required: bool
    label_de: str
    label_en: str
    choices: tuple[str, ...] = ()
    converter: Converter | None = None

    def label(self, language: str) -> str:
        return self.label_en if language == "en" else self.label_de

    def placeholder(self, language: str) -> str:
        inner = "|".join(self.choices) if self.kind == "choice" else self.label(language)
        return f"<{inner}>" if self.required else f"[{inner}]"


Handler = Callable[..., Awaitable[Reply]]


@dataclass(frozen=True)
class Command:
    name: str
    aliases: tuple[str, ...]
    help_de: str
    help_en: str
    role: Role
    handler: Handler
    params: tuple[Param, ...]
    family: str
    details_de: str = ""
    details_en: str = ""
    wants_file: bool = False  # gets the file of the message this command replies to
    wants_quote: bool = False  # gets the message this command replies to (ctx.quoted)
    # Running it twice does no harm (it reads, or sets what is already set). Other commands are recorded by
    # event id in their unit of work, so one delivered again after a crash is not carried out twice.
    replay_safe: bool = False
    parent: Command | None = None  # a subcommand (`!termin absagen`) belongs to its command (`!termin`)
    # The name English speakers see, where the first English-looking alias is not it ("wer-weiss", "gruppe").
    name_en: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    def spoken_name(self, language: str) -> str:
        """The name shown to a speaker: English speakers see `name_en`, else the first English alias if any."""
        if language == "en" and self.name_en:
            return self.name_en
        if language == "en" and self.aliases:
            return next((a for a in self.aliases if a.isascii() and a not in _umlaut_free(self.name)), self.name)
        return self.name

    def help(self, language: str) -> str:
        return self.help_en if language == "en" else self.help_de

    def details(self, language: str) -> str:
        return self.details_en if language == "en" else self.details_de

    def usage(self, prefix: str, language: str) -> str:
        words = [self.spoken_name(language)]
        if self.parent is not None:
            words.insert(0, self.parent.spoken_name(language))
        return " ".join([prefix + " ".join(words), *(p.placeholder(language) for p in self.params)])


def _check_name_en(command: Command) -> None:
    if command.name_en is not None and command.name_en not in command.names:
        # What help shows must be a name the bot understands.
        raise ValueError(f"{command.name!r}: name_en {command.name_en!r} is none of its names")


def _umlaut_free(name: str) -> set[str]:
    return {name, name.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")}


class Router:
    """One per command family; the composition root passes all routers to the dispatcher.

    A feature's router is an area of `!hilfe`: its title, the word that names it (`!hilfe termine`, `!help
    meetings`; by default the first word of the German title and the family) and the commands the overview
    highlights (by default its first three members' commands, in the order they are declared)."""

    def __init__(
        self,
        family: str,
        *,
        title_de: str,
        title_en: str,
        messages: Messages | None = None,
        area_de: str | None = None,
        area_en: str | None = None,
        highlights: Sequence[str] = (),
    ) -> None:
        self.family = family
        self.title_de = title_de
        self.title_en = title_en
        self.area_de = area_de or title_de.split()[0].lower()
        self.area_en = area_en or family
        self.highlights = tuple(highlights)  # command names; the registry checks they are this router's
        self.messages: Messages = messages or {}
        self.commands: list[Command] = []
        self.reactions: list[ReactionHandler] = []
        self.change_watchers: list[ChangeWatcher] = []
        self.sent_hooks: dict[str, SentHook] = {}
        self.subcommands: list[tuple[str, Command]] = []  # (parent's name, subcommand); the registry links them

    def title(self, language: str) -> str:
        return self.title_en if language == "en" else self.title_de

    def area_word(self, language: str) -> str:
        return self.area_en if language == "en" else self.area_de

    def highlighted(self, count: int = 3) -> list[Command]:
        """The commands `!hilfe` names for this area: the declared highlights, else the first `count` commands
        members may use."""
        if self.highlights:
            by_name = {c.name: c for c in self.commands}
            return [by_name[name] for name in self.highlights]
        return [c for c in self.commands if c.role is Role.MEMBER][:count]

    def command(
        self,
        name: str,
        *,
        aliases: Sequence[str] = (),
        help_de: str,
        help_en: str,
        details_de: str = "",
        details_en: str = "",
        role: Role = Role.MEMBER,
        labels: dict[str, tuple[str, str]] | None = None,
        wants_file: bool = False,
        wants_quote: bool = False,
        replay_safe: bool = False,
        name_en: str | None = None,
    ) -> Callable[[Handler], Handler]:
        _plain_help(name, help_de, help_en)

        def register(handler: Handler) -> Handler:
            self.commands.append(
                Command(
                    name=name,
                    aliases=tuple(aliases),
                    help_de=help_de,
                    help_en=help_en,
                    details_de=details_de,
                    details_en=details_en,
                    role=role,
                    handler=handler,
                    params=_params_of(handler, labels or {}),
                    family=self.family,
                    wants_file=wants_file,
                    wants_quote=wants_quote,
                    replay_safe=replay_safe,
                    name_en=name_en,
                )
            )
            return handler

        return register

    def subcommand(
        self,
        parent: str,
        name: str,
        *,
        aliases: Sequence[str] = (),
        help_de: str,
        help_en: str,
        role: Role = Role.MEMBER,
        labels: dict[str, tuple[str, str]] | None = None,
        replay_safe: bool = False,
        name_en: str | None = None,
    ) -> Callable[[Handler], Handler]:
        """`!<parent> <name> …`, e.g. `!termin absagen 7`: a command of its own (arguments, role, help, usage),
        found by its first word after the parent's name. Any other first word goes to the parent's handler."""
        _plain_help(f"{parent} {name}", help_de, help_en)

        def register(handler: Handler) -> Handler:
            self.subcommands.append(
                (
                    parent,
                    Command(
                        name=name,
                        aliases=tuple(aliases),
                        help_de=help_de,
                        help_en=help_en,
                        role=role,
                        handler=handler,
                        params=_params_of(handler, labels or {}),
                        family=self.family,
                        replay_safe=replay_safe,
                        name_en=name_en,
                    ),
                )
            )
            return handler

        return register

    def reaction(self, *keys: str, command: str) -> Callable[[ReactionFunc], ReactionFunc]:
        """Handle reactions with these emoji as a shortcut of `command` (its rights and language apply).
        The handler gets the reacted-to event id and returns None when that event is not one of its own
        (then the reaction is ignored without a reply)."""

        def register(handler: ReactionFunc) -> ReactionFunc:
            self.reactions.append(ReactionHandler(frozenset(reaction_key(k) for k in keys), command, handler))
            return handler

        return register

    def on_sent(self, name: str) -> Callable[[SentHook], SentHook]:
        """A hook that a reply or followup names (`OnSent(name, arg)`): called in a unit of work with the
        argument, the room and the event id once the message is sent (also when sent after a restart)."""

        def register(hook: SentHook) -> SentHook:
            self.sent_hooks[name] = hook
            return hook

        return register

    def on_change(self, watcher: ChangeWatcher) -> ChangeWatcher:
        """Called (in a unit of work) when a message is edited or redacted, e.g. to note it on a copy."""
        self.change_watchers.append(watcher)
        return watcher


def _plain_help(name: str, *texts: str) -> None:
    if any(mark in text for text in texts for mark in "`*_["):
        # One-line help is shown inside lists; Markdown belongs in details_de/details_en.
        raise ValueError(f"help text of {name!r} must be plain text")


ChangeWatcher = Callable[[Repositories, IncomingMessage, datetime], Awaitable[None]]
ReactionFunc = Callable[["CommandContext", str], Awaitable[Reply | None]]


@dataclass(frozen=True)
class ReactionHandler:
    keys: frozenset[str]
    command: str
    handler: ReactionFunc


def reaction_key(key: str) -> str:
    """An emoji without skin tone modifiers and variation selectors: "👍🏽" and "✋️" count as "👍" and "✋"."""
    return "".join(ch for ch in key if not ("\U0001f3fb" <= ch <= "\U0001f3ff" or ch in "\ufe0e\ufe0f")).strip()


def _params_of(handler: Handler, labels: dict[str, tuple[str, str]]) -> tuple[Param, ...]:
    """Derive the argument grammar from the handler's keyword-only parameters and their types: `int` is a record
    number, a `Literal` a choice, `str` a word (the last one: the rest of the text), `Annotated[T, converter]` the
    converter's value (one word, or the rest of the text for the last parameter)."""
    hints = typing.get_type_hints(handler, include_extras=True)
    params: list[Param] = []
    sig_params = [p for p in inspect.signature(handler).parameters.values() if p.kind == p.KEYWORD_ONLY]
    for index, p in enumerate(sig_params):
        annotation = hints[p.name]
        required = p.default is inspect.Parameter.empty
        args = get_args(annotation)
        if get_origin(annotation) in (typing.Union, types.UnionType) and type(None) in args:
            annotation = next(a for a in args if a is not type(None))
        label_de, label_en = labels.get(p.name, (p.name, p.name))
        words: Literal["word", "rest"] = "rest" if index == len(sig_params) - 1 else "word"
        if get_origin(annotation) is Annotated:
            converter = next(m for m in annotation.__metadata__ if hasattr(m, "convert"))
            params.append(Param(p.name, words, required, label_de, label_en, converter=converter))
        elif annotation is int:
            params.append(Param(p.name, "int", required, label_de, label_en))
        elif get_origin(annotation) is Literal:
            params.append(Param(p.name, "choice", required, label_de, label_en, tuple(get_args(annotation))))
        elif annotation is str:
            params.append(Param(p.name, words, required, label_de, label_en))
        else:
            raise TypeError(f"{handler.__qualname__}: unsupported parameter type {annotation!r} for {p.name}")
    return tuple(params)


async def convert_arguments(ctx: CommandContext, values: dict[str, Any]) -> dict[str, Any]:
    """Run the converters of the command's parameters over the words `parse_arguments` split off."""
    for param in ctx.command.params:
        if param.converter is not None and param.name in values:
            label = Localized(param.label_de, param.label_en)
            values[param.name] = await param.converter.convert(ctx, values[param.name], label)
    return values


@dataclass
class CommandContext:
    """Everything a handler may use; built fresh for each command."""

    message: IncomingMessage
    command: Command
    invoked_as: str
    config: Config
    clock: Clock
    repos: Repositories
    t: Translator
    registry: Registry
    is_coordinator: bool  # network-wide rights (config, or moderator of a configured room)
    is_room_moderator: bool = False  # power level >= 50 in this room: rights over this room's things
    after_commit: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    attachment: Attachment | None = None
    quoted: Quoted | None = None
    planner: Planner | None = None
    files: FileSource | None = None  # the transport: names of room members
    tally: SearchTally = field(default_factory=SearchTally)  # `!werweiss` topics, written in batches

    @property
    def sender(self) -> str:
        return self.message.sender

    @property
    def room_id(self) -> str:
        return self.message.room_id

    @property
    def language(self) -> str:
        return self.t.language

    @property
    def prefix(self) -> str:
        return self.config.command_prefix

    @property
    def group(self) -> str | None:
        return self.config.group_of_room(self.message.room_id)

    def member_names(self, user_ids: Collection[str]) -> dict[str, str]:
        """Display names of these people as the room shows them (empty without a transport)."""
        return self.files.display_names(self.room_id, user_ids) if self.files is not None else {}

    def replan(self, kind: str, ref_id: int) -> None:
        """Once this command's unit of work committed, plan the record's scheduled messages anew."""
        planner = self.planner
        if planner is not None:
            self.after_commit.append(lambda: planner.refresh(kind, ref_id))


@dataclass(frozen=True)
class Feature:
    """What a feature package declares: its commands, and (optionally) its scheduled jobs, built from the shared job
    environment and the config. `bot.app` lists the features once; the core knows none of them by name."""

    router: Router
    jobs: Callable[[JobEnv, Config], Sequence[Jobs]] | None = None


class Registry:
    def __init__(self, routers: Iterable[Router]) -> None:
        self.routers = list(routers)
        self._by_key: dict[str, Command] = {}
        for router in self.routers:
            unknown = set(router.highlights) - {c.name for c in router.commands}
            if unknown:
                raise ValueError(f"{router.family} highlights {sorted(unknown)}, which it does not declare")
            for command in router.commands:
                _check_name_en(command)
                for name in command.names:
                    key = fold(name)
                    if key in self._by_key and self._by_key[key] is not command:
                        raise ValueError(f"command name {name!r} is used twice")
                    self._by_key[key] = command
        self._subcommands: dict[str, dict[str, Command]] = {}  # parent name -> folded word -> subcommand
        for router in self.routers:
            for parent_name, sub in router.subcommands:
                parent = self._by_key.get(fold(parent_name))
                if parent is None:
                    raise ValueError(f"subcommand {sub.name!r} of unknown command {parent_name!r}")
                _check_name_en(sub)
                linked = dataclasses.replace(sub, parent=parent)
                words = self._subcommands.setdefault(parent.name, {})
                for word in linked.names:
                    if words.setdefault(fold(word), linked) is not linked:
                        raise ValueError(f"subcommand {parent.name} {word!r} is declared twice")
        self.sent_hooks: dict[str, SentHook] = {}
        for router in self.routers:
            for hook_name, hook in router.sent_hooks.items():
                if hook_name in self.sent_hooks:
                    raise ValueError(f"sent hook {hook_name!r} is declared twice")
                self.sent_hooks[hook_name] = hook
        self._reactions: dict[str, ReactionHandler] = {}
        for router in self.routers:
            for reaction in router.reactions:
                if self.find(reaction.command) is None:
                    raise ValueError(f"reaction handler for unknown command {reaction.command!r}")
                for key in reaction.keys:
                    if key in self._reactions:
                        raise ValueError(f"reaction {key!r} is handled twice")
                    self._reactions[key] = reaction

    def reaction(self, key: str) -> ReactionHandler | None:
        return self._reactions.get(reaction_key(key))

    @property
    def commands(self) -> list[Command]:
        return [c for r in self.routers for c in r.commands]

    def find(self, name: str) -> Command | None:
        return self._by_key.get(fold(name))

    def subcommand(self, command: Command, word: str) -> Command | None:
        return self._subcommands.get(command.name, {}).get(fold(word))

    def subcommands(self, command: Command) -> list[Command]:
        """A command's subcommands in the order they were declared (each once, aliases aside)."""
        unique = {id(sub): sub for sub in self._subcommands.get(command.name, {}).values()}
        return list(unique.values())

    def suggest(self, name: str) -> str | None:
        """The closest known command name, if any is close enough to be a typo."""
        names = [n for c in self.commands for n in c.names]
        best = process.extractOne(fold(name), {n: fold(n) for n in names}, scorer=fuzz.ratio, score_cutoff=60)
        return best[2] if best else None


class Dispatcher:
    MAX_ATTACHMENT_BYTES = 1_000_000

    def __init__(
        self,
        *,
        routers: Iterable[Router],
        config: Config,
        db: Database,
        clock: Clock,
        files: FileSource | None = None,
        planner: Planner | None = None,
        tally: SearchTally | None = None,
        monitor: Monitor | None = None,
    ) -> None:
        self.files = files
        self.monitor = monitor or Monitor.create(config, clock, db)
        self.planner = planner
        self.tally = tally or SearchTally()
        self.registry = Registry(routers)
        self.catalog = catalog_of(self.registry.routers)
        self.config = config
        self.db = db
        self.clock = clock
        self._retries: set[asyncio.Task[None]] = set()

    def is_command(self, body: str) -> bool:
        prefix = self.config.command_prefix
        return body.startswith(prefix) and len(body) > len(prefix) and not body[len(prefix)].isspace()

    async def handle(self, message: IncomingMessage) -> Reply | None:
        """Run the command in `message`; None if the message is not a command at all."""
        reply, _ = await self._handle(message)
        return reply

    async def perform(self, sender: str, command_line: str) -> Performed:
        """Run `command_line` (without the prefix, e.g. "übernehme 12 komme ab 11") as `sender` typed it, for a button
        on a signed-in web page: the same parsing, rights, unit of work, outbox and re-planning as in chat, under a
        fresh event id of its own (one press, one command), with no room (`from_page`). Network-wide rights come from
        the config only, as in a room that is not configured. What it sends besides its reply is left for the outbox
        (`OnBehalf` sends it)."""
        message = IncomingMessage(
            room_id="",
            event_id=f"$web-{secrets.token_urlsafe(18)}",
            sender=sender,
            body=self.config.command_prefix + command_line.strip(),
            timestamp=self.clock.now(),
            from_page=True,
        )
        reply, trace = await self._handle(message)
        assert reply is not None and trace is not None, "a command line always gets an answer"
        return Performed(reply, done=trace.outcome == "ok", event_id=message.event_id)

    async def _handle(self, message: IncomingMessage) -> tuple[Reply | None, CommandTrace | None]:
        if self.config.matrix.user_id in message.mentions:
            # Clients mention whoever a rich reply answers, often the bot: that is never a person meant.
            mentions = tuple(u for u in message.mentions if u != self.config.matrix.user_id)
            message = dataclasses.replace(message, mentions=mentions)
        if message.changes is not None:
            await self._changed(message)
            return None, None
        if message.reaction is not None:
            reaction = self.registry.reaction(message.reaction)
            if reaction is None or message.reply_to is None:
                return None, None
            name, rest = reaction.command, ""
        elif not self.is_command(message.body):
            return None, None
        else:
            reaction = None
            text = message.body[len(self.config.command_prefix) :].strip()
            name = text.split(maxsplit=1)[0]
            rest = text[len(name) :].strip()
        trace = CommandTrace(room=message.room_id)
        token = current_command.set(trace)  # the log lines of this command carry its room, name and reference
        try:
            try:
                reply = await self._run(message, name, rest, reaction)
            except Exception:
                trace.outcome, trace.ref = "internal_error", secrets.token_hex(4)
                log.exception(
                    "command %r from %s in %s failed [ref %s]", name, message.sender, message.room_id, trace.ref
                )
                t = await self._translator(message.sender)
                reply = Reply.text(t("error.internal", ref=trace.ref))
                if reaction is not None:  # a click's apology goes where its answer would: a direct message
                    reply = Reply.quiet(followups=[Followup(reply, user_id=message.sender)])
            if reply is not None:
                if trace.command is None:  # a word that names no command
                    trace.outcome = "user_error"
                log.info("handled %s in %s: %s", trace.command or "an unknown command", message.room_id, trace.outcome)
                self.monitor.command(trace)
            return reply, trace
        finally:
            current_command.reset(token)

    async def _changed(self, message: IncomingMessage) -> None:
        watchers = [w for r in self.registry.routers for w in r.change_watchers]
        if not watchers:
            return
        try:
            async with self.db.transaction() as repos:
                for watcher in watchers:
                    await watcher(repos, message, self.clock.now())
        except Exception:
            log.exception("handling the change of %s in %s failed", message.changes, message.room_id)

    async def _translator(self, user_id: str) -> Translator:
        try:
            async with self.db.transaction() as repos:
                settings = await repos.users.get(user_id)
        except Exception:  # the apology must not fail because the database does
            log.exception("could not look up the language of %s", user_id)
            settings = None
        language = settings.language if settings and settings.language else self.config.default_language
        return self.catalog.translator(language)

    async def _run(
        self, message: IncomingMessage, name: str, rest: str, reaction: ReactionHandler | None = None
    ) -> Reply | None:
        config = self.config  # one command, one config (a reload may replace it meanwhile)
        prefix = config.command_prefix
        t = self.catalog.translator(config.default_language)
        command = self.registry.find(name)
        if command is not None and rest and reaction is None:
            first, *tail = rest.split(maxsplit=1)
            sub = self.registry.subcommand(command, first)
            if sub is not None:
                command, name, rest = sub, f"{name} {first}", "".join(tail)
        if command is not None and (trace := current_command.get()) is not None:
            trace.command = f"{command.parent.name} {command.name}" if command.parent else command.name
        callbacks: list[Callable[[], Awaitable[None]]] = []
        attachment: Attachment | None = None
        quoted: Quoted | None = None
        is_moderator = message.sender_power >= COORDINATOR_POWER_LEVEL
        # Network-wide rights never come from a room the sender controls (anyone may open a room with
        # the bot and be its admin there): only from the config, or moderation of a configured room.
        in_network_room = message.room_id in config.room_groups or message.room_id == config.network_room
        is_coordinator = message.sender in config.coordinators or (is_moderator and in_network_room)
        try:
            if command is not None and command.role is Role.COORDINATOR and not is_coordinator:
                t = await self._translator(message.sender)
                raise Forbidden("error.forbidden")
            if (
                command is not None
                and command.wants_file
                and message.reply_to
                and self.files is not None
                and not reaction
            ):
                # Downloaded before the unit of work starts: no network I/O while holding a write lock.
                try:
                    async with asyncio.timeout(ATTACHMENT_TIMEOUT_S):
                        attachment = await self.files.fetch_attachment(
                            message.room_id, message.reply_to, max_bytes=self.MAX_ATTACHMENT_BYTES
                        )
                except AttachmentTooLarge as exc:
                    raise BadArgument("error.file_too_large", limit=exc.limit // 1000) from None
                except TimeoutError:
                    raise BadArgument("error.file_timeout") from None
            if command is not None and command.wants_quote and message.reply_to and self.files is not None:
                try:
                    async with asyncio.timeout(ATTACHMENT_TIMEOUT_S):
                        quoted = await self.files.fetch_message(message.room_id, message.reply_to)
                except Exception:
                    log.warning(
                        "could not fetch %s, replied to by %s", message.reply_to, message.event_id, exc_info=True
                    )
            # One unit of work per command (language lookup included): a UserError or a crash rolls
            # back everything the handler wrote.
            async with self.db.transaction() as repos:
                settings = await repos.users.get(message.sender)
                if settings and settings.language:
                    t = self.catalog.translator(settings.language)
                if command is None:
                    return self._unknown(name, t)
                kwargs = parse_arguments(command, rest, t) if reaction is None else {}
                if not command.replay_safe and not await repos.ledger.record_command(
                    message.event_id, message.room_id, now=self.clock.now()
                ):
                    # Handled (and committed) before a crash, delivered again since: do not do it twice. What it
                    # said waits in the outbox (or is out already): the transport sends what is left, once.
                    return Reply("", outboxed=True)
                ctx = CommandContext(
                    message=message,
                    command=command,
                    invoked_as=name,
                    config=config,
                    clock=self.clock,
                    repos=repos,
                    t=t,
                    registry=self.registry,
                    is_coordinator=is_coordinator,
                    is_room_moderator=is_moderator,
                    after_commit=callbacks,
                    attachment=attachment,
                    quoted=quoted,
                    planner=self.planner,
                    files=self.files,
                    tally=self.tally,
                )
                kwargs = await convert_arguments(ctx, kwargs)
                if reaction is not None:
                    assert message.reply_to is not None
                    reply = await reaction.handler(ctx, message.reply_to)
                else:
                    reply = await command.handler(ctx, **kwargs)
                if reply is not None and not command.replay_safe:
                    # What the command says is part of its effect: stored in the same unit of work, so a crash
                    # before it is sent cannot lose the reply, a followup or a direct message.
                    reply = await with_later_attachments(reply)  # stored whole, so made here (slower, but safe)
                    said = followups_only(reply) if message.from_page else reply
                    messages = outgoing(message.event_id, message.room_id, message.reply_relation(), said)
                    await repos.outbox.add(message.event_id, messages, now=self.clock.now())
                    reply = dataclasses.replace(reply, outboxed=True)
        except UserError as error:
            if (trace := current_command.get()) is not None:
                trace.outcome = "refused" if isinstance(error, Forbidden) else "user_error"
            text = self.render_error(error, t.language)
            if error.show_usage and command is not None and reaction is None:
                text += "\n\n" + t("error.usage", usage=command.usage(prefix, t.language))
            if reaction is not None:
                # A reaction is a click, answered like its success: by direct message, not in the (network) room.
                return Reply.quiet(followups=[Followup(Reply.text(text), user_id=message.sender)])
            return Reply.text(text)
        for callback in callbacks:
            # Re-planning after the commit: the command took effect, so a failure here must not turn its reply
            # into an apology. The planners re-derive everything from the database and retry on their own.
            try:
                await callback()
            except Exception:
                log.exception("work after %s in %s failed; retrying in a while", name, message.room_id)
                self._retry_later(callback)
        if reply is not None:
            reply = await with_later_attachments(reply)  # after the unit of work: SQLite's writer is free meanwhile
        return reply

    def _retry_later(self, callback: Callable[[], Awaitable[None]], attempts: int = 5) -> None:
        async def retry() -> None:
            for attempt in range(1, attempts + 1):
                await asyncio.sleep(AFTER_COMMIT_RETRY_S * attempt)
                try:
                    await callback()
                    return
                except Exception:
                    log.exception("retry %d of work after a command failed", attempt)

        task = asyncio.create_task(retry())
        self._retries.add(task)
        task.add_done_callback(self._retries.discard)

    async def close(self) -> None:
        """Cancel pending retries: they must not outlive the database they use."""
        for task in list(self._retries):
            task.cancel()
        await asyncio.gather(*self._retries, return_exceptions=True)

    def render_error(self, error: UserError, language: str) -> str:
        """A user error as the person reads it (escaped parameters, configured prefix)."""
        return render(error, self.catalog, language, self.config.command_prefix)

    def _unknown(self, name: str, t: Translator) -> Reply:
        prefix = self.config.command_prefix
        lines = [t("error.unknown_command", command=md_code(prefix + name))]
        suggestion = self.registry.suggest(name)
        if suggestion:
            lines.append(t("error.did_you_mean", suggestion=f"{prefix}{suggestion}"))
        lines.append(t("error.see_help", prefix=prefix))
        return Reply.text(" ".join(lines))


async def with_later_attachments(reply: Reply) -> Reply:
    """The reply with the files it makes after the unit of work (`Reply.attach_later`). They only illustrate what the
    text says (a chart of the table above it), so if making them fails the reply goes out without them."""
    if reply.attach_later is None:
        return reply
    try:
        later = tuple(await reply.attach_later())
    except Exception:
        log.exception("could not make the files of a reply; it goes out without them")
        later = ()
    return dataclasses.replace(reply, attachments=(*reply.attachments, *later), attach_later=None)


def followups_only(reply: Reply) -> Reply:
    """What a command sends besides its reply (direct messages, announcements, edits): all of it when the reply itself
    is shown elsewhere (a web page)."""
    return Reply.quiet(followups=reply.followups)


@dataclass(frozen=True)
class Performed:
    """A command run for a web page's button: its reply (Markdown, as chat would show it), whether it went through
    (False: refused, an unknown command, or an internal error with its reference), and the event id it ran under."""

    reply: Reply
    done: bool
    event_id: str


class OnBehalf:
    """Commands a signed-in person runs by a button on a web page, exactly as if typed in chat
    (`Dispatcher.perform`), and what they send besides the reply, through the outbox as the transport does for a chat
    command: a stored command's messages from their outbox rows (retried by the outbox's loop if the homeserver does
    not take them now), a read-only command's at once. Sent in the background, as chat's answers are: the command has
    taken effect when `perform` returns, and a homeserver that is away must not keep the page waiting for minutes."""

    def __init__(self, dispatcher: Dispatcher, outbox: Outbox) -> None:
        self.dispatcher = dispatcher
        self.outbox = outbox
        self._sending: set[asyncio.Task[None]] = set()

    async def perform(self, sender: str, command_line: str) -> Performed:
        performed = await self.dispatcher.perform(sender, command_line)
        if performed.reply.outboxed or performed.reply.followups:
            task = asyncio.create_task(self._send(performed))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)
        return performed

    async def _send(self, performed: Performed) -> None:
        reply = performed.reply
        try:
            if reply.outboxed:
                await self.outbox.deliver(performed.event_id)
            else:
                await self.outbox.send_now(outgoing(performed.event_id, "", {}, followups_only(reply)))
        except Exception:  # the command took effect; what is stored is sent by the outbox's loop
            log.exception("sending what %s said on a web page failed", performed.event_id)

    async def settled(self) -> None:
        """Until what the buttons pressed so far send is out (or has failed, to be retried by the outbox)."""
        while self._sending:
            await asyncio.gather(*self._sending, return_exceptions=True)

    async def close(self, grace: float = 10.0) -> None:
        """Let the sends finish (bounded): what is stored and not out by then goes at the next start."""
        if self._sending:
            _, pending = await asyncio.wait(set(self._sending), timeout=grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)


def catalog_of(routers: Sequence[Router]) -> Catalog:
    """Every text the bot can say: the core's, the date grammar's and each feature's."""
    return Catalog(CORE_MESSAGES, SCHEDULE_MESSAGES, *(router.messages for router in routers))


def parse_arguments(command: Command, text: str, t: Translator) -> dict[str, Any]:
    """Split `text` according to the command's parameters; raise BadArgument with a clear reason."""
    values: dict[str, Any] = {}
    remaining = without_controls(text).strip()
    for param in command.params:
        if not remaining:
            if param.required:
                raise BadArgument("error.missing_argument", label=Localized(param.label_de, param.label_en))
            break
        if param.kind == "rest":
            values[param.name] = remaining
            remaining = ""
            break
        parts = remaining.split(maxsplit=1)
        token, remaining = parts[0], (parts[1] if len(parts) > 1 else "")
        label = param.label(t.language)
        if param.kind == "int":
            values[param.name] = record_number(token, label)
        elif param.kind == "choice":
            match = next((c for c in param.choices if fold(c) == fold(token)), None)
            if match is None:
                raise BadArgument("error.not_a_choice", value=token, choices=", ".join(param.choices))
            values[param.name] = match
        else:
            values[param.name] = token
    if remaining:
        raise BadArgument("error.too_many_arguments")
    return values


def is_number_word(word: str) -> bool:
    """A record number as people type it (`7`, `#7`), however large: a too large one is a wrong number, not text."""
    return _NUMBER_WORD.fullmatch(word) is not None


def record_number(word: str, label: str | Localized) -> int:
    """The record number in `word`; BadArgument if it is no number, NotFound if no record can have it.
    ASCII digits only: int() would also take "1_000" or "١٢", which nobody means as a number here."""
    shown = word if len(word) <= 30 else word[:30] + "…"
    if not is_number_word(word):
        raise BadArgument("error.not_a_number", value=shown, label=label)
    value = int(word.lstrip("#"))
    if not 1 <= value <= MAX_RECORD_NUMBER:
        raise NotFound("error.number_range", value=shown, label=label)
    return value


def bounded_text(text: str, limit: int, label: str | Localized) -> str:
    """`text` if it fits its column (`limit` characters), else BadArgument saying how long it may be."""
    if len(text) > limit:
        raise BadArgument("error.too_long", label=label, length=len(text), limit=limit)
    return text
