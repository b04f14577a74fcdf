import numpy as np
import pytest

from attnzoo.data.scenes import Scene
from attnzoo.recipes.caption.grounding import digit_word_boxes, grounding, summarize_grounding


def test_grounding_on_hand_made_maps():
    # 4x4 grid over a 16x16 image: cells are 4x4 pixels
    box = (0, 0, 8, 8)  # the top-left 2x2 cells
    on = np.zeros((4, 4))
    on[0, 0], on[1, 1], on[3, 3] = 0.5, 0.3, 0.2  # 0.8 inside, argmax inside
    off = np.zeros((4, 4))
    off[0, 1], off[2, 2] = 0.4, 0.6  # 0.4 inside, argmax outside
    half = np.zeros((4, 4))
    half[0, 2] = 1.0  # a cell half covered by the box (6, 0, 10, 4): mass 0.5, centre (2, 10) outside
    uniform = np.full((4, 4), 1 / 16)
    g = grounding(
        np.stack([on, off, half, uniform]), [[box], [box], [(6, 0, 10, 4)], [box, (8, 8, 16, 16)]], (16, 16)
    )
    np.testing.assert_allclose(g.mass, [0.8, 0.4, 0.5, 0.5])
    assert g.argmax_in.tolist() == [True, False, False, True]
    np.testing.assert_allclose(g.chance, [0.25, 0.25, 16 / 256, 0.5])
    s = summarize_grounding(g, unmatched=2)
    assert s["words"] == 4 and s["unmatched_words"] == 2
    assert s["argmax_in_box"] == 0.5 and abs(s["mass_in_box"] - 0.55) < 1e-12
    # 2 hits against 1.0625 expected, variance 2 * 0.1875 + 0.05859375 + 0.25 (by hand)
    assert abs(s["z"] - (2 - 1.0625) / np.sqrt(0.68359375)) < 1e-12
    assert summarize_grounding(grounding(np.ones((1, 4, 4)) / 16, [[(0, 0, 16, 16)]], (16, 16)))["z"] is None


def test_grounding_bad_input():
    with pytest.raises(ValueError, match="multiple"):
        grounding(np.ones((1, 3, 3)) / 9, [[(0, 0, 1, 1)]], (16, 16))
    with pytest.raises(ValueError, match="entries"):
        grounding(np.ones((2, 4, 4)) / 16, [[(0, 0, 1, 1)]], (16, 16))


def test_digit_word_boxes():
    sc = Scene(
        labels=(3, 3, 7),
        sizes=("small", "large", "small"),
        boxes=((0, 0, 14, 14), (30, 0, 58, 28), (0, 40, 14, 54)),
        captions=(),
        refers=(),
    )
    toks = ["a", "large", "3", "above", "a", "small", "7", "and", "a", "3", "and", "a", "small", "9"]
    pos, boxes, missing = digit_word_boxes(toks, sc)
    assert pos == [2, 6, 9]
    assert boxes == [[(30, 0, 58, 28)], [(0, 40, 14, 54)], [(0, 0, 14, 14), (30, 0, 58, 28)]]
    assert missing == 1
