"""Bulk profile import: the files coordinators really send (Excel CSV, TOML), every mistake by line,
the merge rules, and a report that shows file text literally."""

from __future__ import annotations

import pytest

from bot.replies import html_to_plain, render_html
from commands.expertise.importing import (
    ExistingProfile,
    ImportNote,
    ImportPlan,
    ImportProblem,
    ProfileChange,
    ProfileData,
    ProfileRow,
    parse_profiles,
    plan_import,
    render_report,
)
from storage.text import fold

CITIES = ["Baden-Baden", "Bretten", "Bruchsal", "Bühl", "Ettlingen", "Gaggenau", "Rastatt", "Rheinstetten", "Stutensee"]
GROUPS = [
    "Fachgruppe",
    "Online-Bürgerservice",
    "eAkte",
    "Digitale Rechnung",
    "Sensorik",
    "Engagementplattform",
    "Intranet",
    "Projektmanagement",
    "Recht und Datenschutz",
]


def topic_key(label: str) -> str:
    return fold(label)


def parse(
    text: str | bytes, filename: str = "profile.csv"
) -> tuple[list[ProfileRow], list[ImportProblem], list[ImportNote]]:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return parse_profiles(data, filename, cities=CITIES, groups=GROUPS)


def by_line(problems: list[ImportProblem]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for problem in problems:
        found.setdefault(problem.line, []).append(problem.de)
        assert problem.en and problem.en != problem.de
    return found


def plain(markdown: str) -> str:
    return html_to_plain(render_html(markdown))


ANNA = ProfileData(
    user_id="@anna.schmidt:buehl.de",
    display_name="Anna Schmidt",
    city="Bühl",
    groups=("eAkte", "Sensorik"),
    topics=("XRechnung", "E-Akte"),
    note="Fragt mich zu Rechnungen",
    allow_mentions=False,
)

# -- good files --------------------------------------------------------------------------------------

COMMA_CSV = """matrix_id,name,stadt,gruppen,themen,notiz,erwaehnen
@anna.schmidt:buehl.de,Anna Schmidt,buehl,"eAkte, sensorik",XRechnung; E-Akte,Fragt mich zu Rechnungen,nein
@bob:rastatt.de,,Rastatt,,,,ja
"""

# What German Excel writes: semicolons, English-free headings with umlauts, a ticked box.
EXCEL_CSV = """Matrix-ID;Anzeigename;Stadt;Gruppen;Themen;Notiz;Erwähnen
@anna.schmidt:buehl.de;Anna Schmidt;Bühl;eAkte, Sensorik;"XRechnung; E-Akte";Fragt mich zu Rechnungen;NEIN
@bob:rastatt.de;;RASTATT;;;;x
"""


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (COMMA_CSV.encode("utf-8"), "profile.csv"),
        (EXCEL_CSV.encode("utf-8"), "profile.csv"),
        (EXCEL_CSV.encode("utf-8-sig"), "Profile.CSV"),
        (EXCEL_CSV.replace("\n", "\r\n").encode("utf-8-sig"), "profile.csv"),
        (("sep=;\n" + EXCEL_CSV).encode("utf-8"), "profile.csv"),
        (
            EXCEL_CSV.replace('"XRechnung; E-Akte"', "XRechnung, E-Akte").replace(";", "\t").encode("utf-16"),
            "Unicode-Text.txt",
        ),
    ],
    ids=["comma", "excel-semicolon", "bom", "crlf", "sep-line", "utf16-tab-txt"],
)
def test_good_csv_variants_give_the_same_profiles(data: bytes, filename: str) -> None:
    rows, problems, notes = parse_profiles(data, filename, cities=CITIES, groups=GROUPS)
    assert problems == []
    assert notes == []
    first, second = rows
    assert first.data == ANNA
    assert second.data == ProfileData(
        user_id="@bob:rastatt.de",
        display_name=None,
        city="Rastatt",
        groups=(),
        topics=(),
        note=None,
        allow_mentions=True,
    )
    offset = 1 if data.startswith(b"sep=") else 0
    assert (first.line, second.line) == (2 + offset, 3 + offset)


