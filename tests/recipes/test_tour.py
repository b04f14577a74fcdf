"""The tour's cards: a recipe's summary claim and thumbnail (the contract in attnzoo.recipes.tour)."""

import re

import numpy as np
import pytest

from attnzoo.recipes.tour import recipe_claim, tour_entry
from attnzoo.viz import Report, attention_heatmap, write_index


def test_recipe_claim_contract():
    assert recipe_claim({"bleu": 3}) is None and recipe_claim(None) is None
    assert recipe_claim({"claim": " it holds "}) == {"text": "it holds", "held": None}
    full = {"text": "a beats b", "held": False, "numbers": {"a": 1.0, "b": 2.0}, "note": "full budget"}
    assert recipe_claim({"claim": full}) == full
    for bad, message in [
        ({"text": ""}, "non-empty sentence"),
        ({"text": "x", "held": 1.0}, "True, False or None"),
        ({"text": "x", "numbers": [1, 2]}, "numbers'\\] must be a dict"),
        ({"text": "x", "verdict": True}, "unknown keys \\['verdict'\\]"),
        (3, "must be a dict or a str"),
    ]:
        with pytest.raises(ValueError, match=message):
            recipe_claim({"claim": bad})


def test_tour_entry_reads_the_summary(tmp_path):
    rep = Report("r", "c")
    for name in ("loss", "bleu by length"):
        rep.add_figure(attention_heatmap(np.eye(2), dpi=30), name)
    rep.write(tmp_path / "r")
    summary = {
        "recipe": "r",
        "budget": "smoke",
        "config": {"epochs": 1},
        "claim": {"text": "attention helps", "held": True, "numbers": {"BLEU": 14.2}},
        "thumbnail": "bleu by length",  # the figure's name, matched to figures/NN-bleu-by-length.png
        "scores": {"bahdanau": {"greedy": 14.2}},
    }
    e = tour_entry("r", "one line", "fra-eng", tmp_path / "r", summary=summary, seconds=12.5)
    assert e["status"] == "ok" and e["claim"]["held"] is True and e["seconds"] == 12.5
    assert e["thumbnail"] == tmp_path / "r" / "figures" / "02-bleu-by-length.png"
    assert e["details"] == {"scores": {"bahdanau": {"greedy": 14.2}}}  # not recipe, budget, config, claim
    e = tour_entry(
        "r", "x", "d", tmp_path / "r", summary={"thumbnail": "figures/01-loss.png", "mse": [0.123456]}
    )
    assert e["thumbnail"] == tmp_path / "r" / "figures" / "01-loss.png"
    assert "claim" not in e and e["summary"].endswith("mse: 0.123")
    failed = tour_entry("r", "x", "d", tmp_path / "r", summary={"claim": {"bad": 1}}, error="ValueError: no")
    assert failed["status"] == "failed" and failed["error"] == "ValueError: no" and "claim" not in failed
    page = write_index(tmp_path / "index.html", [e, failed]).read_text()
    assert len(re.findall(r'<div class="card( failed)?">', page)) == 2 and "figures/01-loss.png" in page
