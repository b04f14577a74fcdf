"""docs/errors.md is rendered from the rows of tests/_errors_*.py, and every row is run as a test."""

import importlib
import os
from pathlib import Path

import pytest

from attnzoo.data import CLIENTS, DATASETS
from tests._errors import CliExit, render

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "errors.md"
MODULES = [
    importlib.import_module(f"tests.{p.stem}") for p in sorted(Path(__file__).parent.glob("_errors_*.py"))
]
SECTIONS = [(m.SECTION, m.INTRO, m.CASES) for m in MODULES]
ROWS = [(m.__name__, i, c) for m in MODULES for i, c in enumerate(m.CASES)]


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """A private cache and registries restored afterwards, so a row can register toy datasets."""
    monkeypatch.setenv("ATTNZOO_DATA", str(tmp_path / "cache"))
    datasets, clients = dict(DATASETS), dict(CLIENTS)
    yield tmp_path / "work"
    DATASETS.clear()
    DATASETS.update(datasets)
    CLIENTS.clear()
    CLIENTS.update(clients)


@pytest.mark.parametrize(("module", "index", "case"), ROWS, ids=[f"{c.where}: {c.case}" for _, _, c in ROWS])
def test_row_holds(isolated, module, index, case):
    isolated.mkdir()
    with pytest.raises(BaseException) as info:
        case.call(isolated)
    err = info.value
    assert type(err) is case.raises, f"{module}[{index}]: got {type(err).__name__}: {err}"
    text = str(err.args[0]) if isinstance(err, KeyError) else str(err)
    assert case.fragment in text, f"{module}[{index}]: {case.fragment!r} not in {text!r}"
    if case.raises is CliExit:
        assert err.code == case.exit_code, f"{module}[{index}]: exit {err.code}, expected {case.exit_code}"


def test_docs_errors_md_is_current():
    text = render(SECTIONS)
    if os.environ.get("ATTNZOO_WRITE_DOCS"):
        DOC.write_text(text)
    assert DOC.is_file() and DOC.read_text() == text, (
        "docs/errors.md differs from tests/_errors_*.py: regenerate it with "
        "`ATTNZOO_WRITE_DOCS=1 python -m pytest -q tests/test_errors_doc.py` and commit it"
    )