def test_excel_windows_1252_file_is_read_and_the_report_says_so() -> None:
    rows, problems, notes = parse(EXCEL_CSV.encode("cp1252"))
    assert problems == []
    assert rows[0].data == ANNA  # "Bühl", "Erwähnen" survived
    assert len(notes) == 1
    assert "Windows-1252" in notes[0].de and "Windows-1252" in notes[0].en
    report = render_report(plan_import(rows, {}, topic_key=topic_key), problems, notes, language="de", dry_run=True)
    assert "Windows\\-1252" in report  # escaped like everything else, but there


def test_empty_rows_are_skipped_and_line_numbers_stay_physical() -> None:
    text = (
        "matrix_id;name;notiz\n"
        "\n"
        ";;\n"
        '@anna:buehl.de;Anna;"zwei\nZeilen"\n'  # lines 4-5: Alt+Enter in an Excel cell
        "@bob:buehl.de;Bob;\n"
    )
    rows, problems, _ = parse(text)
    assert problems == []
    assert [(r.line, r.data.user_id) for r in rows] == [(4, "@anna:buehl.de"), (6, "@bob:buehl.de")]
    assert rows[0].data.note == "zwei Zeilen"


@pytest.mark.parametrize(
    "text",
    [
        'matrix_id;notiz\n@a:buehl.de;"kein Ende\n@b:buehl.de;x\n',
        'matrix_id;notiz\n@a:buehl.de;"kein Ende\n' + "".join(f"Zeile {i}\n" for i in range(6)),
    ],
    ids=["next-row-swallowed", "runs-on"],
)
def test_missing_closing_quote_is_not_silently_swallowing_rows(text: str) -> None:
    rows, problems, _ = parse(text)
    assert rows == []
    (problem,) = problems
    assert problem.line == 2 and "Anführungszeichen" in problem.de


def test_header_only_means_nothing_to_import() -> None:
    rows, problems, _ = parse("matrix_id;name\n")
    assert rows == [] and problems == []
    report = render_report(plan_import(rows, {}, topic_key=topic_key), problems, [], language="de", dry_run=True)
    assert "keine Profile" in report


GOOD_TOML = """\
# Bühl, Stand März
[[profil]]
matrix_id = "@anna.schmidt:buehl.de"
name = "Anna Schmidt"
stadt = "buehl"
gruppen = ["eAkte", "sensorik"]
themen = ["XRechnung", "E-Akte"]
notiz = "Fragt mich zu Rechnungen"
erwaehnen = false

[[profil]]
user_id = "@bob:rastatt.de"
city = "Rastatt"
topics = "DMS, Scan"
allow_mentions = "ja"
"""


def test_good_toml() -> None:
    rows, problems, notes = parse(GOOD_TOML, "import.toml")
    assert problems == [] and notes == []
    assert rows[0] == ProfileRow(2, ANNA)
    assert rows[1].line == 11
    assert rows[1].data.topics == ("DMS", "Scan")
    assert rows[1].data.allow_mentions is True


def test_toml_english_table_name_and_txt_sniffing() -> None:
    text = GOOD_TOML.replace("[[profil]]", "[[profile]]")
    rows, problems, _ = parse(text, "export.txt")
    assert problems == []
    assert [r.data.user_id for r in rows] == ["@anna.schmidt:buehl.de", "@bob:rastatt.de"]


# -- bad files ---------------------------------------------------------------------------------------


def test_unknown_city_suggests_the_closest_and_lists_the_cities() -> None:
    rows, problems, _ = parse("matrix_id;stadt\n@anna:buehl.de;Bühl\n@bob:buehl.de;Bühlertal\n")
    assert [r.data.user_id for r in rows] == ["@anna:buehl.de"]  # the good row, for the dry-run counts
    (problem,) = problems
    assert problem.line == 3
    assert problem.de.startswith("Stadt „Bühlertal“ gibt es im Netzwerk nicht (möglich: Baden-Baden,")
    assert problem.de.endswith("Meintest du „Bühl“?")
    assert "Did you mean “Bühl”?" in problem.en


