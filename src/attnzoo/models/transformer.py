"""A small Transformer translator: Vaswani et al. 2017, "Attention Is All You Need" (arXiv 1706.03762).

:class:`attnzoo.nn.Transformer` (post-LayerNorm, sinusoidal positions, embeddings scaled by sqrt(d_model),
output projection tied to the target embedding, as the paper) behind the :class:`EncoderDecoder` contract,
so the translate recipe trains, decodes and draws it like the recurrent models. Decoding is incremental
(the decoder's key/value cache is the search state). Label smoothing (the paper's 0.1) is a property of the
training loss, set in the recipe. Smaller than the paper's base model (512 / 8 heads / 6+6 layers).
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor

from attnzoo.models._rnn import _check_sizes
from attnzoo.models.encdec import EncoderDecoder, Seq2SeqOutput, State, StepOutput, _check_inputs, source_mask
from attnzoo.nn import Transformer

__all__ = ["TransformerSeq2Seq", "TransformerSeq2SeqConfig"]


@dataclass(frozen=True)
class TransformerSeq2SeqConfig:
    """Sizes of the translator (the paper's base: d_model 512, 8 heads, 6+6 layers, d_ff 2048)."""

    src_vocab: int  # source vocabulary size
    tgt_vocab: int  # target vocabulary size
    emb_dim: int = 256  # d_model
    num_heads: int = 4  # attention heads (emb_dim must divide by it)
    num_layers: int = 3  # encoder layers = decoder layers
    hidden_dim: int = 1024  # d_ff, the feed-forward size
    dropout: float = 0.1  # the paper's
    max_len: int = 512  # longest sentence in pieces (positional table)
    pad_id: int = 0  # padding id in both vocabularies

    def __post_init__(self):
        _check_sizes(self)
        if self.emb_dim % self.num_heads:
            raise ValueError(
                f"TransformerSeq2SeqConfig.emb_dim ({self.emb_dim}) must be divisible by num_heads "
                f"({self.num_heads})"
            )


class TransformerSeq2Seq(EncoderDecoder):
    """Encoder-decoder Transformer; ``attention`` is the last decoder layer's cross-attention, heads averaged.

    Shape: src ``(B, S)``, src_lengths ``(B,)``, tgt_in ``(B, T)`` -> logits ``(B, T, V)`` and, with
    ``return_attention=True``, attention ``(B, T, S)`` (exactly 0 on source padding).
    """

    def __init__(self, config: TransformerSeq2SeqConfig):
        super().__init__()
        c = self.config = config
        self.pad_id = c.pad_id
        self.net = Transformer(
            c.src_vocab,
            c.tgt_vocab,
            d_model=c.emb_dim,
            num_heads=c.num_heads,
            num_encoder_layers=c.num_layers,
            num_decoder_layers=c.num_layers,
            d_ff=c.hidden_dim,
            dropout=c.dropout,
            max_len=c.max_len,
        )

    def forward(
        self, src: Tensor, src_lengths: Tensor, tgt_in: Tensor, *, return_attention: bool = False
    ) -> Seq2SeqOutput:
        _check_inputs(src, src_lengths)
        mask = source_mask(src_lengths, src.shape[1])  # (B, S), True = real token
        # Target padding sits after the real tokens, so the causal mask already keeps it out of their view.
        out = self.net(src, tgt_in, src_key_padding_mask=mask, return_attention=return_attention)
        return Seq2SeqOutput(out.logits, out.decoder_cross_weights[-1] if return_attention else None)

    def encode(self, src: Tensor, src_lengths: Tensor) -> State:
        mask = source_mask(src_lengths, src.shape[1])
        memory = self.net.encode(src, src_key_padding_mask=mask).output  # (B, S, D)
        return {"cache": self.net.decoder.init_cache(memory), "mask": mask}

    def step(self, tokens: Tensor, state: State) -> StepOutput:
        out = self.net.decode(
            tokens[:, None],
            None,
            memory_key_padding_mask=state["mask"],
            cache=state["cache"],
            return_attention=True,
        )
        weights = out.cross_weights[-1][:, -1]  # (N, S)
        return StepOutput(out.output[:, -1], {**state, "cache": out.cache}, weights)
