"""``attnzoo.nn``: attention modules built only on :mod:`attnzoo.functional`."""

from attnzoo.nn.attention import AdditiveScore, Attention, BilinearScore
from attnzoo.nn.pooling import NadarayaWatson

__all__ = ["AdditiveScore", "Attention", "BilinearScore", "NadarayaWatson"]
