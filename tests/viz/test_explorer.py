"""The explorer's HTML fragments: the embedded JSON matches the inputs, is safe, offline, and checked."""

import base64
import json
import re

import numpy as np
import pytest
import torch

from attnzoo.viz import (
    Report,
    alignment_view,
    attention_rollout,
    explorer_assets,
    explorer_page,
    glimpse_view,
    image_view,
    ocr_view,
    text_view,
)


def data_of(fragment: str) -> dict:
    found = re.findall(r'<script type="application/json" class="az-data">(.*?)</script>', fragment, re.S)
    assert len(found) == 1
    return json.loads(found[0])


def test_alignment_json_is_the_rounded_weights_and_names_the_maps():
    w = torch.rand(2, 3, 5, 5).softmax(-1)  # (layers, H, T, S): self-attention, so rollout applies
    extra = {"rollout": attention_rollout(list(w), batched=False)}
    d = data_of(alignment_view(list("abcde"), list("vwxyz"), w, extra=extra, title="t", digits=2))
    assert d["view"] == "alignment" and d["v"] == 1 and d["title"] == "t" and d["digits"] == 2
    assert d["source"] == list("abcde") and d["target"] == list("vwxyz")
    assert [m["name"] for m in d["maps"]] == ["layer 1", "layer 2", "rollout"]
    np.testing.assert_allclose(np.array(d["maps"][1]["heads"]), w[1].numpy(), atol=0.005 + 1e-9)
    assert np.array(d["maps"][2]["heads"]).shape == (1, 5, 5)
    # one (T, S) map: one map, one head; a list of per-layer maps of different head counts works too
    assert [m["name"] for m in data_of(alignment_view(["a", "b"], ["x"], [[0.25, 0.75]]))["maps"]] == [
        "attention"
    ]
    d = data_of(alignment_view(["a"], ["x"], [np.ones((1, 1)), np.ones((3, 1, 1))], map_names=["enc", "dec"]))
    assert [len(m["heads"]) for m in d["maps"]] == [1, 3]


def test_json_is_compact_and_cannot_close_the_script():
    evil = "</script><script>alert(1)</script>"
    frag = alignment_view([evil, "b"], ["x"], [[1.0, 0.0]])
    assert "</script><script>" not in frag.split('class="az-data">', 1)[1].rsplit("</script>", 1)[0]
    d = data_of(frag)
    assert d["source"][0] == evil  # decoded back exactly
    assert '"heads":[[[1,0]]]' in frag  # whole numbers as ints, no spaces


def test_text_view_models_and_notes():
    docs = [
        {"words": ["good", "film"], "weights": {"att": [0.9, 0.1], "mean": [0.5, 0.5]}, "note": "label +"},
        {"words": ["bad"], "weights": {"mean": [1.0], "att": [1.0]}, "notes": {"att": "+", "mean": "-"}},
    ]
    d = data_of(text_view(docs))
    assert d["models"] == ["att", "mean"]
    assert d["docs"][0]["weights"] == [[0.9, 0.1], [0.5, 0.5]] and d["docs"][0]["note"] == "label +"
    assert d["docs"][1]["notes"] == ["+", "-"] and d["docs"][1]["weights"] == [[1], [1]]
    single = data_of(text_view([{"words": ["a", "b"], "weights": np.array([0.25, 0.75])}]))
    assert single["models"] == ["attention"] and single["docs"][0]["weights"] == [[0.25, 0.75]]


