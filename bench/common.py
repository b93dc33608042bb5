"""Shared by the benchmark scripts (run as `python bench/<name>.py`, so this imports as `common`)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # the benchmarks import the project's packages from the checkout

# A bot config for a throwaway homeserver: fill in url, user_id, password, data.
BOT_CONFIG = """\
[matrix]
homeserver = "{url}"
user_id = "{user_id}"
password = "{password}"
[bot]
data_dir = "{data}"
[invites]
allowed_servers = ["localhost"]
"""


def percentile(samples: list[float], p: float) -> float:
    """Nearest-rank percentile; enough for the few hundred samples a benchmark takes."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))]