def test_two_cities_in_one_cell() -> None:
    _, problems, _ = parse('matrix_id;stadt\n@anna:buehl.de;"Bühl, Rastatt"\n')
    assert "nur eine Stadt" in by_line(problems)[2][0]


def test_unknown_group_with_suggestion() -> None:
    _, problems, _ = parse('matrix_id,gruppen\n@anna:buehl.de,"eAkte, Sensorikk, Quantencomputing"\n')
    assert [p.line for p in problems] == [2, 2]
    assert "„Sensorikk“" in problems[0].de and "Meintest du „Sensorik“?" in problems[0].de
    assert "„Quantencomputing“" in problems[1].de and "Meintest du" not in problems[1].de


def test_bad_matrix_ids_with_helpful_suggestions() -> None:
    text = (
        "matrix_id\n"
        "anna.schmidt@buehl.de\n"
        "@Bob:Rastatt.de\n"
        "https://matrix.to/#/@carla:bretten.de\n"
        "irgendwas\n"
        "@ok:bretten.de\n"
    )
    rows, problems, _ = parse(text)
    lines = by_line(problems)
    assert sorted(lines) == [2, 3, 4, 5]
    assert "Meintest du „@anna.schmidt:buehl.de“?" in lines[2][0]
    assert "Meintest du „@bob:rastatt.de“?" in lines[3][0]
    assert "Meintest du „@carla:bretten.de“?" in lines[4][0]
    assert "keine gültige Matrix-ID" in lines[5][0] and "Meintest du" not in lines[5][0]
    assert [r.data.user_id for r in rows] == ["@ok:bretten.de"]


def test_missing_matrix_id_in_a_row() -> None:
    _, problems, _ = parse("matrix_id;name\n;Anna\n")
    assert by_line(problems) == {2: [problems[0].de]}
    assert "Matrix-ID fehlt" in problems[0].de


def test_duplicate_user_is_reported_on_the_later_line_naming_the_earlier() -> None:
    text = "matrix_id;stadt\n@anna:buehl.de;Bühl\n@bob:buehl.de;Bühl\n\n@anna:buehl.de;Rastatt\n"
    rows, problems, _ = parse(text)
    (problem,) = problems
    assert problem.line == 5
    assert "Zeile 2" in problem.de and "line 2" in problem.en
    assert [r.line for r in rows] == [2, 3]


def test_unknown_column_names_the_column_and_the_allowed_ones() -> None:
    rows, problems, _ = parse("matrix_id;Stadtt;Telefon\n@anna:buehl.de;Bühl;0721\n")
    assert [p.line for p in problems] == [1, 1]
    assert "Die Spalte „Stadtt“ kenne ich nicht. Meintest du „stadt“?" in problems[0].de
    assert "„Telefon“" in problems[1].de
    for problem in problems:
        assert "matrix_id, name, stadt, gruppen, themen, notiz, erwaehnen" in problem.de
        assert "user_id, display_name, city" in problem.en
    assert len(rows) == 1  # the known columns were still checked


def test_missing_id_column_is_one_problem_on_line_1() -> None:
    rows, problems, _ = parse("name;stadt\nAnna;Bühl\nBob;Rastatt\n")
    assert rows == []
    (problem,) = problems
    assert problem.line == 1 and "Matrix-ID" in problem.de


def test_header_that_is_really_a_profile() -> None:
    _, problems, _ = parse("@anna:buehl.de;Anna;Bühl\n@bob:buehl.de;Bob;Bühl\n")
    (problem,) = problems
    assert problem.line == 1 and "Spaltenüberschriften" in problem.de


def test_same_column_twice() -> None:
    _, problems, _ = parse("matrix_id;name;Anzeigename\n@anna:buehl.de;Anna;Anna\n")
    (problem,) = problems
    assert problem.line == 1 and "„name“ und „Anzeigename“ meinen dasselbe" in problem.de


