"""Import many profiles at once from a CSV or TOML file: parse, plan, report.

Coordinators onboard a whole city in one go, usually from a spreadsheet. The flow is always
`parse_profiles` → `plan_import` → `render_report`, first as a dry run, then for real. Everything
here is pure: the caller reads the upload and the stored profiles, and writes `ProfileChange.result`.

Rules (the report repeats the merge rules, so coordinators need not read this):

* All or nothing. Any problem in any row means nothing is imported. `parse_profiles` still returns
  the rows that are fine, so a dry run can say what the rest would do; the caller must not apply
  anything while the problem list is not empty.
* An empty cell, a missing column or a missing TOML key means "keep what is stored" (for a new
  profile: nothing, and no pings: they are opt-in). A blank spreadsheet cell far more often means "don't
  know" than "delete", and a half-filled sheet must not wipe profiles people wrote themselves.
  So nothing can be cleared by import; that is what the profile commands are for.
* Name, city, note and "mentions" given in the file replace the stored value. Groups given replace
  the stored groups (the same set in another order is no change).
* Topics are only ever added: the stored topics stay, file topics whose `topic_key` is new are
  appended in the file's spelling ("E-Akte" and "eAkte" are the same topic, not a change).
* City and group names are matched with `fold` and stored in the configured spelling; unknown
  ones are problems with a "did you mean" suggestion.
* Encodings: UTF-8 with or without BOM; UTF-16 with BOM (Excel's "Unicode text"); otherwise
  Windows-1252 (what German Excel writes for "CSV (Trennzeichen-getrennt)"), reported as an
  `ImportNote` so umlauts get a second look. Bytes that are neither, or Excel workbooks, are a
  problem on line 0 (the whole file).
* CSV delimiter: the one of `,` `;` tab that makes the most header cells known column names
  (Excel's `sep=;` first line is honoured). Lists inside a cell are split on `,` and `;`; in a
  `;` file an unquoted `;` ends the cell, so such lists need commas (the problem message says so).

Problem, note and change texts are plain text in both languages (file values quoted as „…“/“…”);
`render_report` escapes each of them whole, so no text from the file can format the message.
"""

from __future__ import annotations

import csv
import io
import re
import tomllib
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz, process

from bot.replies import md_code, md_escape
from storage.text import fold

MAX_BYTES = 1_000_000
MAX_ROWS = 2_000
MAX_TOPICS = 30
MAX_TOPIC_LENGTH = 60
MAX_NOTE_LENGTH = 200
MAX_NAME_LENGTH = 255  # the database column's size

_USER_ID = re.compile(r"^@[a-z0-9._=\-/+]+:[A-Za-z0-9.\-]+(:\d+)?$")
_MAX_USER_ID_LENGTH = 255
# A record that runs over this many physical lines almost surely lost a closing quote.
_MAX_RECORD_LINES = 5
_NEXT_ROW_INSIDE_CELL = re.compile(r"[\r\n]\s*@[^\s:]+:")


@dataclass(frozen=True)
class ProfileData:
    """What one row of the file wants a profile to be; None / () = the file says nothing."""

    user_id: str
    display_name: str | None
    city: str | None
    groups: tuple[str, ...]
    topics: tuple[str, ...]
    note: str | None
    allow_mentions: bool | None  # None: keep the stored choice (new profiles: no pings, they are opt-in)


@dataclass(frozen=True)
class ProfileRow:
    line: int
    data: ProfileData


@dataclass(frozen=True)
class ImportProblem:
    """A reason not to import; line 0 means the whole file."""

    line: int
    de: str
    en: str


@dataclass(frozen=True)
class ImportNote:
    """Something the coordinator should know although nothing is wrong (e.g. the encoding guessed)."""

    de: str
    en: str


@dataclass(frozen=True)
class ExistingProfile:
    user_id: str
    display_name: str | None
    city: str | None
    groups: tuple[str, ...]
    topics: tuple[str, ...]
    note: str | None
    allow_mentions: bool


@dataclass(frozen=True)
class ProfileChange:
    user_id: str
    line: int
    action: Literal["create", "update", "unchanged"]
    changes: tuple[str, ...]  # German, e.g. "Stadt: Bühl → Rastatt", "Themen: +XRechnung"
    changes_en: tuple[str, ...]  # the same in English
    result: ExistingProfile  # the profile as it is to be stored (equal to the stored one if unchanged)


@dataclass(frozen=True)
class ImportPlan:
    changes: tuple[ProfileChange, ...]

    @property
    def created(self) -> int:
        return sum(c.action == "create" for c in self.changes)

    @property
    def updated(self) -> int:
        return sum(c.action == "update" for c in self.changes)

    @property
    def unchanged(self) -> int:
        return sum(c.action == "unchanged" for c in self.changes)

    @property
    def to_apply(self) -> tuple[ProfileChange, ...]:
        return tuple(c for c in self.changes if c.action != "unchanged")


# --------------------------------------------------------------------------------------------------
# Column names and small helpers

Field = Literal["user_id", "display_name", "city", "groups", "topics", "note", "allow_mentions"]

