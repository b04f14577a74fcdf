import itertools
import math

import pytest

from attnzoo.train.schedules import hold_then_cosine


def test_hold_then_cosine_schedule():
    f = hold_then_cosine(10, 0.5)
    assert [f(s) for s in range(6)] == [1.0] * 6  # held for the first half (step 5 starts the cosine at 1)
    tail = [f(s) for s in range(5, 10)]
    assert all(a > b for a, b in itertools.pairwise(tail))  # strictly falling
    assert f(9) == pytest.approx(0.5 * (1 + math.cos(math.pi * 4 / 5)))  # the last step used is above 0
    assert f(10) == pytest.approx(0.0)
    assert {hold_then_cosine(10, 1.0)(s) for s in range(10)} == {1.0}  # 1.0: the constant rate
    assert hold_then_cosine(10, 0.0)(0) == 1.0 and hold_then_cosine(10, 0.0)(5) == pytest.approx(0.5)
    for steps, start in ((0, 0.5), (10, 1.5), (10, float("nan")), (True, 0.5)):
        with pytest.raises(ValueError, match=r"steps|decay_start"):
            hold_then_cosine(steps, start)
