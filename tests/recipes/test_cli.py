"""The command line, run as a user would (a subprocess of the installed console script's module)."""

import subprocess
import sys

import pytest

from attnzoo.cli import main


def _cli(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "attnzoo.cli", *args], capture_output=True, text=True, cwd=cwd
    )


def test_list(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "scaled_dot" in out and "gumbel" in out and "nw-regression" in out


def test_run_nw_regression_smoke(tmp_path):
    r = _cli(
        "run", "nw-regression", "--budget", "smoke", "--out", str(tmp_path / "nw"), "seeds=2", cwd=tmp_path
    )
    assert r.returncode == 0, r.stderr
    assert "report:" in r.stdout and (tmp_path / "nw" / "index.html").is_file()


def test_tour_only_writes_index(tmp_path):
    assert main(["tour", "--out", str(tmp_path / "tour"), "--only", "nw-regression"]) == 0
    index = (tmp_path / "tour" / "index.html").read_text()
    assert 'href="nw-regression/index.html"' in index and "[ok" in index


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "no-such-recipe"], "unknown recipe 'no-such-recipe'; valid:"),
        (["run", "nw-regression", "epochs"], "not of the form key=value"),
        (["run", "nw-regression", "bogus=1"], "unknown override(s) bogus"),
    ],
)
def test_errors_are_clear(tmp_path, args, message):
    r = _cli(*args, "--out", str(tmp_path / "x"), cwd=tmp_path) if args[0] == "run" else _cli(*args)
    assert r.returncode != 0
    assert message in r.stderr