# Accepted column / key names per field, compared with fold(): German first, then English.
_ALIASES: dict[Field, tuple[str, ...]] = {
    "user_id": ("matrix_id", "user_id", "matrix", "mxid"),
    "display_name": ("name", "display_name", "anzeigename"),
    "city": ("stadt", "city"),
    "groups": ("gruppen", "groups", "gruppe", "group"),
    "topics": ("themen", "topics", "thema", "topic"),
    "note": ("notiz", "note"),
    "allow_mentions": ("erwaehnen", "mentions", "allow_mentions"),
}
_FIELD_BY_NAME: dict[str, Field] = {fold(a): f for f, aliases in _ALIASES.items() for a in aliases}
_ALLOWED_DE = (
    "matrix_id, name, stadt, gruppen, themen, notiz, erwaehnen "
    "(oder englisch: user_id, display_name, city, groups, topics, note, allow_mentions)"
)
_ALLOWED_EN = (
    "user_id, display_name, city, groups, topics, note, allow_mentions "
    "(or German: matrix_id, name, stadt, gruppen, themen, notiz, erwaehnen)"
)
_LABELS: dict[Field, tuple[str, str]] = {
    "user_id": ("Matrix-ID", "Matrix ID"),
    "display_name": ("Name", "Name"),
    "city": ("Stadt", "City"),
    "groups": ("Gruppen", "Groups"),
    "topics": ("Themen", "Topics"),
    "note": ("Notiz", "Note"),
    "allow_mentions": ("Erwähnen", "Mentions"),
}
_TRUE = {"ja", "j", "yes", "y", "true", "wahr", "1", "x"}  # "WAHR": German Excel's TRUE
_FALSE = {"nein", "n", "no", "false", "falsch", "0"}
_LIST_SEPARATOR = re.compile(r"[,;]")
_PROFILE_TABLES = {"profil", "profile"}


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _q_de(text: str, limit: int = 60) -> str:
    return f"„{_short(text, limit)}“"


def _q_en(text: str, limit: int = 60) -> str:
    return f"“{_short(text, limit)}”"


def _clean(text: str) -> str:
    """One line of text: control characters dropped, runs of whitespace (also line breaks) as one space."""
    text = "".join(c for c in text if c in "\t\n\r" or unicodedata.category(c) != "Cc")
    return " ".join(text.split())


def _suggest(value: str, choices: Iterable[str]) -> str | None:
    key = fold(value)
    if not key:
        return None
    best = process.extractOne(key, {c: fold(c) for c in choices}, scorer=fuzz.ratio, score_cutoff=60)
    return best[2] if best else None


def _format_number(n: int, language: str) -> str:
    return f"{n:,}".replace(",", "." if language == "de" else ",")


# --------------------------------------------------------------------------------------------------
# Reading the bytes


def _file_problem(de: str, en: str) -> ImportProblem:
    return ImportProblem(0, de, en)


_SAVE_AS_CSV_DE = (
    "Tipp: In Excel „Datei → Speichern unter“ wählen und als Dateityp „CSV UTF-8 (durch Trennzeichen getrennt)“."
)
_SAVE_AS_CSV_EN = "Tip: in Excel choose “File → Save as” and the file type “CSV UTF-8 (comma delimited)”."


def _decode(data: bytes) -> tuple[str, list[ImportNote]] | ImportProblem:
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        return _file_problem(
            "Das ist eine Excel-Arbeitsmappe, keine CSV-Datei. Die kann ich nicht lesen. " + _SAVE_AS_CSV_DE,
            "This is an Excel workbook, not a CSV file, and I can't read it. " + _SAVE_AS_CSV_EN,
        )
    unreadable = _file_problem(
        "Die Datei sieht nicht nach Text aus, ich kann sie nicht lesen. "
        "Bitte speichere sie als CSV (UTF-8) oder TOML. " + _SAVE_AS_CSV_DE,
        "The file doesn't look like text, I can't read it. Please save it as CSV (UTF-8) or TOML. " + _SAVE_AS_CSV_EN,
    )
    notes: list[ImportNote] = []
    try:
        text = data.decode("utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig")
    except UnicodeDecodeError:
        try:
            # A UTF-8 BOM in front of Windows-1252 text: a file pasted together from both.
            text = data.decode("cp1252").removeprefix("ï»¿")
        except UnicodeDecodeError:
            return unreadable
        notes.append(
            ImportNote(
                "Die Datei war nicht UTF-8-kodiert, ich habe sie als Windows-1252 (Excel-Standard) gelesen. "
                "Bitte prüfe, ob die Umlaute stimmen.",
                "The file was not UTF-8, I read it as Windows-1252 (Excel's default). "
                "Please check that the umlauts are right.",
            )
        )
    text = text.rstrip("\x1a")  # old DOS end-of-file marker
    controls = sum(1 for c in text if c not in "\t\n\r" and unicodedata.category(c) == "Cc")
    if "\x00" in text or controls * 100 > len(text):
        return unreadable
    return text, notes


def _extension(filename: str) -> str:
    name = re.split(r"[\\/]", filename)[-1]
    return name.rpartition(".")[2].lower() if "." in name else ""


_TOML_HEADER = re.compile(r"""^\s*\[\[\s*(?:"([^"]*)"|'([^']*)'|([A-Za-z0-9_\-]+))\s*\]\]""")


