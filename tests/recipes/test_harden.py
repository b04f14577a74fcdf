"""Issue 16: config fields checked at construction, run folders never silently replaced, the CLI's exits."""

import dataclasses
import json
import math
import signal
import typing
import warnings

import pytest

from attnzoo import cli
from attnzoo.recipes._common import check_fields, format_mean_std, mean_std
from attnzoo.recipes.caption.config import CaptionConfig
from attnzoo.recipes.draw.config import DrawRecipeConfig
from attnzoo.recipes.nw_regression import NWConfig
from attnzoo.recipes.nw_regression import run as nw_run
from attnzoo.recipes.ocr.config import OCRConfig
from attnzoo.recipes.ram.config import RAMRecipeConfig
from attnzoo.recipes.sentiment import SentimentConfig
from attnzoo.recipes.tour import TOUR_MARKER
from attnzoo.recipes.translate import TranslateConfig
from attnzoo.recipes.vision import VisionConfig

CONFIGS = [
    NWConfig,
    SentimentConfig,
    TranslateConfig,
    VisionConfig,
    DrawRecipeConfig,
    OCRConfig,
    RAMRecipeConfig,
    CaptionConfig,
]
NW_FAST = {"seeds": 1, "epochs": 1, "sweep_points": 2}


def _numeric_fields(cls):
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        args = typing.get_args(hints[f.name]) or (hints[f.name],)
        base = [a for a in args if a is not type(None)]
        if (base and base[0] in (int, float)) or (base and typing.get_origin(base[0]) is tuple):
            yield f.name, base[0]


BAD = [
    (cls, name, value)
    for cls in CONFIGS
    for name, kind in _numeric_fields(cls)
    for value in (
        [(-1,)] if typing.get_origin(kind) is tuple else [-1] if kind is int else [-1.0, math.nan, math.inf]
    )
]


@pytest.mark.parametrize(("cls", "name", "value"), BAD, ids=[f"{c.__name__}.{n}={v}" for c, n, v in BAD])
def test_every_numeric_field_refuses_nonsense(cls, name, value):
    """No numeric field of a recipe config takes a negative, NaN or infinite value; the error names it."""
    with pytest.raises((ValueError, TypeError), match=rf"{cls.__name__}\.{name}\b"):
        cls(**{name: value})


@pytest.mark.parametrize("cls", CONFIGS)
def test_budgets_and_defaults_pass_their_own_checks(cls):
    cls()
    module = __import__(cls.__module__, fromlist=["BUDGETS"])
    for cfg in getattr(module, "BUDGETS", {}).values():
        dataclasses.replace(cfg)  # re-runs __post_init__


def test_check_fields_types_choices_and_none():
    @dataclasses.dataclass(frozen=True)
    class Toy:
        n: int = 1
        p: float | None = None
        kind: str = "a"
        sizes: tuple[int, ...] = (1, 2)
        mix: float = 1.0

        def __post_init__(self):
            check_fields(self, positive=("n", "p", "sizes"), share=("mix",), choices={"kind": ("a", "b")})

    Toy(p=None)
    with pytest.raises(TypeError, match=r"Toy\.n must be int, got bool True"):
        Toy(n=True)
    with pytest.raises(TypeError, match=r"Toy\.sizes must be tuple\[int, \.\.\.\], got list"):
        Toy(sizes=[1])
    with pytest.raises(ValueError, match=r"Toy\.kind must be one of a, b; got 'c'"):
        Toy(kind="c")
    with pytest.raises(ValueError, match=r"Toy\.sizes must be > 0, got \(1, 0\)"):
        Toy(sizes=(1, 0))
    Toy(mix=0.0)  # a share takes both ends of [0, 1]
    with pytest.raises(ValueError, match=r"Toy\.mix must be in \[0, 1\], got 1\.5"):
        Toy(mix=1.5)
    with pytest.raises(ValueError, match=r"Toy\.mix must be finite and in \[0, 1\], got nan"):
        Toy(mix=float("nan"))


