"""The config file admins write: the example loads, and every mistake names its key."""

from __future__ import annotations

import tomllib
from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import DEFAULT_SYNONYMS, ConfigError, load_config

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
