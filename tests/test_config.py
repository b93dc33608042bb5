"""The config file admins write: the example loads, and every mistake names its key."""

from __future__ import annotations

import tomllib
from dataclasses import fields
from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import DEFAULT_SYNONYMS, NEEDS_RESTART, RELOADABLE, Config, ConfigError, load_config, reload_config

ROOT = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


MINIMAL = """
[matrix]
homeserver = "http://127.0.0.1:8008"
user_id = "@bot:localhost"
password = "secret"
"""


def test_example_config_loads_with_all_cities_and_groups() -> None:
    config = load_config(ROOT / "config.example.toml", env={})
    assert len(config.cities) == 9
    assert "Bühl" in config.cities and "Baden-Baden" in config.cities
    assert "eAkte" in config.groups
    assert config.default_language == "de"
    assert config.timezone.key == "Europe/Berlin"
    assert config.command_prefix == "!"
    assert config.max_command_age == timedelta(minutes=15)
    assert config.data_dir == (ROOT / "data").resolve()
    assert config.database_url.endswith("data/redi-bot.sqlite3")
    assert ("OZG", "Onlinezugangsgesetz") in config.synonyms
    assert config.page_size == 5
    assert config.may_invite("@anna:example.org")
    assert not config.may_invite("@mallory:evil.example")


def test_minimal_config_gets_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL), env={})
    assert config.matrix.password == "secret"
    assert config.data_dir == tmp_path / "data"
    assert config.database_url == f"sqlite+aiosqlite:///{tmp_path / 'data' / 'redi-bot.sqlite3'}"
    assert len(config.cities) == 9 and "Rheinstetten" in config.cities, "re@di's cities are the default"
    assert "Recht und Datenschutz" in config.groups


def test_synonyms_default_to_the_networks_groups_and_can_be_replaced_or_turned_off(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, MINIMAL), env={}).synonyms == DEFAULT_SYNONYMS
    assert load_config(write(tmp_path, MINIMAL + "[expertise]\npage_size = 3\n"), env={}).synonyms == DEFAULT_SYNONYMS
    assert load_config(write(tmp_path, MINIMAL + "[expertise]\nsynonyms = []\n"), env={}).synonyms == ()
    own = load_config(write(tmp_path, MINIMAL + '[expertise]\nsynonyms = [["Kita", " Kindergarten "]]\n'), env={})
    assert own.synonyms == (("Kita", "Kindergarten"),), "a list of the config's own replaces the defaults"


def test_example_config_shows_the_default_synonyms() -> None:
    """The example shows the defaults as a comment (an admin copies them to extend them): both must agree."""
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    start = text.index("# synonyms = [")
    end = text.index("# ]", start) + len("# ]")
    shown = tomllib.loads("\n".join(line.removeprefix("#").strip() for line in text[start:end].splitlines()))
    assert tuple(tuple(group) for group in shown["synonyms"]) == DEFAULT_SYNONYMS


def test_secrets_come_from_the_environment(tmp_path: Path) -> None:
    text = MINIMAL.replace('password = "secret"', "")
    config = load_config(write(tmp_path, text), env={"REDI_MATRIX_PASSWORD": "from-env"})
    assert config.matrix.password == "from-env"


@pytest.mark.parametrize(
    ("extra", "key", "fragment"),
    [
        ('[bot]\ntimezone = "Europe/Berln"', "bot.timezone", "IANA"),
        ('[bot]\ndefault_language = "fr"', "bot.default_language", "de, en"),
        ('[bot]\nmax_command_age_seconds = "viel"', "bot.max_command_age_seconds", "ganze Zahl"),
        ('[bot]\ncommand_prefix = "bot "', "bot.command_prefix", "Satzzeichen"),
        ('[bot]\ndatabase_url = "mysql://x"', "bot.database_url", "postgresql"),
        ('[bot]\nzeitzone = "Europe/Berlin"', "bot.zeitzone", "unbekannter Schlüssel"),
        ('[network]\ncities = "Bühl"', "network.cities", "Liste"),
        ("[network]\ncities = []", "network.cities", "nicht leer"),
        ('[network]\ncities = ["Bühl", "Buehl"]', "network.cities", "doppelt"),
        ('[network]\ncoordinators = ["anna"]', "network.coordinators", "Matrix-ID"),
        (
            '[network]\ngroups = ["eAkte"]\n[rooms]\n"!r:localhost" = "Sensorik"',
            "rooms.!r:localhost",
            "Gruppen",
        ),
        ('[invites]\nallowed_users = ["@x"]', "invites.allowed_users", "Matrix-ID"),
        ('[rooms]\n"eakte" = "eAkte"', "rooms.eakte", "Raumeinstellungen → Erweitert"),
        ('[rooms]\n"#eakte" = "eAkte"', "rooms.#eakte", 'Raum-Adresse wie "#eakte:example.org"'),
        ('[network]\nnetwork_room = "netzwerk"', "network.network_room", 'Raum-ID wie "!abc:example.org"'),
        ('[expertise]\nsynonyms = ["eAkte", "DMS"]', "expertise.synonyms", "Liste von Listen"),
        ('[expertise]\nsynonyms = [["eAkte"]]', "expertise.synonyms", "mindestens zwei"),
        ("[expertise]\npage_size = 50", "expertise.page_size", "höchstens 20"),
        # The date grammar's refusal, in German and plain (a config file is no chat message).
        (
            '[meetings]\nreminder_offsets = ["1 Jahr"]',
            "meetings.reminder_offsets",
            "„1 Jahr“ verstehe ich nicht als Dauer. Schreib z. B. `15 min`, `1h`, `2 Stunden` oder `1 Tag`.",
        ),
        ('[substitutions]\nreminder_before = "90 Tage"', "substitutions.reminder_before", "„90 Tage“ ist zu lang"),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, extra: str, key: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, MINIMAL + "\n" + extra), env={})
    assert info.value.key == key
    assert fragment in str(info.value)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('[matrix]\nuser_id = "@bot:localhost"', "matrix.homeserver"),
        ('[matrix]\nhomeserver = "matrix.example.org"\nuser_id = "@bot:localhost"', "matrix.homeserver"),
        ('[matrix]\nhomeserver = "http://h"\nuser_id = "bot"', "matrix.user_id"),
        ('[matrix]\nhomeserver = "http://h"\nuser_id = "@b:h"\naccess_token = "t"', "matrix.device_id"),
    ],
)
def test_matrix_section_errors(tmp_path: Path, text: str, key: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text), env={})
    assert info.value.key == key


