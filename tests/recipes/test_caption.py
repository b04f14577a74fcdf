import itertools
import json

import numpy as np
import pytest
import torch

from attnzoo.cli import main
from attnzoo.data import write_idx
from attnzoo.recipes import get_recipe
from attnzoo.recipes.caption import caption_image
from attnzoo.recipes.caption.evaluate import bleu_scores
from attnzoo.recipes.caption.report import results_table
from attnzoo.recipes.tour import recipe_claim, tour_entry


def _fake_mnist(root, n_train=60, n_test=20):
    """Ten synthetic 'digit' shapes (one bright bar each, at a class-specific place) as IDX files."""
    rng = np.random.default_rng(0)
    root.mkdir(parents=True)
    for n, prefix in ((n_train, "train"), (n_test, "t10k")):
        labels = (np.arange(n) % 10).astype(np.uint8)
        imgs = np.zeros((n, 28, 28), dtype=np.uint8)
        for i, y in enumerate(labels):
            imgs[i, 2 + 2 * y : 6 + 2 * y, 4:24] = rng.integers(150, 256)
        write_idx(root / f"{prefix}-images-idx3-ubyte", imgs)
        write_idx(root / f"{prefix}-labels-idx1-ubyte", labels)
    return root


def test_bleu_scores_multi_reference():
    refs = [[["a", "small", "3"], ["a", "large", "3"]], [["a", "small", "1", "above", "a", "large", "2"]]]
    perfect = bleu_scores([["a", "small", "3"], ["a", "small", "1", "above", "a", "large", "2"]], refs)
    assert all(abs(v - 1) < 1e-9 for v in perfect.values())
    other_ref = bleu_scores([["a", "large", "3"], ["a", "small", "1", "above", "a", "large", "2"]], refs)
    assert abs(other_ref["BLEU-4"] - 1) < 1e-9  # matching any one reference counts
    worse = bleu_scores([["a", "small", "4"], ["a", "small", "1", "below", "a", "large", "2"]], refs)
    assert worse["BLEU-1"] < 1 and worse["BLEU-4"] < worse["BLEU-1"]
    with pytest.raises(ValueError, match="reference sets"):
        bleu_scores([["a"]], [])


def test_recipe_end_to_end_and_cli(tmp_path, capsys):
    root = _fake_mnist(tmp_path / "mnist")
    tiny = dict(
        n_train=16,
        n_val=4,
        n_test=6,
        epochs=1,
        batch_images=8,
        enc_channels="4,8",
        feat_dim=8,
        emb_dim=8,
        hidden_dim=16,
        att_dim=8,
        canvas=32,
        max_len=8,
        figure_images=1,
        beam_size=2,
        pretrain_steps=3,
        pretrain_batch=4,
        data_root=str(root),
    )
    out = tmp_path / "run"
    s = get_recipe("caption").run(out, budget="smoke", seed=0, **tiny)
    assert set(s["metrics"]) == {"soft", "hard", "none"}
    for v, m in s["metrics"].items():
        assert 0 <= m["all"]["BLEU-4"] <= m["all"]["BLEU-1"] <= 1, v
        assert m["all"]["scenes"] == 6
    rows = results_table(s["metrics"])
    assert [r["attention"] for r in rows] == ["soft", "hard", "none"]
    assert "argmax in box" in rows[0] and "argmax in box" not in rows[2]
    html = (out / "index.html").read_text()
    assert "attnzoo run caption --budget smoke --seed 0" in html and "BLEU-4" in html
    assert len(list((out / "figures").glob("*attention-*.png"))) == 1
    assert json.loads((out / "summary.json").read_text())["metrics"] == s["metrics"]
    # the tour's card: a claim computed from the soft row, the per-word figure as thumbnail, explorers
    claim = recipe_claim(s)
    soft = s["metrics"]["soft"]["all"]
    assert claim["held"] is False  # 6 scenes cannot score 100 words
    if soft["argmax_in_box"] is not None:
        assert claim["numbers"]["argmax in box, soft"] == soft["argmax_in_box"]
        assert f"{100 * soft['argmax_in_box']:.0f} % of {soft['words']} digit words" in claim["text"]
    assert s["thumbnail"] == "attention-0" and tour_entry("caption", "", "", out, summary=s)["thumbnail"]
    assert html.count("Test scene 0, soft attention") == 1 and "Test scene 0, hard attention" in html

    # the saved captioner reproduces the recipe's own test caption, and the CLI prints it
    from PIL import Image

    from attnzoo.recipes.caption.train import load_captioner

    # every variant captions with the same pretrained encoder, kept frozen (the paper's fixed CNN)
    assert set(s["encoder_pretraining"]) == {"loss", "accuracy", "size_accuracy"}
    encoders = [load_captioner(out / v)[0].encoder.state_dict() for v in ("soft", "hard", "none")]
    for k, v in encoders[0].items():
        assert all(torch.equal(e[k], v) for e in encoders[1:]), k

    img_path = tmp_path / "scene.png"
    model, vocab, _ = load_captioner(out / "soft")
    img = np.zeros((32, 32), dtype=np.uint8)
    img[4:18, 4:18] = 255
    Image.fromarray(img).save(img_path)
    want = " ".join(
        vocab.decode(
            model.generate(torch.from_numpy(img / 255.0).float()[None, None], max_len=8).tokens[0].tolist()
        )
    )
    assert caption_image(img_path, out / "soft") == want
    plot = tmp_path / "att.png"
    assert main(["caption", str(img_path), "--checkpoint", str(out / "soft"), "--plot", str(plot)]) == 0
    assert capsys.readouterr().out.strip() == want and plot.is_file()


def test_bad_overrides(tmp_path):
    run = get_recipe("caption").run
    with pytest.raises(ValueError, match="variants"):
        run(tmp_path, variants="soft,stochastic")
    with pytest.raises(ValueError, match="unknown override"):
        run(tmp_path, epocs=1)
    with pytest.raises(ValueError, match=r"no captioner\.json"):
        caption_image(tmp_path / "x.png", tmp_path)


@pytest.mark.parametrize("bad", [-0.1, 1.5, float("nan")])
def test_lr_decay_start_is_checked(bad):
    from attnzoo.recipes.caption.config import CaptionConfig

    with pytest.raises(ValueError, match=r"CaptionConfig\.lr_decay_start"):
        CaptionConfig(lr_decay_start=bad)


def test_the_trainer_follows_the_annealed_rate(tmp_path):
    """lr_decay_start=0.5: the logged rate is the base rate for the first half, then falls toward 0."""
    root = _fake_mnist(tmp_path / "mnist")
    tiny = dict(n_train=32, n_val=4, n_test=4, epochs=2, batch_images=4, enc_channels="4,8", feat_dim=8,
                emb_dim=8, hidden_dim=16, att_dim=8, canvas=32, max_len=8, figure_images=0, beam_size=0,
                pretrain_steps=2, pretrain_batch=4, data_root=str(root), variants="soft",
                lr=1e-3)  # fmt: skip
    get_recipe("caption").run(tmp_path / "run", budget="smoke", seed=0, lr_decay_start=0.5, **tiny)
    rows = [json.loads(line) for line in (tmp_path / "run/soft/metrics.jsonl").open()]
    lrs = [r["lr"] for r in rows if r["kind"] == "train"]  # 16 steps, a record every step
    assert len(lrs) == 16 and lrs[:8] == [pytest.approx(1e-3)] * 8
    assert all(a > b for a, b in itertools.pairwise(lrs[7:])) and lrs[-1] < 1e-4
