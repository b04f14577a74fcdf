"""The index page: cards with claims, thumbnails, status and time; every value formatted, never a repr."""

import html
import re

import numpy as np
import pytest
import torch

from attnzoo.viz import Report, attention_heatmap, format_value, write_index


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.94823847, "0.948"),
        (14.956716, "15"),
        (141.0, "141"),
        (12345.678, "12,346"),
        (0.00012345, "1.23e-04"),
        (0.0, "0"),
        (50, "50"),
        (True, "yes"),
        (None, "—"),
        ([0.9482384, 0.0724702], "0.948, 0.0725"),
        ({"average": [0.948238, 0.07247], "n": 50}, "average 0.948, 0.0725; n 50"),
        ({"a": {"b": 0.5}}, "a b 0.5"),
        ([[1, 2], [3]], "(1, 2, 3)"),
        (np.float32(0.25), "0.25"),
        (torch.tensor([1.5, 2.0]), "1.5, 2"),
        ("text", "text"),
    ],
)
def test_format_value(value, text):
    assert format_value(value) == text


def _report_with_figures(folder, names):
    rep = Report("r", "cmd")
    for n in names:
        rep.add_figure(attention_heatmap(np.eye(2), dpi=30), n, name=n)
    return rep.write(folder)


def test_cards(tmp_path):
    a = _report_with_figures(tmp_path / "runs" / "a", ["first", "second"])
    b_dir = tmp_path / "runs" / "b"
    _report_with_figures(b_dir, [])
    c = _report_with_figures(tmp_path / "runs" / "c", ["only"])
    entries = [
        {
            "title": "a",
            "path": a,
            "status": "ok",
            "seconds": 141.2,
            "claim": {
                "text": "attention *wins*",
                "held": True,
                "numbers": {"BLEU, att": 14.234, "BLEU, none": 6.1},
            },
            "thumbnail": "figures/02-second.png",
            "details": {
                "test_mse": {"average": [0.948238, 0.0725], "parametric": [0.1298, 0.0606]},
                "w": [15.0],
            },
        },
        {"title": "<b>", "path": b_dir, "status": "failed", "error": "RuntimeError: <boom>", "seconds": 3.04},
        {
            "title": "c",
            "path": c.parent,
            "claim": {"text": "needs more", "held": False, "note": "full budget"},
        },
        {"title": "d", "path": c.parent, "summary": "just text", "claim": None, "thumbnail": "missing.png"},
    ]
    page = write_index(
        tmp_path / "tour" / "index.html", entries, command="attnzoo tour", intro="The `tour`."
    ).read_text()
    cards = re.findall(r'<div class="card[^"]*">.*?</div>\n?(?=<div class="card|\n</div>)', page, re.S)
    assert len(cards) == 4
    assert '<img src="../runs/a/figures/02-second.png"' in cards[0]  # the named thumbnail
    assert 'href="../runs/a/index.html"' in cards[0]
    assert '<span class="badge held">held</span> attention <em>wins</em>' in cards[0]
    assert "BLEU, att <strong>14.2</strong> &middot; BLEU, none <strong>6.1</strong>" in cards[0]
    assert "2 min 21 s" in cards[0] and "<dt>average</dt><dd>0.948, 0.0725</dd>" in cards[0]
    assert 'class="card failed"' in cards[1] and "<img" not in cards[1]  # no figures: no thumbnail
    assert html.escape("RuntimeError: <boom>") in cards[1] and "3.0 s" in cards[1] and "&lt;b&gt;" in cards[1]
    assert '<span class="badge not-held">did not hold</span>' in cards[2] and "full budget" in cards[2]
    assert (
        '<img src="../runs/c/figures/01-only.png"' in cards[3] and "just text" in cards[3]
    )  # fallback figure
    assert "<code>tour</code>" in page
    text = html.unescape(re.sub(r"<style>.*?</style>|<[^>]+>", " ", page, flags=re.S))
    assert not re.search(r"[{}\[\]]", text), "a raw dict or list is printed on the page"


@pytest.mark.parametrize(
    ("claim", "message"),
    [({"held": True}, "non-empty 'text'"), ({"text": "x", "held": "yes"}, "must be True, False or None")],
)
def test_bad_claims_are_named(tmp_path, claim, message):
    with pytest.raises(ValueError, match=rf"entries\[0\]\['claim'\].*{message}"):
        write_index(tmp_path / "i.html", [{"title": "t", "path": tmp_path, "claim": claim}])
    with pytest.raises(ValueError, match=r"entries\[0\] needs 'title' and 'path'"):
        write_index(tmp_path / "x.html", [{"title": "no path"}])