def test_missing_file_and_broken_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="nicht gefunden"):
        load_config(tmp_path / "nope.toml", env={})
    with pytest.raises(ConfigError, match="kein gültiges TOML"):
        load_config(write(tmp_path, "[matrix\n"), env={})


def test_room_groups_are_matched_loosely(tmp_path: Path) -> None:
    text = MINIMAL + '[network]\ngroups = ["Digitale Rechnung"]\n[rooms]\n"!r:localhost" = "digitale-rechnung"'
    config = load_config(write(tmp_path, text), env={})
    assert config.group_of_room("!r:localhost") == "Digitale Rechnung"


def test_rooms_may_be_named_by_alias_and_are_compared_by_id(tmp_path: Path) -> None:
    text = MINIMAL + (
        '[network]\nnetwork_room = "#netzwerk:localhost"\n'
        '[rooms]\n"#eakte:localhost" = "eAkte"\n"!s:localhost" = "Sensorik"\n"#weg:localhost" = "Intranet"\n'
        '"#auch-eakte:localhost" = "Sensorik"\n'
    )
    config = load_config(write(tmp_path, text), env={})
    assert config.room_aliases() == [
        "#netzwerk:localhost",
        "#eakte:localhost",
        "#weg:localhost",
        "#auch-eakte:localhost",
    ]
    ids = {
        "#netzwerk:localhost": "!n:localhost",
        "#eakte:localhost": "!e:localhost",
        "#auch-eakte:localhost": "!e:localhost",
    }
    resolved, problems = config.with_room_ids(ids)
    assert resolved.network_room == "!n:localhost"
    assert dict(resolved.room_groups) == {"!s:localhost": "Sensorik", "!e:localhost": "eAkte"}, "#weg names no room"
    assert resolved.room_aliases() == []
    assert problems == [
        '[rooms] "#auch-eakte:localhost" = "Sensorik" is the room !e:localhost, which [rooms] already gives the group '
        '"eAkte"; it stays in "eAkte"'
    ]
    unresolved, _ = config.with_room_ids({})
    assert unresolved.network_room is None and dict(unresolved.room_groups) == {"!s:localhost": "Sensorik"}


def test_every_setting_either_reloads_or_needs_a_restart() -> None:
    names = {f.name for f in fields(Config)}
    assert set(RELOADABLE) | set(NEEDS_RESTART) == names and not set(RELOADABLE) & set(NEEDS_RESTART)


def test_a_reload_takes_over_what_can_change_and_names_what_needs_a_restart(tmp_path: Path) -> None:
    current = load_config(write(tmp_path, MINIMAL), env={})
    edited = MINIMAL.replace("http://127.0.0.1:8008", "https://matrix.example.org").replace("secret", "new") + (
        '[bot]\ncommand_prefix = "?"\ntimezone = "Europe/Lisbon"\n'
        '[network]\ncoordinators = ["@koordination:localhost"]\n'
        '[rooms]\n"!e:localhost" = "eAkte"\n'
        '[invites]\nallowed_servers = ["buehl.de"]\n'
        '[meetings]\nreminder_offsets = ["1h"]\n'
    )
    new = load_config(write(tmp_path, edited), env={})
    result = reload_config(current, new)
    assert result.changed == (
        "[network].coordinators",
        "[rooms]",
        "[invites].allowed_servers",
        "[meetings].reminder_offsets",
    )
    assert result.need_restart == (
        "[matrix].homeserver",
        "[matrix].password",
        "[bot].command_prefix",
        "[bot].timezone",
    ), "secrets by name only"
    used = result.config
    assert used.coordinators == {"@koordination:localhost"} and used.group_of_room("!e:localhost") == "eAkte"
    assert used.may_invite("@anna:buehl.de") and not used.may_invite("@anna:localhost")
    assert used.reminder_offsets == (timedelta(hours=1),)
    assert used.command_prefix == "!" and used.timezone.key == "Europe/Berlin", "kept until a restart"
    assert used.matrix == current.matrix
    again = reload_config(used, new)
    assert again.changed == () and again.need_restart == result.need_restart, "still waiting for the restart"


def test_the_example_config_says_what_reloads_and_what_needs_a_restart() -> None:
    header = (ROOT / "config.example.toml").read_text(encoding="utf-8").split("\n[matrix]")[0]
    text = " ".join(line.lstrip("# ") for line in header.splitlines())
    at_once = text.split("At once:")[1].split("Only after a restart:")[0]
    restart = text.split("Only after a restart:")[1].split("The log")[0]
    for key in RELOADABLE.values():
        table, _, name = key.partition(".")
        assert (name or table) in at_once or table in at_once, key
        assert not name or name not in restart, key
    for key in NEEDS_RESTART.values():
        name = key.partition(".")[2] or key
        assert name in restart and name not in at_once, key