def parse_profiles(
    data: bytes, filename: str, *, cities: Sequence[str], groups: Sequence[str]
) -> tuple[list[ProfileRow], list[ImportProblem], list[ImportNote]]:
    """Read and check an uploaded file. Rows with problems are left out of the rows returned;
    import only when the problem list is empty."""
    ext = _extension(filename)
    if ext not in {"csv", "tsv", "txt", "toml"}:
        shown = f"„.{ext}“" if ext else "ohne Endung"
        shown_en = f"“.{ext}”" if ext else "without an extension"
        tip_de = " " + _SAVE_AS_CSV_DE if ext in {"xlsx", "xls", "ods", "xlsm"} else ""
        tip_en = " " + _SAVE_AS_CSV_EN if ext in {"xlsx", "xls", "ods", "xlsm"} else ""
        return (
            [],
            [
                _file_problem(
                    f"Dateien {shown} kann ich nicht lesen. Bitte schick mir eine CSV-Datei (.csv) "
                    f"oder eine TOML-Datei (.toml).{tip_de}",
                    f"I can't read files {shown_en}. Please send a CSV file (.csv) or a TOML file (.toml).{tip_en}",
                )
            ],
            [],
        )
    if len(data) > MAX_BYTES:
        size = f"{len(data) / 1_000_000:.1f}"
        return (
            [],
            [
                _file_problem(
                    f"Die Datei ist zu groß ({size.replace('.', ',')} MB). Höchstens 1 MB geht auf einmal – "
                    "bitte teile sie auf.",
                    f"The file is too big ({size} MB). At most 1 MB works at once – please split it.",
                )
            ],
            [],
        )
    if not data.strip():
        return [], [_file_problem("Die Datei ist leer.", "The file is empty.")], []
    decoded = _decode(data)
    if isinstance(decoded, ImportProblem):
        return [], [decoded], []
    text, notes = decoded
    is_toml = ext == "toml" or (ext == "txt" and any(_TOML_HEADER.match(line) for line in text.splitlines()))
    records, problems = _read_toml(text) if is_toml else _read_csv(text)
    rows, row_problems = _check_records(records, cities=cities, groups=groups)
    problems.extend(row_problems)
    problems.sort(key=lambda p: p.line)
    return rows, problems, notes


# --------------------------------------------------------------------------------------------------
# Formats: both produce records of raw values per field; the checks are shared.


@dataclass
class _Record:
    line: int
    values: dict[Field, object]
    lines: dict[Field, int]  # where each value stands, when known more precisely than `line`
    broken: bool = False  # already reported as unreadable; don't pile up follow-up problems
    has_id_column: bool = True  # without one, the header problem says it once, not every row

    def line_of(self, name: Field) -> int:
        return self.lines.get(name, self.line)


def _unknown_name_problem(line: int, name: str, *, what_de: str, what_en: str) -> ImportProblem:
    suggestion = _suggest(name, [a for aliases in _ALIASES.values() for a in aliases])
    hint_de = f" Meintest du {_q_de(suggestion)}?" if suggestion else ""
    hint_en = f" Did you mean {_q_en(suggestion)}?" if suggestion else ""
    return ImportProblem(
        line,
        f"{what_de} {_q_de(name)} kenne ich nicht.{hint_de} Möglich sind: {_ALLOWED_DE}.",
        f"I don't know the {what_en} {_q_en(name)}.{hint_en} Possible: {_ALLOWED_EN}.",
    )


def _guess_delimiter(header: str) -> str:
    def score(delimiter: str) -> tuple[int, int]:
        cells = next(csv.reader([header], delimiter=delimiter), [])
        return sum(fold(c) in _FIELD_BY_NAME for c in cells), len(cells)

    return max((",", ";", "\t"), key=score)  # ties: the first, so plain CSV wins


def _read_csv(text: str) -> tuple[list[_Record], list[ImportProblem]]:
    problems: list[ImportProblem] = []
    physical = text.splitlines()
    sep = re.fullmatch(r'\s*"?sep=(.)"?\s*', physical[0]) if physical else None
    meaningful = [line for line in physical[1 if sep else 0 :] if line.strip(" \t,;")]
    if not meaningful:
        return [], [_file_problem("In der Datei steht nichts.", "There is nothing in the file.")]
    delimiter = sep.group(1) if sep else _guess_delimiter(meaningful[0])

    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    columns: list[Field | None] = []
    unnamed: set[int] = set()  # columns without a heading: values there are a problem
    header_line = 0
    records: list[_Record] = []
    previous_end = 0
    try:
        for cells in reader:
            line, previous_end = previous_end + 1, reader.line_num
            if (sep and line == 1) or not any(c.strip() for c in cells):
                continue
            if not header_line:
                header_line = line
                columns, unnamed, header_problems = _read_header(cells, line)
                problems.extend(header_problems)
                continue
            record = _Record(line, {}, {}, has_id_column="user_id" in columns)
            if _swallowed_rows(cells, reader.line_num - line + 1):
                record.broken = True
                problems.append(
                    ImportProblem(
                        line,
                        f"Diese Zeile reicht bis Zeile {reader.line_num} – vermutlich fehlt ein "
                        'schließendes Anführungszeichen (").',
                        f'This row runs on to line {reader.line_num} – probably a closing quote (") is missing.',
                    )
                )
            stray = next(
                ((i, c) for i, c in enumerate(cells) if c.strip() and (i >= len(columns) or i in unnamed)),
                None,
            )
            if stray is not None:
                hint_de = hint_en = ""
                if delimiter == ";":
                    hint_de = " Listen in einer Zelle bitte mit Komma trennen, nicht mit Semikolon."
                    hint_en = " Please separate lists inside a cell with commas, not semicolons."
                problems.append(
                    ImportProblem(
                        line,
                        f"In Spalte {stray[0] + 1} steht {_q_de(_clean(stray[1]))}, aber die Spalte hat "
                        f"keine Überschrift.{hint_de}",
                        f"Column {stray[0] + 1} holds {_q_en(_clean(stray[1]))}, but the column has "
                        f"no heading.{hint_en}",
                    )
                )
            for index, cell in enumerate(cells[: len(columns)]):
                name = columns[index]
                if name is not None:
                    record.values[name] = cell
            records.append(record)
    except csv.Error as exc:
        problems.append(
            ImportProblem(
                reader.line_num,
                f"Diese Zeile kann ich nicht lesen ({exc}).",
                f"I can't read this line ({exc}).",
            )
        )
    if not header_line:
        problems.append(_file_problem("In der Datei steht nichts.", "There is nothing in the file."))
    return records, problems