def test_unquoted_semicolon_list_in_an_excel_file_gets_a_hint() -> None:
    _, problems, _ = parse("matrix_id;gruppen;themen\n@anna:buehl.de;eAkte;Sensorik;DMS\n")
    (problem,) = problems
    assert problem.line == 2
    assert "Spalte 4" in problem.de and "mit Komma trennen" in problem.de


def test_topics_too_many_and_too_long_and_note_too_long() -> None:
    many = ", ".join(f"Thema {i}" for i in range(31))
    long_topic = "x" * 61
    text = (
        "matrix_id;themen;notiz\n"
        f"@a:buehl.de;{many};\n"
        f"@b:buehl.de;{long_topic};\n"
        f"@c:buehl.de;;{'n' * 201}\n"
        f"@d:buehl.de;{', '.join(f'Thema {i}' for i in range(30))};{'n' * 200}\n"
    )
    rows, problems, _ = parse(text)
    lines = by_line(problems)
    assert "31 Themen, höchstens 30" in lines[2][0]
    assert "zu lang (61 Zeichen, höchstens 60)" in lines[3][0]
    assert "Notiz ist zu lang (201 Zeichen, höchstens 200)" in lines[4][0]
    assert sorted(lines) == [2, 3, 4]
    assert [r.line for r in rows] == [5]


def test_duplicate_topics_in_one_cell_count_once() -> None:
    rows, problems, _ = parse('matrix_id;themen\n@a:buehl.de;"E-Akte, eAkte, e akte"\n')
    assert problems == []
    assert rows[0].data.topics == ("E-Akte",)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("ja", True),
        ("Nein", False),
        ("yes", True),
        ("no", False),
        ("TRUE", True),
        ("false", False),
        ("1", True),
        ("0", False),
        ("x", True),
        ("WAHR", True),
        ("FALSCH", False),
        ("", None),
        ("  ", None),
    ],
)
def test_mention_values(cell: str, expected: bool | None) -> None:
    rows, problems, _ = parse(f"matrix_id;erwähnen\n@a:buehl.de;{cell}\n")
    assert problems == []
    assert rows[0].data.allow_mentions is expected


def test_bad_bool() -> None:
    _, problems, _ = parse("matrix_id;mentions\n@a:buehl.de;vielleicht\n")
    (problem,) = problems
    assert problem.line == 2 and "„vielleicht“" in problem.de and "„ja“ oder „nein“" in problem.de


def test_garbage_bytes_are_not_a_text_file() -> None:
    garbage = bytes(range(256)) * 8
    rows, problems, notes = parse(garbage, "profile.csv")
    assert rows == [] and notes == []
    (problem,) = problems
    assert problem.line == 0 and "nicht nach Text" in problem.de


def test_excel_workbook_renamed_to_csv() -> None:
    _, problems, _ = parse(b"PK\x03\x04" + b"\x00" * 100, "profile.csv")
    (problem,) = problems
    assert problem.line == 0 and "Excel-Arbeitsmappe" in problem.de and "CSV UTF-8" in problem.de


@pytest.mark.parametrize("filename", ["profile.xlsx", "profile.pdf", "profile"])
def test_unknown_extension(filename: str) -> None:
    rows, problems, _ = parse(COMMA_CSV, filename)
    assert rows == []
    (problem,) = problems
    assert problem.line == 0
    assert ".csv" in problem.de and ".toml" in problem.de
    assert ".csv" in problem.en and ".toml" in problem.en
    assert ("Speichern unter" in problem.de) == filename.endswith("xlsx")


def test_size_and_row_limits() -> None:
    _, problems, _ = parse(b"matrix_id\n" + b"@a:b.de\n" * 130_000)
    assert problems[0].line == 0 and "1 MB" in problems[0].de

    text = "matrix_id\n" + "".join(f"@user{i}:buehl.de\n" for i in range(2001))
    rows, problems, _ = parse(text)
    assert rows == []
    (problem,) = problems
    assert problem.line == 2002 and "2.001 Profile, höchstens 2.000" in problem.de
    assert "2,000" in problem.en

    rows, problems, _ = parse(text.rsplit("@user2000", 1)[0])
    assert problems == [] and len(rows) == 2000


