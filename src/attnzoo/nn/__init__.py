"""``attnzoo.nn``: attention modules built only on :mod:`attnzoo.functional`.

Asking for the attention: ``return_weights=True`` in :mod:`attnzoo.functional`; torch's ``need_weights=True``
in :class:`MultiHeadAttention` (it mirrors ``torch.nn.MultiheadAttention``); ``return_attention=True`` in
every other module here and in :mod:`attnzoo.models` (:class:`Attention`, the Transformer layers, stacks and
:class:`Transformer`, the :mod:`attnzoo.nn.vision` gates, the classifiers and translation models).
"""

from attnzoo.nn.attention import AdditiveScore, Attention, BilinearScore
from attnzoo.nn.decoding import SearchResult, beam_search, greedy_search, length_penalty, reorder_state
from attnzoo.nn.feedforward import ACTIVATIONS, PositionwiseFeedForward, register_activation
from attnzoo.nn.filterbank import (
    FilterbankAttention,
    FilterbankParams,
    filterbank,
    filterbank_box,
    filterbank_params,
)
from attnzoo.nn.glimpse import GlimpseSensor
from attnzoo.nn.multihead import KVCache, MultiHeadAttention, MultiHeadAttentionOutput, convert_torch_mask
from attnzoo.nn.pooling import NadarayaWatson
from attnzoo.nn.positional import (
    LearnedPositionalEncoding,
    RotaryEmbedding,
    SinusoidalPositionalEncoding,
    alibi_bias,
    alibi_slopes,
    sinusoidal_encoding,
)
from attnzoo.nn.transformer import Transformer, TransformerOutput
from attnzoo.nn.transformer_layers import (
    DecoderLayerCache,
    DecoderLayerOutput,
    EncoderLayerOutput,
    TransformerDecoderLayer,
    TransformerEncoderLayer,
)
from attnzoo.nn.transformer_stacks import DecoderOutput, EncoderOutput, TransformerDecoder, TransformerEncoder

__all__ = ["AdditiveScore", "Attention", "BilinearScore", "GlimpseSensor", "NadarayaWatson"]
# Transformer family (issue 4)
__all__ += [
    "ACTIVATIONS",
    "DecoderLayerCache",
    "DecoderLayerOutput",
    "DecoderOutput",
    "EncoderLayerOutput",
    "EncoderOutput",
    "KVCache",
    "LearnedPositionalEncoding",
    "MultiHeadAttention",
    "MultiHeadAttentionOutput",
    "PositionwiseFeedForward",
    "RotaryEmbedding",
    "SearchResult",
    "SinusoidalPositionalEncoding",
    "Transformer",
    "TransformerDecoder",
    "TransformerDecoderLayer",
    "TransformerEncoder",
    "TransformerEncoderLayer",
    "TransformerOutput",
    "alibi_bias",
    "alibi_slopes",
    "beam_search",
    "convert_torch_mask",
    "greedy_search",
    "length_penalty",
    "register_activation",
    "reorder_state",
    "sinusoidal_encoding",
]
# DRAW filterbank attention (issue 13); read/write live in attnzoo.nn.filterbank
__all__ += ["FilterbankAttention", "FilterbankParams", "filterbank", "filterbank_box", "filterbank_params"]