def _swallowed_rows(cells: Sequence[str], physical_lines: int) -> bool:
    """Did an opening quote without its closing one turn the following rows into one cell?
    (A line break inside a quoted note is fine; a Matrix ID at the start of a cell's line is not.)"""
    if physical_lines == 1:
        return False
    return physical_lines > _MAX_RECORD_LINES or any(_NEXT_ROW_INSIDE_CELL.search(c) for c in cells)


def _read_header(cells: Sequence[str], line: int) -> tuple[list[Field | None], set[int], list[ImportProblem]]:
    names = [_clean(c) for c in cells]
    if any(n.startswith("@") for n in names):
        problem = ImportProblem(
            line,
            "Die erste Zeile muss die Spaltenüberschriften enthalten, z. B. "
            "matrix_id;name;stadt;gruppen;themen – sie sieht aber aus wie ein Profil.",
            "The first line must hold the column headings, e.g. user_id,display_name,city,groups,topics "
            "– but it looks like a profile.",
        )
        return [None] * len(names), set(), [problem]
    columns: list[Field | None] = []
    unnamed: set[int] = set()
    seen: dict[Field, str] = {}
    problems: list[ImportProblem] = []
    for index, name in enumerate(names):
        field_name = _FIELD_BY_NAME.get(fold(name))
        if not name:
            unnamed.add(index)
        elif field_name is None:
            problems.append(_unknown_name_problem(line, name, what_de="Die Spalte", what_en="column"))
        elif field_name in seen:
            problems.append(
                ImportProblem(
                    line,
                    f"Die Spalten {_q_de(seen[field_name])} und {_q_de(name)} meinen dasselbe. "
                    "Bitte lass nur eine davon stehen.",
                    f"The columns {_q_en(seen[field_name])} and {_q_en(name)} mean the same. "
                    "Please keep only one of them.",
                )
            )
            field_name = None
        else:
            seen[field_name] = name
        columns.append(field_name)
    if "user_id" not in seen:
        problems.append(
            ImportProblem(
                line,
                "Es fehlt die Spalte mit der Matrix-ID (Überschrift „matrix_id“). "
                "Ohne sie weiß ich nicht, wessen Profil gemeint ist.",
                "The column with the Matrix ID is missing (heading “user_id”). "
                "Without it I don't know whose profile is meant.",
            )
        )
    return columns, unnamed, problems


def _read_toml(text: str) -> tuple[list[_Record], list[ImportProblem]]:
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        where = re.search(r"at line (\d+)", message)
        detail = re.sub(r"\s*\(at line.*\)\s*$", "", message)
        return [], [
            ImportProblem(
                int(where.group(1)) if where else 0,
                f"Hier ist die TOML-Datei nicht lesbar ({detail}). Steht ein Text ohne Anführungszeichen da?",
                f"The TOML file can't be read here ({detail}). Is there text without quotes?",
            )
        ]
    lines = text.splitlines()
    table_lines: dict[str, list[int]] = {}
    for number, content in enumerate(lines, start=1):
        header = _TOML_HEADER.match(content)
        if header:
            name = next(g for g in header.groups() if g is not None)
            table_lines.setdefault(name, []).append(number)

    records: list[_Record] = []
    problems: list[ImportProblem] = []
    example = "[[profil]]"
    for key, value in document.items():
        if fold(key) not in _PROFILE_TABLES:
            problems.append(
                ImportProblem(
                    _toml_key_line(lines, key),
                    f"{_q_de(key)} kenne ich nicht. Jedes Profil steht in einem eigenen Abschnitt {example}.",
                    f"I don't know {_q_en(key)}. Each profile goes in its own section {example}.",
                )
            )
            continue
        if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
            problems.append(
                ImportProblem(
                    _toml_key_line(lines, key),
                    f"{_q_de(key)} muss aus Abschnitten {example} bestehen, einer pro Person.",
                    f"{_q_en(key)} must consist of sections {example}, one per person.",
                )
            )
            continue
        starts = table_lines.get(key, [])
        for index, table in enumerate(value):
            start = starts[index] if index < len(starts) else 0
            record = _Record(start or _toml_key_line(lines, key), {}, {})  # inline tables: where the array is
            for name, item in table.items():
                at = _toml_key_line(lines, name, start=start) if start else record.line
                field_name = _FIELD_BY_NAME.get(fold(name))
                if field_name is None:
                    problems.append(_unknown_name_problem(at, name, what_de="Den Schlüssel", what_en="key"))
                elif field_name in record.values:
                    problems.append(
                        ImportProblem(
                            at,
                            f"{_q_de(name)} steht in diesem Profil doppelt.",
                            f"{_q_en(name)} appears twice in this profile.",
                        )
                    )
                else:
                    record.values[field_name] = item
                    record.lines[field_name] = at
            records.append(record)
    if not records and not problems:
        problems.append(
            _file_problem(
                f"In der Datei gibt es keinen Abschnitt {example}. So sieht einer aus: "
                f'{example} matrix_id = "@anna.schmidt:buehl.de" stadt = "Bühl"',
                f"The file has no section {example}. One looks like this: "
                f'{example} user_id = "@anna.schmidt:buehl.de" city = "Bühl"',
            )
        )
    records.sort(key=lambda r: r.line)
    return records, problems