def test_empty_file() -> None:
    _, problems, _ = parse(b"", "profile.csv")
    assert problems[0].line == 0 and "leer" in problems[0].de


def test_toml_problems_point_at_the_key_or_table() -> None:
    text = """\
[[profil]]
matrix_id = "@anna:buehl.de"
stadt = "Bühlertal"

[[profil]]
matrix_id = "@bob:buehl.de"
telefon = "0721"
themen = [1, 2]

[[profil]]
matrix_id = "@anna:buehl.de"
erwaehnen = "vielleicht"
"""
    rows, problems, _ = parse(text, "profile.toml")
    assert rows == []
    lines = by_line(problems)
    assert sorted(lines) == [3, 7, 8, 11, 12]
    assert "Meintest du „Bühl“?" in lines[3][0]
    assert "„telefon“" in lines[7][0]
    assert "Liste von Texten" in lines[8][0] and 'themen = ["…", "…"]' in lines[8][0]
    assert "Zeile 2" in lines[11][0]
    assert "„vielleicht“" in lines[12][0]


def test_toml_syntax_error_has_its_line() -> None:
    _, problems, _ = parse('[[profil]]\nmatrix_id = "@anna:buehl.de"\nstadt = Bühl\n', "profile.toml")
    (problem,) = problems
    assert problem.line == 3 and "TOML" in problem.de


def test_toml_without_profiles() -> None:
    _, problems, _ = parse("# nur ein Kommentar\n", "profile.toml")
    assert problems[0].line == 0 and "[[profil]]" in problems[0].de
    _, problems, _ = parse('[[personen]]\nmatrix_id = "@a:b.de"\n', "profile.toml")
    assert problems[0].line == 1 and "„personen“" in problems[0].de


# -- planning ----------------------------------------------------------------------------------------


def existing(**overrides: object) -> ExistingProfile:
    values: dict[str, object] = {
        "user_id": "@anna.schmidt:buehl.de",
        "display_name": "Anna",
        "city": "Rastatt",
        "groups": ("Intranet",),
        "topics": ("eAkte", "DMS"),
        "note": "Alt",
        "allow_mentions": True,
    }
    values.update(overrides)
    return ExistingProfile(**values)  # type: ignore[arg-type]


def row(line: int = 2, **overrides: object) -> ProfileRow:
    values: dict[str, object] = {
        "user_id": "@anna.schmidt:buehl.de",
        "display_name": None,
        "city": None,
        "groups": (),
        "topics": (),
        "note": None,
        "allow_mentions": None,
    }
    values.update(overrides)
    return ProfileRow(line, ProfileData(**values))  # type: ignore[arg-type]


def test_plan_creates_with_defaults() -> None:
    plan = plan_import([row(city="Bühl", topics=("E-Akte", "eAkte"))], {}, topic_key=topic_key)
    (change,) = plan.changes
    assert change.action == "create" and change.line == 2
    assert change.result == ExistingProfile(
        "@anna.schmidt:buehl.de", None, "Bühl", (), ("E-Akte",), None, allow_mentions=False
    )
    assert change.changes == ("Stadt: Bühl", "Themen: E-Akte")
    assert change.changes_en == ("City: Bühl", "Topics: E-Akte")
    assert (plan.created, plan.updated, plan.unchanged) == (1, 0, 0)


