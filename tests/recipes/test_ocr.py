"""The `ocr` recipe end to end on a tiny rendered set, and `attnzoo read`."""

import json

import pytest

from attnzoo.cli import main
from attnzoo.data.words import find_fonts
from attnzoo.recipes import get_recipe

WORDS = ["le", "la", "les", "un", "une", "été", "où", "çà", "chat", "chien", "maison", "rue", "île"]
WORDS += ["noël", "cœur", "ami", "amie", "eau", "feu", "jeu", "bon", "bien"]

TINY = dict(
    words=tuple(WORDS),
    test_fraction=0.25,
    val_fraction=0.2,
    train_samples=32,
    models=("recursive", "ctc"),  # the plain ablation is the same code with shared=False
    val_samples=8,
    test_samples=8,
    batch_size=16,
    channels=4,
    iterations=2,
    dim=16,
    hidden_dim=16,
    emb_dim=8,
    align_dim=16,
    figure_words=2,
)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("ocr")
    summary = get_recipe("ocr").run(out, budget="smoke", **TINY)
    return out, summary


def test_recipe_end_to_end(run_dir):
    out, summary = run_dir
    assert summary["test_words_in_train"] == 0 and summary["words"]["test"] > 0
    for kind in ("recursive", "ctc"):
        for m in ("word_acc", "char_acc", "ned"):
            assert f"{kind}_{m}" in summary
        assert (out / "train" / kind / "best.safetensors").is_file()
    html = (out / "index.html").read_text()
    assert "attention, recursive CNN" in html and "CTC, no attention" in html
    assert {p.name.split("-", 1)[1] for p in (out / "figures").glob("*.png")} >= {
        "attention-strips.png",
        "confusions.png",
        "curves.png",
    }
    assert json.loads((out / "summary.json").read_text())["recipe"] == "ocr"
    # the OCR explorer (hover a character), one per shown word read as at least one character
    assert 'data-az-view="ocr"' in html


def test_tour_card(run_dir):
    from attnzoo.recipes.tour import recipe_claim

    out, summary = run_dir
    claim = recipe_claim(summary)  # raises on a malformed claim
    rec, ctc = summary["recursive_word_acc"], summary["ctc_word_acc"]
    assert claim["held"] is (rec > ctc)  # computed from the measured numbers
    assert claim["numbers"]["word acc %, CTC, no attention"] == round(100 * ctc, 1)
    assert (out / summary["thumbnail"]).is_file() and "attention-strips" in summary["thumbnail"]


def test_read_cli_matches_the_recipe_reader(run_dir, tmp_path, capsys):
    from attnzoo.data.words import RenderedWords, save_rendered
    from attnzoo.recipes.ocr import read_image
    from attnzoo.recipes.ocr.evaluate import read_images
    from attnzoo.recipes.ocr.train import load_reader

    out, _ = run_dir
    folder = save_rendered(RenderedWords(["maison"], fonts=find_fonts(), seed=5), tmp_path / "img", count=1)
    image = folder / "000000.png"
    plot = tmp_path / "strip.png"
    assert main(["read", str(image), "--checkpoint", str(out), "--plot", str(plot)]) == 0
    printed = capsys.readouterr().out.strip()
    assert plot.is_file()
    # the same reading as loading the reader by hand (save -> load -> same reading)
    import torch

    from attnzoo.data.text_images import load_image

    _, model, vocab = load_reader(out / "train" / "recursive")
    [text], _ = read_images(model, [torch.from_numpy(load_image(image))[None]], vocab)
    assert printed == text == read_image(image, out)
    ctc_dir = out / "train" / "ctc"
    assert main(["read", str(image), "--checkpoint", str(ctc_dir)]) == 0
    assert main(["read", str(image), "--checkpoint", str(ctc_dir), "--plot", str(plot)]) == 2
    assert main(["read", str(image), "--checkpoint", str(tmp_path)]) == 2
    assert "ocr_model.json" in capsys.readouterr().err


def test_bad_overrides():
    with pytest.raises(ValueError, match="models"):
        get_recipe("ocr").run("/nonexistent-unused", models="recursive,attn")


@pytest.mark.parametrize("bad", [-0.1, 1.5, float("nan")])
def test_lr_decay_start_is_checked(bad):
    from attnzoo.recipes.ocr.config import OCRConfig

    with pytest.raises(ValueError, match="lr_decay_start"):
        OCRConfig(lr_decay_start=bad)


def test_full_budget_anneals_and_the_trainer_follows_it(tmp_path):
    """The full budget decays the rate over the second half; a tiny run's logged rates show the schedule."""
    from attnzoo.recipes.ocr.config import BUDGETS

    assert BUDGETS["full"].lr_decay_start == 0.5 and BUDGETS["smoke"].lr_decay_start == 1.0
    cfg = {**TINY, "models": ("recursive",), "train_samples": 64, "batch_size": 8, "checkpoint_every": 4}
    cfg["figure_words"] = 0
    get_recipe("ocr").run(tmp_path / "run", budget="smoke", **cfg, lr_decay_start=0.5)
    rows = [json.loads(line) for line in (tmp_path / "run/train/recursive/metrics.jsonl").open()]
    lrs = [r["lr"] for r in rows if "lr" in r]
    assert lrs and max(lrs) == pytest.approx(2e-3) and min(lrs) < 2e-3 * 0.5
