"""The version lives in attnzoo/_version.py (read by viz without importing the package top)."""

from pathlib import Path

import attnzoo
from attnzoo._version import __version__


def test_the_version_has_one_source_matching_pyproject():
    import tomllib  # Python 3.11+; the package itself supports 3.10

    pyproject = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    assert attnzoo.__version__ == __version__ == pyproject["project"]["version"]