def test_new_profiles_are_pinged_only_if_the_file_says_ja() -> None:
    """Pings are opt-in (issue #13): a file without an `erwaehnen` column, or with an empty cell, creates profiles
    that are named without a ping; only "ja" switches them on, and the coordinator's report says which."""
    rows, problems, _ = parse(
        "matrix_id,name,stadt,erwaehnen\n@anna:buehl.de,Anna,Bühl,ja\n@ben:rastatt.de,Ben,Rastatt,\n"
    )
    no_column, _, _ = parse("matrix_id,name\n@cem:buehl.de,Cem\n")
    assert problems == []
    plan = plan_import([*rows, *no_column], {}, topic_key=topic_key)
    assert [c.result.allow_mentions for c in plan.changes] == [True, False, False]
    for language, yes in (("de", "Erwähnen: ja"), ("en", "Mentions: yes")):
        report = plain(render_report(plan, [], [], language=language, dry_run=True))
        lines = [line for line in report.splitlines() if "@" in line]
        assert [yes in line for line in lines] == [True, False, False], report
        assert "nein" not in report and " no" not in "".join(lines)


def test_empty_cells_keep_what_is_stored() -> None:
    stored = existing(allow_mentions=False)
    plan = plan_import([row()], {stored.user_id: stored}, topic_key=topic_key)
    (change,) = plan.changes
    assert change.action == "unchanged" and change.changes == ()
    assert change.result == stored
    assert plan.to_apply == ()


def test_topics_merge_by_key_and_are_never_removed() -> None:
    stored = existing()
    plan = plan_import([row(topics=("E-Akte", "XRechnung"))], {stored.user_id: stored}, topic_key=topic_key)
    (change,) = plan.changes
    assert change.action == "update"
    assert change.result.topics == ("eAkte", "DMS", "XRechnung")  # stored spelling kept, DMS stays
    assert change.changes == ("Themen: +XRechnung",)

    only_known = plan_import([row(topics=("e akte", "dms"))], {stored.user_id: stored}, topic_key=topic_key)
    assert only_known.changes[0].action == "unchanged"


def test_given_values_replace_and_are_described() -> None:
    stored = existing()
    wanted = row(
        display_name="Anna Schmidt",
        city="Bühl",
        groups=("eAkte", "Intranet"),
        note="Neu",
        allow_mentions=False,
    )
    (change,) = plan_import([wanted], {stored.user_id: stored}, topic_key=topic_key).changes
    assert change.action == "update"
    assert change.changes == (
        "Name: Anna → Anna Schmidt",
        "Stadt: Rastatt → Bühl",
        "Gruppen: +eAkte",
        "Notiz: „Alt“ → „Neu“",
        "Erwähnen: ja → nein",
    )
    assert change.changes_en[1] == "City: Rastatt → Bühl"
    assert change.result.groups == ("eAkte", "Intranet")
    assert change.result.topics == stored.topics


def test_same_groups_in_another_order_is_no_change() -> None:
    stored = existing(groups=("Intranet", "eAkte"))
    (change,) = plan_import([row(groups=("eAkte", "Intranet"))], {stored.user_id: stored}, topic_key=topic_key).changes
    assert change.action == "unchanged"


def test_plan_counts_a_mixed_import() -> None:
    stored = {
        "@a:buehl.de": existing(user_id="@a:buehl.de"),
        "@b:buehl.de": existing(user_id="@b:buehl.de"),
    }
    rows = [
        row(2, user_id="@a:buehl.de", city="Bühl"),
        row(3, user_id="@b:buehl.de", city="Rastatt"),
        row(4, user_id="@c:buehl.de"),
    ]
    plan = plan_import(rows, stored, topic_key=topic_key)
    assert [c.action for c in plan.changes] == ["update", "unchanged", "create"]
    assert (plan.created, plan.updated, plan.unchanged) == (1, 1, 1)


def test_parse_then_plan_round_trip() -> None:
    rows, problems, _ = parse(EXCEL_CSV)
    assert problems == []
    stored = existing(allow_mentions=False, topics=("e-akte",))
    plan = plan_import(rows, {stored.user_id: stored}, topic_key=topic_key)
    anna, bob = plan.changes
    assert anna.action == "update" and "Themen: +XRechnung" in anna.changes
    assert bob.action == "create"


# -- report ------------------------------------------------------------------------------------------