def _png_size(url: str) -> tuple[int, int]:
    assert url.startswith("data:image/png;base64,")
    raw = base64.b64decode(url.split(",", 1)[1])
    assert raw[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(raw[16:20], "big"), int.from_bytes(raw[20:24], "big")


def test_image_glimpse_and_ocr_views():
    img = np.random.default_rng(0).random((12, 20, 3))
    d = data_of(image_view(img, ["a", "b"], np.full((2, 16), 1 / 16), grid=(4, 4)))
    assert _png_size(d["image"]) == (20, 12) and (d["width"], d["height"]) == (20, 12)
    assert d["grid"] == [4, 4] and np.array(d["weights"]).shape == (2, 4, 4) and d["scale"] == 14
    chw = torch.rand(3, 12, 20) * 10 - 5  # channels first, normalised values: stretched to [0, 1]
    assert data_of(image_view(chw, ["a"], np.ones((1, 9))))["grid"] == [3, 3]
    boxes = np.array([[0, 0, 4, 4], [2, 2, 8, 6]], dtype=float)
    d = data_of(glimpse_view(np.zeros((10, 10)), boxes, notes=["one", None], scale=3))
    assert d["steps"] == [{"boxes": [[0, 0, 4, 4]], "note": "one"}, {"boxes": [[2, 2, 8, 6]], "note": None}]
    assert d["scale"] == 3
    d = data_of(ocr_view(np.full((8, 32), 200, dtype=np.uint8), "ab", [[0.5, 0.5, 0], [0, 0.1, 0.9]]))
    assert d["chars"] == ["a", "b"] and d["weights"] == [[0.5, 0.5, 0], [0, 0.1, 0.9]]


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: alignment_view(["a"], ["x", "y"], np.ones((2, 2))), ValueError, r"expected \(H, 2, 1\)"),
        (lambda: alignment_view("a b", ["x"], np.ones((1, 2))), TypeError, "got a str; split it first"),
        (lambda: alignment_view([], ["x"], np.ones((1, 0))), ValueError, "source is empty"),
        (lambda: alignment_view(["a"], ["x"], [[np.nan]]), ValueError, "NaN or inf"),
        (lambda: alignment_view(["a"], ["x"], [[-1.0]]), ValueError, ">= 0"),
        (lambda: alignment_view(["a"], ["x"], [[1.0]], map_names=["a", "b"]), ValueError, "map_names has 2"),
        (
            lambda: alignment_view(["a"], ["x"], [[1.0]], extra={"r": np.ones((2, 2))}),
            ValueError,
            r"extra\['r'\]",
        ),
        (
            lambda: alignment_view(["a"], ["x"], [[1.0]], digits=9),
            ValueError,
            r"digits must be an int in \[1, 6\]",
        ),
        (lambda: text_view([]), ValueError, "non-empty list"),
        (lambda: text_view([{"words": ["a"], "weights": [0.5, 0.5]}]), ValueError, r"must have shape \(1\)"),
        (
            lambda: text_view(
                [{"words": ["a"], "weights": {"m": [1]}}, {"words": ["b"], "weights": {"n": [1]}}]
            ),
            ValueError,
            r"docs\[1\]\['weights'\] has models \['n'\]",
        ),
        (lambda: image_view(np.zeros((4, 4)), ["a"], np.ones((2, 4))), ValueError, "tokens has 1 words"),
        (lambda: image_view(np.zeros((4, 4)), ["a"], np.ones((1, 5))), ValueError, "not a square"),
        (
            lambda: image_view(np.zeros((4, 4, 2)), ["a"], np.ones((1, 4))),
            ValueError,
            r"image must be \(H, W\)",
        ),
        (lambda: glimpse_view(np.zeros((4, 4)), [[2, 0, 1, 3]]), ValueError, "x0 < x1"),
        (lambda: glimpse_view(np.zeros((4, 4)), np.zeros((2, 3))), ValueError, r"\(N, 4\) or \(N, K, 4\)"),
        (lambda: glimpse_view(np.zeros((4, 4)), [[0, 0, 1, 1]], notes=["a", "b"]), ValueError, "notes has 2"),
        (lambda: ocr_view(np.zeros((4, 4)), "abc", np.ones((2, 4))), ValueError, "chars has 3 characters"),
        (lambda: explorer_page(["<p>not a view</p>"]), ValueError, "not an explorer view"),
        (lambda: Report("t", "c").add_explorer("<p>x</p>"), ValueError, "not an explorer view"),
    ],
)
def test_bad_input_is_named(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_report_inlines_the_code_once_and_needs_no_network(tmp_path):
    rep = Report("t", "c")
    rep.add_explorer(alignment_view(["a"], ["x"], [[1.0]]), caption="with `code`")
    rep.add_html(text_view([{"words": ["a"], "weights": [1.0]}]))  # raw embedding works too
    page = rep.write(tmp_path).read_text()
    assert page.count("window.attnzooExplorer = {") == 1 and page.count(".az-explorer {") == 1
    assert page.count('class="az-explorer"') == 2 and "<code>code</code>" in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//|@import|url\(\s*["']?https?:""", page)
    assert (
        "window.attnzooExplorer" not in Report("t", "c").add_text("plain").write(tmp_path / "p").read_text()
    )
    standalone = explorer_page(alignment_view(["a"], ["x"], [[1.0]]), title="demo")
    assert standalone.endswith("</html>\n") and explorer_assets() in standalone