def test_one_seed_reports_n1_not_a_nan_std(tmp_path):
    assert mean_std([2.0]) == (2.0, None) and format_mean_std([2.0]) == "2.00 (n=1)"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a NumPy "Degrees of freedom <= 0" warning fails the test
        summary = nw_run(tmp_path, **NW_FAST)
    assert all(std is None for _, std in summary["test_mse"].values())
    assert summary["learned_w"][1] is None
    assert "(n=1)" in (tmp_path / "index.html").read_text()


def test_rerun_refuses_then_force_replaces_and_resume_continues(tmp_path):
    nw_run(tmp_path, **NW_FAST)
    with pytest.raises(FileExistsError, match=r"--resume.*--force"):
        nw_run(tmp_path, **NW_FAST)
    metrics = tmp_path / "train" / "seed0" / "metrics.jsonl"
    first = [json.loads(line).get("train/loss") for line in metrics.read_text().splitlines()]
    nw_run(tmp_path, force=True, **NW_FAST)
    again = [json.loads(line).get("train/loss") for line in metrics.read_text().splitlines()]
    assert again == first  # started over (not appended), same seed: the same losses
    nw_run(tmp_path, resume=True, **NW_FAST)  # a finished run resumes to the same place


def test_cli_force_and_tour_twice(tmp_path, capsys):
    out = str(tmp_path / "nw")
    assert cli.main(["run", "nw-regression", "--out", out, *(f"{k}={v}" for k, v in NW_FAST.items())]) == 0
    assert cli.main(["run", "nw-regression", "--out", out, "seeds=1", "epochs=1"]) == 2
    assert "--force" in capsys.readouterr().err
    assert cli.main(["run", "nw-regression", "--out", out, "--force", "seeds=1", "epochs=1"]) == 0
    tour = tmp_path / "tour"
    for _ in range(2):  # the tour replaces its own smoke runs
        assert cli.main(["tour", "--out", str(tour), "--only", "nw-regression"]) == 0
    assert (tour / TOUR_MARKER).is_file() and (tour / "nw-regression" / "index.html").is_file()


def test_tour_force_replaces_a_foreign_folder(tmp_path, capsys):
    nw_run(tmp_path / "nw-regression", **NW_FAST)  # a run the tour did not write
    assert cli.main(["tour", "--out", str(tmp_path), "--only", "nw-regression"]) == 2
    assert "--force" in capsys.readouterr().err
    assert cli.main(["tour", "--out", str(tmp_path), "--only", "nw-regression", "--force"]) == 0


@pytest.mark.parametrize(
    ("sig", "code", "name"), [(signal.SIGTERM, 143, "SIGTERM"), (signal.SIGINT, 130, "SIGINT")]
)
def test_a_signal_outside_training_is_one_line_and_a_documented_code(monkeypatch, capsys, sig, code, name):
    def stopped(args):
        signal.raise_signal(sig)  # delivered to the main thread before raise_signal returns
        raise AssertionError("the signal did not stop the command")

    monkeypatch.setattr(cli, "_cmd_list", stopped)
    before = signal.getsignal(signal.SIGTERM)
    assert cli.main(["list"]) == code
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"attnzoo: interrupted by {name} during `attnzoo list`"] or err == [
        f"attnzoo: terminated by {name} during `attnzoo list`"
    ]
    assert signal.getsignal(signal.SIGTERM) == before  # main() puts the handler back


def test_debug_adds_the_traceback_and_a_bug_keeps_it(tmp_path, monkeypatch, capsys):
    afile = tmp_path / "f"
    afile.write_text("")
    assert cli.main(["run", "nw-regression", "--out", str(afile)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert cli.main(["--debug", "run", "nw-regression", "--out", str(afile)]) == 2
    assert "Traceback" in capsys.readouterr().err

    def buggy(args):
        raise TypeError("a bug")

    monkeypatch.setattr(cli, "_cmd_list", buggy)
    with pytest.raises(TypeError, match="a bug"):  # not a user error: the traceback stays
        cli.main(["list"])