def nasty_plan() -> ImportPlan:
    stored = existing(user_id="@b:buehl.de")
    rows = [
        row(2, user_id="@a:buehl.de", display_name="*Anna* <b>x</b>", topics=("[Link](https://evil.example)",)),
        row(3, user_id="@b:buehl.de", city="Bühl"),
        row(4, user_id="@c:buehl.de", display_name=None),
        row(5, user_id="@d:buehl.de"),
    ]
    plan = plan_import(
        rows, {stored.user_id: stored, "@d:buehl.de": existing(user_id="@d:buehl.de")}, topic_key=topic_key
    )
    return plan


def test_dry_run_report_in_german() -> None:
    report = render_report(nasty_plan(), [], [], language="de", dry_run=True)
    assert report.startswith("**Probelauf:** 2 neu, 1 geändert, 1 unverändert. Nichts wurde gespeichert.")
    assert "Leere Zellen lassen Vorhandenes stehen" in report and "nur ergänzt" in report
    text = plain(report)
    assert "Zeile 2: @a:buehl.de – neu: Name: *Anna* <b>x</b>; Themen: [Link](https://evil.example)" in text
    assert "Zeile 3: @b:buehl.de – Stadt: Rastatt → Bühl" in text
    assert "Zeile 5" not in text  # unchanged rows are only counted
    html = render_html(report)
    assert "<em>" not in html and "<b>" not in html and "href" not in html


def test_report_after_apply_in_english() -> None:
    report = render_report(nasty_plan(), [], [], language="en", dry_run=False)
    assert report.startswith("**Imported:** 2 new, 1 changed, 1 unchanged.")
    assert "never removed" in report
    text = plain(report)
    assert "Line 2: @a:buehl.de – new: Name: *Anna* <b>x</b>" in text
    assert "Line 3: @b:buehl.de – City: Rastatt → Bühl" in text


def test_problem_report_says_nothing_was_imported_and_escapes_file_text() -> None:
    rows, problems, notes = parse("matrix_id;stadt\n@a:buehl.de;Bühl\n@b:buehl.de;*Bühl* <b>x</b>\n")
    plan = plan_import(rows, {}, topic_key=topic_key)
    report = render_report(plan, problems, notes, language="de", dry_run=False)
    assert report.startswith("**Nichts importiert** – bitte korrigiere diese Zeilen:")
    text = plain(report)
    assert "Zeile 3: Stadt „*Bühl* <b>x</b>“ gibt es im Netzwerk nicht" in text
    assert "1 neu" in text
    assert "<b>" not in render_html(report) and "<em>" not in render_html(report)

    dry = render_report(plan, problems, notes, language="en", dry_run=True)
    assert dry.startswith("**Dry run:** The file has errors, so nothing would be imported.")
    assert "Line 3: There is no city “*Bühl* <b>x</b>”" in plain(dry)


def test_file_problems_and_caps() -> None:
    problems = [ImportProblem(0, "Ganze Datei", "Whole file")] + [
        ImportProblem(i, f"Fehler {i}", f"Error {i}") for i in range(2, 12)
    ]
    report = render_report(None, problems, [], language="de", dry_run=True, max_lines=3)
    text = plain(report)
    assert "Datei: Ganze Datei" in text
    assert "Zeile 3: Fehler 3" in text and "Zeile 4" not in text
    assert "… und 8 weitere" in text
    assert "… and 8 more" in plain(render_report(None, problems, [], language="en", dry_run=True, max_lines=3))

    rows = [row(i, user_id=f"@u{i}:buehl.de") for i in range(2, 8)]
    changes = render_report(
        plan_import(rows, {}, topic_key=topic_key), [], [], language="de", dry_run=True, max_lines=2
    )
    assert "6 neu" in changes and "… und 4 weitere" in plain(changes)


def test_change_type_is_frozen() -> None:
    change = plan_import([row()], {}, topic_key=topic_key).changes[0]
    assert isinstance(change, ProfileChange)
    with pytest.raises(AttributeError):
        change.action = "update"  # type: ignore[misc]
