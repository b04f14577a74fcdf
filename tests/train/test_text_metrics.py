"""Word accuracy, character accuracy and normalised edit distance."""

import pytest

from attnzoo.train.text_metrics import text_metrics


def test_hand_computed_values():
    refs = ["été", "chat", "où"]
    preds = ["ete", "chat", "oùi"]  # 2 substitutions; exact; 1 insertion
    m = text_metrics(preds, refs)
    assert m["word_acc"] == pytest.approx(1 / 3)
    assert m["char_acc"] == pytest.approx(1 - 3 / 9)
    assert m["ned"] == pytest.approx((2 / 3 + 0 + 1 / 3) / 3)


def test_perfect_and_empty_predictions():
    refs = ["garçon", "cœur"]
    assert text_metrics(refs, refs) == {"word_acc": 1.0, "char_acc": 1.0, "ned": 0.0}
    m = text_metrics(["", ""], refs)
    assert m["word_acc"] == 0 and m["char_acc"] == 0 and m["ned"] == 1


def test_bad_input():
    with pytest.raises(ValueError, match="same length"):
        text_metrics(["a"], ["a", "b"])
    with pytest.raises(ValueError, match="empty"):
        text_metrics([], [])
