"""redi-bot: Matrix bot for re@di – regional.digital."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("redi-bot")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0+source"