def _toml_key_line(lines: Sequence[str], key: str, *, start: int = 0) -> int:
    """Best effort: the line of `key = …` inside the table starting at `start` (0: top level)."""
    pattern = re.compile(r"""^\s*(["']?)""" + re.escape(key) + r"""\1\s*=|^\s*\[+\s*["']?""" + re.escape(key))
    for number in range(start, len(lines)):
        content = lines[number]
        if pattern.match(content):
            return number + 1
        if start and content.lstrip().startswith("["):
            break
    return start


# --------------------------------------------------------------------------------------------------
# Checks shared by both formats


def _is_empty(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not _clean(value)
    if isinstance(value, list):
        return all(_is_empty(v) for v in value)
    return False


def _check_records(
    records: Sequence[_Record], *, cities: Sequence[str], groups: Sequence[str]
) -> tuple[list[ProfileRow], list[ImportProblem]]:
    records = [r for r in records if not all(_is_empty(v) for v in r.values.values())]
    if len(records) > MAX_ROWS:
        return [], [
            ImportProblem(
                records[MAX_ROWS].line,
                f"Die Datei hat {_format_number(len(records), 'de')} Profile, höchstens "
                f"{_format_number(MAX_ROWS, 'de')} gehen auf einmal. Bitte teile sie auf.",
                f"The file has {_format_number(len(records), 'en')} profiles, at most "
                f"{_format_number(MAX_ROWS, 'en')} work at once. Please split it.",
            )
        ]
    checker = _RowChecker(cities=cities, groups=groups)
    rows: list[ProfileRow] = []
    problems: list[ImportProblem] = []
    first_line: dict[str, int] = {}
    for record in records:
        if record.broken:
            continue
        data, row_problems = checker.check(record)
        user_id = checker.user_id(record)
        if user_id is not None:
            key = user_id.lower()
            if key in first_line:
                row_problems.append(
                    ImportProblem(
                        record.line_of("user_id"),
                        f"{user_id} steht schon in Zeile {first_line[key]}. Bitte führe jede Person nur einmal auf.",
                        f"{user_id} is already in line {first_line[key]}. Please list each person only once.",
                    )
                )
            else:
                first_line[key] = record.line_of("user_id")
        problems.extend(row_problems)
        if data is not None and not row_problems:
            rows.append(ProfileRow(record.line, data))
    return rows, problems


class _RowChecker:
    def __init__(self, *, cities: Sequence[str], groups: Sequence[str]) -> None:
        self.cities = {fold(c): c for c in cities}
        self.groups = {fold(g): g for g in groups}

    def user_id(self, record: _Record) -> str | None:
        value = record.values.get("user_id")
        if isinstance(value, str) and _valid_user_id(_clean(value)):
            return _clean(value)
        return None

    def check(self, record: _Record) -> tuple[ProfileData | None, list[ImportProblem]]:
        problems: list[ImportProblem] = []

        def problem(name: Field, de: str, en: str) -> None:
            problems.append(ImportProblem(record.line_of(name), de, en))

        user_id = self._user_id(record, problem)
        display_name = self._text(record, "display_name", problem)
        if display_name is not None and len(display_name) > MAX_NAME_LENGTH:
            problem(
                "display_name",
                f"Der Name ist zu lang ({len(display_name)} Zeichen, höchstens {MAX_NAME_LENGTH}).",
                f"The name is too long ({len(display_name)} characters, at most {MAX_NAME_LENGTH}).",
            )
        city = self._city(record, problem)
        groups = self._groups(record, problem)
        topics = self._topics(record, problem)
        note = self._text(record, "note", problem)
        if note is not None and len(note) > MAX_NOTE_LENGTH:
            problem(
                "note",
                f"Die Notiz ist zu lang ({len(note)} Zeichen, höchstens {MAX_NOTE_LENGTH}).",
                f"The note is too long ({len(note)} characters, at most {MAX_NOTE_LENGTH}).",
            )
        allow_mentions = self._bool(record, "allow_mentions", problem)
        if problems or user_id is None:
            return None, problems
        data = ProfileData(
            user_id=user_id,
            display_name=display_name,
            city=city,
            groups=groups,
            topics=topics,
            note=note,
            allow_mentions=allow_mentions,
        )
        return data, problems

    # -- raw values ----------------------------------------------------------------------------------
    def _wrong_type(self, name: Field, problem: _Report, *, as_list: bool = False) -> None:
        label_de, label_en = _LABELS[name]
        key = _ALIASES[name][0]
        if as_list:
            problem(
                name,
                f'{label_de}: bitte eine Liste von Texten in Anführungszeichen, z. B. {key} = ["…", "…"].',
                f'{label_en}: please a list of texts in quotes, e.g. {key} = ["…", "…"].',
            )
        else:
            problem(
                name,
                f'{label_de}: bitte einen Text in Anführungszeichen, z. B. {key} = "…".',
                f'{label_en}: please text in quotes, e.g. {key} = "…".',
            )

    def _text(self, record: _Record, name: Field, problem: _Report) -> str | None:
        value = record.values.get(name)
        if value is None:
            return None
        if not isinstance(value, str):
            self._wrong_type(name, problem)
            return None
        return _clean(value) or None

    def _list(self, record: _Record, name: Field, problem: _Report) -> list[str]:
        value = record.values.get(name)
        if value is None:
            return []
        if isinstance(value, str):
            items = _LIST_SEPARATOR.split(value)
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            items = [str(v) for v in value]
        else:
            self._wrong_type(name, problem, as_list=True)
            return []
        cleaned = (_clean(item) for item in items)
        return list(dict.fromkeys(item for item in cleaned if item))

    # -- fields --------------------------------------------------------------------------------------
    def _user_id(self, record: _Record, problem: _Report) -> str | None:
        value = self._text(record, "user_id", problem)
        if value is None:
            wrong_type = not isinstance(record.values.get("user_id", ""), str)
            if record.has_id_column and not wrong_type:
                problem(
                    "user_id",
                    "Die Matrix-ID fehlt (so sieht eine aus: @anna.schmidt:buehl.de).",
                    "The Matrix ID is missing (it looks like @anna.schmidt:buehl.de).",
                )
            return None
        if _valid_user_id(value):
            return value
        suggestion = _suggest_user_id(value)
        hint_de = f" Meintest du {_q_de(suggestion)}?" if suggestion else ""
        hint_en = f" Did you mean {_q_en(suggestion)}?" if suggestion else ""
        problem(
            "user_id",
            f"{_q_de(value)} ist keine gültige Matrix-ID. So sieht eine aus: @anna.schmidt:buehl.de "
            f"(mit @ vorne, Doppelpunkt vor dem Server, kleingeschrieben).{hint_de}",
            f"{_q_en(value)} is not a valid Matrix ID. One looks like this: @anna.schmidt:buehl.de "
            f"(@ in front, a colon before the server, lower case).{hint_en}",
        )
        return None

    def _city(self, record: _Record, problem: _Report) -> str | None:
        value = self._text(record, "city", problem)
        if value is None:
            return None
        found = self.cities.get(fold(value))
        if found is not None:
            return found
        possible = ", ".join(self.cities.values()) or "–"
        if _LIST_SEPARATOR.search(value) and all(
            fold(part) in self.cities for part in _LIST_SEPARATOR.split(value) if part.strip()
        ):
            problem(
                "city",
                f"Bitte nur eine Stadt pro Person angeben, nicht {_q_de(value)}.",
                f"Please give only one city per person, not {_q_en(value)}.",
            )
            return None
        suggestion = _suggest(value, self.cities.values())
        hint_de = f" Meintest du {_q_de(suggestion)}?" if suggestion else ""
        hint_en = f" Did you mean {_q_en(suggestion)}?" if suggestion else ""
        problem(
            "city",
            f"Stadt {_q_de(value)} gibt es im Netzwerk nicht (möglich: {possible}).{hint_de}",
            f"There is no city {_q_en(value)} in the network (possible: {possible}).{hint_en}",
        )
        return None

    def _groups(self, record: _Record, problem: _Report) -> tuple[str, ...]:
        found: list[str] = []
        possible = ", ".join(self.groups.values()) or "–"
        for name in self._list(record, "groups", problem):
            group = self.groups.get(fold(name))
            if group is not None:
                if group not in found:
                    found.append(group)
                continue
            suggestion = _suggest(name, self.groups.values())
            hint_de = f" Meintest du {_q_de(suggestion)}?" if suggestion else ""
            hint_en = f" Did you mean {_q_en(suggestion)}?" if suggestion else ""
            problem(
                "groups",
                f"Gruppe {_q_de(name)} gibt es nicht (möglich: {possible}).{hint_de}",
                f"There is no group {_q_en(name)} (possible: {possible}).{hint_en}",
            )
        return tuple(found)

    def _topics(self, record: _Record, problem: _Report) -> tuple[str, ...]:
        topics: dict[str, str] = {}
        for topic in self._list(record, "topics", problem):
            if len(topic) > MAX_TOPIC_LENGTH:
                problem(
                    "topics",
                    f"Das Thema {_q_de(topic, 40)} ist zu lang ({len(topic)} Zeichen, höchstens "
                    f"{MAX_TOPIC_LENGTH}). Mehrere Themen bitte mit Komma trennen.",
                    f"The topic {_q_en(topic, 40)} is too long ({len(topic)} characters, at most "
                    f"{MAX_TOPIC_LENGTH}). Please separate several topics with commas.",
                )
            topics.setdefault(fold(topic) or topic, topic)
        if len(topics) > MAX_TOPICS:
            problem(
                "topics",
                f"Das sind {len(topics)} Themen, höchstens {MAX_TOPICS} gehen pro Person.",
                f"That is {len(topics)} topics, at most {MAX_TOPICS} work per person.",
            )
        return tuple(topics.values())

    def _bool(self, record: _Record, name: Field, problem: _Report) -> bool | None:
        value = record.values.get(name)
        if value is None or isinstance(value, bool):
            return value
        word = _clean(value).casefold() if isinstance(value, str) else str(value)
        if word == "":
            return None
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
        label_de, label_en = _LABELS[name]
        problem(
            name,
            f"{_q_de(_clean(str(value)))} verstehe ich bei „{label_de}“ nicht. Bitte „ja“ oder „nein“ "
            "eintragen (auch möglich: x, 1, 0) oder die Zelle leer lassen.",
            f"I don't understand {_q_en(_clean(str(value)))} for “{label_en}”. Please write “yes” or “no” "
            "(also possible: x, 1, 0) or leave the cell empty.",
        )
        return None


_Report = Callable[[Field, str, str], None]


def _valid_user_id(value: str) -> bool:
    return len(value) <= _MAX_USER_ID_LENGTH and _USER_ID.match(value) is not None


def _suggest_user_id(value: str) -> str | None:
    """The ID someone probably meant: a matrix.to link, an e-mail style address, a missing @, capitals."""
    candidate = "".join(value.split())
    candidate = candidate.rpartition("matrix.to/#/")[2] or candidate
    if ":" not in candidate and candidate.count("@") == 1 and not candidate.startswith("@"):
        local, _, server = candidate.partition("@")
        candidate = f"{local}:{server}"
    if not candidate.startswith("@"):
        candidate = "@" + candidate
    candidate = candidate.lower()
    return candidate if candidate != value and _valid_user_id(candidate) else None


# --------------------------------------------------------------------------------------------------
# Planning


def plan_import(
    rows: Sequence[ProfileRow], existing: Mapping[str, ExistingProfile], *, topic_key: Callable[[str], str]
) -> ImportPlan:
    """What importing `rows` would do to the stored profiles (see the module docstring for the rules)."""
    current: dict[str, ExistingProfile] = dict(existing)  # later rows see earlier ones
    changes: list[ProfileChange] = []
    for row in rows:
        wanted = row.data
        before = current.get(wanted.user_id)
        if before is None:
            result = ExistingProfile(
                user_id=wanted.user_id,
                display_name=wanted.display_name,
                city=wanted.city,
                groups=wanted.groups,
                topics=_merge_topics((), wanted.topics, topic_key),
                note=wanted.note,
                allow_mentions=bool(wanted.allow_mentions),  # pings are opt-in: only a "ja" in the file
            )
            de, en = _describe_new(result)
            change = ProfileChange(wanted.user_id, row.line, "create", de, en, result)
        else:
            same_groups = {fold(g) for g in wanted.groups} == {fold(g) for g in before.groups}
            result = ExistingProfile(
                user_id=before.user_id,
                display_name=_keep_or(before.display_name, wanted.display_name),
                city=_keep_or(before.city, wanted.city),
                groups=before.groups if not wanted.groups or same_groups else wanted.groups,
                topics=_merge_topics(before.topics, wanted.topics, topic_key),
                note=_keep_or(before.note, wanted.note),
                allow_mentions=before.allow_mentions if wanted.allow_mentions is None else wanted.allow_mentions,
            )
            de, en = _describe_update(before, result)
            action: Literal["update", "unchanged"] = "unchanged" if result == before else "update"
            change = ProfileChange(wanted.user_id, row.line, action, de, en, result)
        current[wanted.user_id] = change.result
        changes.append(change)
    return ImportPlan(tuple(changes))


def _keep_or(stored: str | None, given: str | None) -> str | None:
    return stored if given is None else given


def _merge_topics(stored: Sequence[str], given: Sequence[str], topic_key: Callable[[str], str]) -> tuple[str, ...]:
    merged = list(stored)
    keys = {topic_key(t) for t in stored}
    for topic in given:
        key = topic_key(topic)
        if key not in keys:
            keys.add(key)
            merged.append(topic)
    return tuple(merged)


def _yes_no(value: bool) -> tuple[str, str]:
    return ("ja", "yes") if value else ("nein", "no")


def _describe_new(profile: ExistingProfile) -> tuple[tuple[str, ...], tuple[str, ...]]:
    de: list[str] = []
    en: list[str] = []
    if profile.display_name:
        de.append(f"Name: {profile.display_name}")
        en.append(f"Name: {profile.display_name}")
    if profile.city:
        de.append(f"Stadt: {profile.city}")
        en.append(f"City: {profile.city}")
    if profile.groups:
        de.append(f"Gruppen: {', '.join(profile.groups)}")
        en.append(f"Groups: {', '.join(profile.groups)}")
    if profile.topics:
        de.append(f"Themen: {', '.join(profile.topics)}")
        en.append(f"Topics: {', '.join(profile.topics)}")
    if profile.note:
        de.append(f"Notiz: {_q_de(profile.note, 40)}")
        en.append(f"Note: {_q_en(profile.note, 40)}")
    if profile.allow_mentions:
        de.append("Erwähnen: ja")
        en.append("Mentions: yes")
    return tuple(de), tuple(en)


def _describe_update(before: ExistingProfile, after: ExistingProfile) -> tuple[tuple[str, ...], tuple[str, ...]]:
    de: list[str] = []
    en: list[str] = []

    def from_to(old: str | None, new: str | None, empty: str) -> str:
        return f"{old or empty} → {new or empty}"

    if after.display_name != before.display_name:
        de.append("Name: " + from_to(before.display_name, after.display_name, "(leer)"))
        en.append("Name: " + from_to(before.display_name, after.display_name, "(empty)"))
    if after.city != before.city:
        de.append("Stadt: " + from_to(before.city, after.city, "(leer)"))
        en.append("City: " + from_to(before.city, after.city, "(empty)"))
    if after.groups != before.groups:
        diff = " ".join(
            [f"+{g}" for g in after.groups if g not in before.groups]
            + [f"−{g}" for g in before.groups if g not in after.groups]
        )
        de.append(f"Gruppen: {diff}")
        en.append(f"Groups: {diff}")
    added = after.topics[len(before.topics) :]
    if added:
        de.append("Themen: " + " ".join(f"+{t}" for t in added))
        en.append("Topics: " + " ".join(f"+{t}" for t in added))
    if after.note != before.note:
        de.append(
            "Notiz: " + from_to(before.note and _q_de(before.note, 40), after.note and _q_de(after.note, 40), "(leer)")
        )
        en.append(
            "Note: " + from_to(before.note and _q_en(before.note, 40), after.note and _q_en(after.note, 40), "(empty)")
        )
    if after.allow_mentions != before.allow_mentions:
        old, new = _yes_no(before.allow_mentions), _yes_no(after.allow_mentions)
        de.append(f"Erwähnen: {old[0]} → {new[0]}")
        en.append(f"Mentions: {old[1]} → {new[1]}")
    return tuple(de), tuple(en)


# --------------------------------------------------------------------------------------------------
# Reporting


def render_report(
    plan: ImportPlan | None,
    problems: Sequence[ImportProblem],
    notes: Sequence[ImportNote],
    *,
    language: str,
    dry_run: bool,
    max_lines: int = 40,
) -> str:
    """The chat reply (Markdown): summary, notes, then problems or changes by line."""
    de = language == "de"

    def where(line: int) -> str:
        if line == 0:
            return "**Datei:**" if de else "**File:**"
        return f"**Zeile {line}:**" if de else f"**Line {line}:**"

    def capped(items: list[str]) -> list[str]:
        if len(items) <= max_lines:
            return items
        rest = len(items) - max_lines
        return [*items[:max_lines], f"… und {rest} weitere" if de else f"… and {rest} more"]

    counts = ""
    if plan is not None:
        counts = (
            f"{plan.created} neu, {plan.updated} geändert, {plan.unchanged} unverändert"
            if de
            else f"{plan.created} new, {plan.updated} changed, {plan.unchanged} unchanged"
        )
    blocks: list[str] = []
    note_lines = [f"_{'Hinweis' if de else 'Note'}:_ {md_escape(n.de if de else n.en)}" for n in notes]

    if problems:
        if dry_run:
            head = (
                "**Probelauf:** Die Datei hat Fehler, so würde nichts importiert. Bitte korrigiere diese Zeilen:"
                if de
                else "**Dry run:** The file has errors, so nothing would be imported. Please fix these lines:"
            )
        else:
            head = (
                "**Nichts importiert** – bitte korrigiere diese Zeilen:"
                if de
                else "**Nothing imported** – please fix these lines:"
            )
        blocks.append(head)
        blocks.extend(note_lines)
        ordered = sorted(problems, key=lambda p: p.line)
        blocks.append("\n".join(capped([f"- {where(p.line)} {md_escape(p.de if de else p.en)}" for p in ordered])))
        if plan is not None and plan.changes:
            blocks.append(
                f"Die übrigen Zeilen sind in Ordnung ({counts})." if de else f"The other rows are fine ({counts})."
            )
        return "\n\n".join(blocks)

    if plan is None or not plan.changes:
        blocks.append(
            "Die Datei enthält keine Profile – es gibt nichts zu importieren."
            if de
            else "The file contains no profiles – there is nothing to import."
        )
        blocks.extend(note_lines)
        return "\n\n".join(blocks)

    if dry_run:
        blocks.append(
            f"**Probelauf:** {counts}. Nichts wurde gespeichert."
            if de
            else f"**Dry run:** {counts}. Nothing was saved."
        )
    else:
        blocks.append(f"**Importiert:** {counts}." if de else f"**Imported:** {counts}.")
    blocks.append(
        "Leere Zellen lassen Vorhandenes stehen, angegebene Gruppen ersetzen die bisherigen, "
        "Themen werden nur ergänzt (nie entfernt)."
        if de
        else "Empty cells keep what is there, groups given replace the previous ones, "
        "topics are only added (never removed)."
    )
    blocks.extend(note_lines)
    items: list[str] = []
    for change in plan.to_apply:
        texts = change.changes if de else change.changes_en
        details = "; ".join(md_escape(t) for t in texts)
        if change.action == "create":
            details = ("neu" if de else "new") + (f": {details}" if details else "")
        items.append(f"- {where(change.line)} {md_code(change.user_id)} – {details}")
    if items:
        blocks.append("\n".join(capped(items)))
    return "\n\n".join(blocks)
