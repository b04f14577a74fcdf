"""Rows of docs/errors.md for the recipes' Python API: config fields, ``run()`` and its output folder."""

from __future__ import annotations

import math
from pathlib import Path

from attnzoo.recipes._common import check_output_file, prepare_run_dir
from attnzoo.recipes.nw_regression import NWConfig
from attnzoo.recipes.nw_regression import run as nw_run
from attnzoo.recipes.sentiment import SentimentConfig
from attnzoo.recipes.translate import TranslateConfig
from attnzoo.recipes.vision import VisionConfig
from tests._errors import Case

SECTION = "Recipes (Python API): configs, `run()`, output folders"
INTRO = (
    "Every config field is checked when the config is made (a `key=value` override makes one): a value of "
    "the wrong type is a `TypeError`, one out of range a `ValueError`, both naming `Config.field`."
)


def _rerun(tmp: Path) -> None:
    (tmp / "run" / "train" / "seed0").mkdir(parents=True)
    (tmp / "run" / "train" / "seed0" / "last.safetensors").write_bytes(b"")
    nw_run(tmp / "run", seeds=1)


CASES = [
    Case(
        "NWConfig", "`seeds=0`", lambda t: NWConfig(seeds=0), ValueError, "NWConfig.seeds must be > 0, got 0"
    ),
    Case(
        "NWConfig",
        "`lr=nan`",
        lambda t: NWConfig(lr=math.nan),
        ValueError,
        "NWConfig.lr must be finite and > 0",
    ),
    Case(
        "NWConfig",
        "`sweep_points=0`",
        lambda t: NWConfig(sweep_points=0),
        ValueError,
        "NWConfig.sweep_points must be > 0",
    ),
    Case(
        "NWConfig",
        "`noise_std=-1`",
        lambda t: NWConfig(noise_std=-1),
        ValueError,
        "NWConfig.noise_std must be >= 0",
    ),
    Case(
        "NWConfig",
        "`w_init=inf`",
        lambda t: NWConfig(w_init=math.inf),
        ValueError,
        "NWConfig.w_init must be finite and > 0",
    ),
    Case(
        "NWConfig",
        "`seeds=2.5` (not an int)",
        lambda t: NWConfig(seeds=2.5),
        TypeError,
        "NWConfig.seeds must be int, got float",
    ),
    Case(
        "SentimentConfig",
        "`dropout=1.0`",
        lambda t: SentimentConfig(dropout=1.0),
        ValueError,
        "SentimentConfig.dropout must be in [0, 1)",
    ),
    Case(
        "SentimentConfig",
        "`models` without attention",
        lambda t: SentimentConfig(models=("mean",)),
        ValueError,
        "must include 'attention'",
    ),
    Case(
        "SentimentConfig",
        "`max_len=-3`",
        lambda t: SentimentConfig(max_len=-3),
        ValueError,
        "SentimentConfig.max_len must be > 0",
    ),
    Case(
        "TranslateConfig",
        "`source='de'`",
        lambda t: TranslateConfig(source="de"),
        ValueError,
        "TranslateConfig.source must be one of en, fr",
    ),
    Case(
        "TranslateConfig",
        "`label_smoothing=1.5`",
        lambda t: TranslateConfig(label_smoothing=1.5),
        ValueError,
        "TranslateConfig.label_smoothing must be in [0, 1)",
    ),
    Case(
        "VisionConfig",
        "`train_limit=0`",
        lambda t: VisionConfig(train_limit=0),
        ValueError,
        "VisionConfig.train_limit must be > 0",
    ),
    Case(
        "VisionConfig",
        "`widths=(8, 0)`",
        lambda t: VisionConfig(widths=(8, 0), blocks=(1, 1)),
        ValueError,
        "VisionConfig.widths must be > 0",
    ),
    Case(
        "VisionConfig",
        "an unknown module",
        lambda t: VisionConfig(modules=("se", "nope")),
        ValueError,
        "VisionConfig.modules: unknown value(s) 'nope'",
    ),
    Case(
        "recipe run()",
        "`out_dir` holds an earlier run",
        _rerun,
        FileExistsError,
        "replace it with --force (force=True)",
    ),
    Case(
        "prepare_run_dir",
        "`resume=True, force=True`",
        lambda t: prepare_run_dir(t, resume=True, force=True),
        ValueError,
        "contradict each other",
    ),
    Case(
        "prepare_run_dir",
        "`out_dir` is a file",
        lambda t: prepare_run_dir(Path(__file__)),
        NotADirectoryError,
        "is a file, not a directory",
    ),
    Case(
        "check_output_file", "a folder", lambda t: check_output_file(t, "--html"), IsADirectoryError, "--html"
    ),
    Case(
        "check_output_file",
        "in a missing folder",
        lambda t: check_output_file(t / "no" / "x.png"),
        FileNotFoundError,
        "does not exist",
    ),
]
