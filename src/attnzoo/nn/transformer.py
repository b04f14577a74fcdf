"""The Transformer (Vaswani et al. 2017, *Attention Is All You Need*, arXiv 1706.03762): the encoder-decoder
model with embeddings, positional encodings, a (tied) output projection and cached decoding.

Shapes: B batch, S source length, L target length, D model dim, V vocabulary; batch first. Masks: bool
True = may attend / real token (the opposite of torch's bool masks).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from attnzoo.nn.decoding import SearchResult, beam_search, greedy_search
from attnzoo.nn.positional import LearnedPositionalEncoding, RotaryEmbedding, SinusoidalPositionalEncoding
from attnzoo.nn.transformer_layers import DecoderLayerCache, TransformerDecoderLayer, TransformerEncoderLayer
from attnzoo.nn.transformer_stacks import DecoderOutput, EncoderOutput, TransformerDecoder, TransformerEncoder

__all__ = ["Transformer", "TransformerOutput"]


class TransformerOutput(NamedTuple):
    """Logits and, when asked, every layer's attention maps."""

    logits: Tensor  # (B, L, V)
    encoder_weights: tuple[Tensor, ...] | None
    decoder_self_weights: tuple[Tensor, ...] | None
    decoder_cross_weights: tuple[Tensor, ...] | None


