"""``attnzoo.functional``: parameter-free attention. Scores -> normalise -> pool, composed by
:func:`attention`; masks (True = may attend); Nadaraya-Watson pooling."""

from attnzoo.functional.core import AttentionOutput, attention, attention_weights
from attnzoo.functional.glimpse import GlimpseCache, glimpse, glimpse_boxes, glimpse_cache
from attnzoo.functional.masks import causal_mask, combine_masks, lengths_to_mask, mask_to_bias
from attnzoo.functional.normalize import (
    NORMALIZERS,
    SampledWeights,
    get_normalizer,
    gumbel,
    hard,
    masked_softmax,
    register_normalizer,
    sample,
    softmax,
    threshold,
    topk,
)
from attnzoo.functional.pooling import KERNELS, nadaraya_watson
from attnzoo.functional.scores import (
    SCORES,
    additive_score,
    cosine_score,
    dot_score,
    gaussian_score,
    general_score,
    get_score,
    register_score,
    scaled_dot_score,
)

__all__ = [
    "KERNELS",
    "NORMALIZERS",
    "SCORES",
    "AttentionOutput",
    "GlimpseCache",
    "SampledWeights",
    "additive_score",
    "attention",
    "attention_weights",
    "causal_mask",
    "combine_masks",
    "cosine_score",
    "dot_score",
    "gaussian_score",
    "general_score",
    "get_normalizer",
    "get_score",
    "glimpse",
    "glimpse_boxes",
    "glimpse_cache",
    "gumbel",
    "hard",
    "lengths_to_mask",
    "mask_to_bias",
    "masked_softmax",
    "nadaraya_watson",
    "register_normalizer",
    "register_score",
    "sample",
    "scaled_dot_score",
    "softmax",
    "threshold",
    "topk",
]
