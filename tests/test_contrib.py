"""The deployment files in contrib/ are what an admin installs: the systemd unit must be one systemd accepts."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
UNIT = ROOT / "contrib" / "redi-bot.service"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed here")
def test_the_systemd_unit_verifies_without_a_warning(tmp_path: Path) -> None:
    # The unit names /opt/redi-bot; verify checks that the program exists, so point it at this checkout's one.
    program = Path(sys.executable).parent / "redi-bot"
    unit = tmp_path / UNIT.name
    unit.write_text(UNIT.read_text(encoding="utf-8").replace("/opt/redi-bot/.venv/bin/redi-bot", str(program)))
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", str(unit)], capture_output=True, text=True, timeout=60
    )
    about_ours = [line for line in (result.stdout + result.stderr).splitlines() if UNIT.name in line]
    assert result.returncode == 0 and about_ours == [], result.stdout + result.stderr


def test_the_unit_is_hardened_and_stops_and_reloads_cleanly() -> None:
    settings = dict(
        line.split("=", 1) for line in UNIT.read_text(encoding="utf-8").splitlines() if "=" in line and line[0] != "#"
    )
    assert settings["User"] == "redi-bot" and settings["NoNewPrivileges"] == "yes"
    assert settings["ProtectSystem"] == "strict" and settings["ReadWritePaths"] == "/var/lib/redi-bot"
    assert settings["KillSignal"] == "SIGTERM" and settings["Restart"] == "on-failure"
    assert settings["ExecReload"] == "/bin/kill -HUP $MAINPID"