class Transformer(nn.Module):
    """The encoder-decoder Transformer for sequence-to-sequence tasks (defaults: the paper's base model).

    Token embeddings are multiplied by sqrt(D) (sec. 3.4) and initialised N(0, D^-1/2) (the paper does
    not say; this is fairseq's choice, which makes the scaled embeddings unit-variance).

    Args:
        src_vocab_size, tgt_vocab_size: vocabulary sizes.
        d_model, num_heads, num_encoder_layers, num_decoder_layers, d_ff, dropout: the paper's 512, 8, 6,
            6, 2048, 0.1 (dropout on embeddings+positions and on every sub-layer output).
        activation: ``"relu"`` (the paper) or ``"gelu"``.
        norm_first: pre-norm layers plus a final LayerNorm on both stacks.
        positional: ``"sinusoidal"`` (the paper), ``"learned"``, or ``"rotary"`` (RoPE in self-attention).
        max_len: longest sequence for the positional tables.
        share_embeddings: one embedding matrix for source and target (needs equal vocabularies).
        tie_output: the output projection reuses the target embedding matrix (the paper shares it).
    """

    def __init__(
        self,
        src_vocab_size: int,
        tgt_vocab_size: int,
        *,
        d_model: int = 512,
        num_heads: int = 8,
        num_encoder_layers: int = 6,
        num_decoder_layers: int = 6,
        d_ff: int = 2048,
        dropout: float = 0.1,
        activation: str = "relu",
        norm_first: bool = False,
        positional: str = "sinusoidal",
        max_len: int = 1024,
        share_embeddings: bool = False,
        tie_output: bool = True,
    ) -> None:
        super().__init__()
        if share_embeddings and src_vocab_size != tgt_vocab_size:
            raise ValueError(
                f"share_embeddings needs equal vocabularies, got {src_vocab_size}, {tgt_vocab_size}"
            )
        self.d_model = d_model
        self.src_embed = nn.Embedding(src_vocab_size, d_model)
        self.tgt_embed = self.src_embed if share_embeddings else nn.Embedding(tgt_vocab_size, d_model)
        for emb in {id(e): e for e in (self.src_embed, self.tgt_embed)}.values():
            nn.init.normal_(emb.weight, std=d_model**-0.5)
        rotary = None
        if positional == "sinusoidal":
            self.positional = SinusoidalPositionalEncoding(d_model, max_len)
        elif positional == "learned":
            self.positional = LearnedPositionalEncoding(d_model, max_len)
        elif positional == "rotary":
            self.positional, rotary = None, RotaryEmbedding(d_model // num_heads)
        else:
            raise ValueError(f"unknown positional {positional!r}; valid: ['learned', 'rotary', 'sinusoidal']")
        self.embed_dropout = nn.Dropout(dropout)
        kw = dict(dropout=dropout, activation=activation, norm_first=norm_first, rotary=rotary)
        self.encoder = TransformerEncoder(
            TransformerEncoderLayer(d_model, num_heads, d_ff, **kw),
            num_encoder_layers,
            norm=nn.LayerNorm(d_model) if norm_first else None,
        )
        self.decoder = TransformerDecoder(
            TransformerDecoderLayer(d_model, num_heads, d_ff, **kw),
            num_decoder_layers,
            norm=nn.LayerNorm(d_model) if norm_first else None,
        )
        self.output = nn.Linear(d_model, tgt_vocab_size, bias=False)
        if tie_output:
            self.output.weight = self.tgt_embed.weight

    def _embed(self, emb: nn.Embedding, tokens: Tensor, offset: int = 0) -> Tensor:
        x = emb(tokens) * math.sqrt(self.d_model)  # (B, N, D)
        if self.positional is not None:
            x = self.positional(x, offset=offset)
        return self.embed_dropout(x)

    def encode(
        self,
        src: Tensor,
        *,
        src_key_padding_mask: Tensor | None = None,
        return_attention: bool = False,
        average_weights: bool = True,
    ) -> EncoderOutput:
        """src (B, S) token ids -> memory (B, S, D); ``src_key_padding_mask`` (B, S) True = real token."""
        return self.encoder(
            self._embed(self.src_embed, src),
            key_padding_mask=src_key_padding_mask,
            return_attention=return_attention,
            average_weights=average_weights,
        )

    def decode(
        self,
        tgt: Tensor,
        memory: Tensor | None,
        *,
        memory_key_padding_mask: Tensor | None = None,
        tgt_key_padding_mask: Tensor | None = None,
        return_attention: bool = False,
        average_weights: bool = True,
        cache: tuple[DecoderLayerCache, ...] | None = None,
    ) -> DecoderOutput:
        """tgt (B, L) -> ``DecoderOutput`` whose ``output`` is the logits (B, L, V); causal.

        With ``cache`` (from ``decoder.init_cache(memory)``) tgt holds only the new tokens; positions
        continue from the cached length and ``memory`` may be None.
        """
        offset = 0 if cache is None else cache[0].self_attn.length
        x = self._embed(self.tgt_embed, tgt, offset)
        out = self.decoder(
            x,
            memory,
            tgt_key_padding_mask=tgt_key_padding_mask,
            tgt_is_causal=True,
            memory_key_padding_mask=memory_key_padding_mask,
            return_attention=return_attention,
            average_weights=average_weights,
            cache=cache,
        )
        return out._replace(output=self.output(out.output))

    def forward(
        self,
        src: Tensor,
        tgt: Tensor,
        *,
        src_key_padding_mask: Tensor | None = None,
        tgt_key_padding_mask: Tensor | None = None,
        return_attention: bool = False,
        average_weights: bool = True,
    ) -> TransformerOutput:
        """src (B, S), tgt (B, L) (shifted right, starting with bos) -> logits (B, L, V) and, when asked,
        every layer's attention maps."""
        enc = self.encode(
            src,
            src_key_padding_mask=src_key_padding_mask,
            return_attention=return_attention,
            average_weights=average_weights,
        )
        dec = self.decode(
            tgt,
            enc.output,
            memory_key_padding_mask=src_key_padding_mask,
            tgt_key_padding_mask=tgt_key_padding_mask,
            return_attention=return_attention,
            average_weights=average_weights,
        )
        return TransformerOutput(dec.output, enc.weights, dec.self_weights, dec.cross_weights)

    @torch.no_grad()
    def generate(
        self,
        src: Tensor,
        *,
        bos: int,
        eos: int,
        max_len: int,
        beam_size: int = 1,
        length_penalty: float = 0.0,
        src_key_padding_mask: Tensor | None = None,
    ) -> SearchResult:
        """Translate: encode once, then greedy (``beam_size=1``) or beam search with the KV cache.

        The paper decodes with beam 4 and length penalty 0.6. Returns :class:`SearchResult` (B, T).
        """
        memory = self.encode(src, src_key_padding_mask=src_key_padding_mask).output
        state = (self.decoder.init_cache(memory), src_key_padding_mask)

        def step(tokens: Tensor, st):
            cache, kpm = st
            out = self.decode(tokens[:, None], None, memory_key_padding_mask=kpm, cache=cache)
            return F.log_softmax(out.output[:, -1].float(), dim=-1), (out.cache, kpm)

        if beam_size == 1:
            return greedy_search(step, state, bos=bos, eos=eos, max_len=max_len)
        return beam_search(
            step, state, bos=bos, eos=eos, beam_size=beam_size, max_len=max_len, length_penalty=length_penalty
        )
