"""Attention OCR: Lee & Osindero 2016, "Recursive Recurrent Nets with Attention Modeling for OCR in the
Wild" (arXiv 1603.03101); and a CTC reader without attention as the baseline.

As in the paper: a recursive CNN (each recursive layer is ONE convolution whose weights are applied T times,
unrolled) extracts features; a character-level recurrent decoder reads them with soft attention, emitting
one character a step from its state, the previous character and the attended context, trained with
cross-entropy under teacher forcing. ``shared=False`` gives the plain-CNN ablation (T convolutions with
separate weights). Not in the paper (this port's choices): the feature map's rows are flattened into
*columns* ``(B, W', D)`` and a bidirectional GRU runs along them before attention (the CTC baseline gets the
same encoder, so the comparison isolates the decoder); the attention is additive (Bahdanau) through
:func:`attnzoo.functional.attention` with the padding columns masked; batch norm; the sizes. Optional
(``location=True``, off by default): location-aware scores (Chorowski et al. 2015, "Attention-Based Models
for Speech Recognition", arXiv 1506.07503, eq. 8-9): the keys get ``U f_j`` with ``f = conv1d(a_{t-1})``
of the previous weights, ``a_0`` one-hot on the first column, so "move a little right" is easy to learn
and the reader aligns in far fewer steps than from content alone.

Shape legend: B batch, W image width, S = W' = W // 4 feature columns, D column dim, T characters, V vocab.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import Tensor, nn

from attnzoo.functional import attention
from attnzoo.models._ocr_cnn import _ColumnEncoder
from attnzoo.models._rnn import _additive_on_projected
from attnzoo.nn import AdditiveScore
from attnzoo.nn.decoding import beam_search, greedy_search

__all__ = [
    "CTCOCR",
    "AttentionOCR",
    "AttentionOCRConfig",
    "CTCOutput",
    "OCROutput",
    "ReadOutput",
    "ctc_greedy_decode",
    "ctc_loss",
]

PAD, BOS, EOS = 0, 1, 2  # as attnzoo.data.text_images.CharVocab; PAD is also the CTC blank


@dataclass(frozen=True)
class AttentionOCRConfig:
    """Sizes of the OCR readers (attention and CTC share the encoder fields)."""

    vocab_size: int  # characters + the 4 specials of CharVocab (pad/blank, bos, eos, unk)
    height: int = 32  # image height, a multiple of 8
    channels: int = 32  # C: channels of the first recursive block (the second has 2C)
    iterations: int = 3  # T: times each recursive convolution is applied (unrolled)
    shared: bool = True  # True: recursive CNN (one conv per block); False: plain CNN (T convs per block)
    dim: int = 128  # D: feature column size (and the bi-GRU output size)
    hidden_dim: int = 128  # decoder GRU size
    emb_dim: int = 32  # character embedding size
    align_dim: int = 128  # hidden size of the additive attention MLP
    dropout: float = 0.1  # on the columns and the decoder input
    max_len: int = 24  # most characters a reading produces
    location: bool = False  # location-aware scores from the previous weights (Chorowski et al. 2015)
    location_filters: int = 8  # channels of the conv over the previous weights (location=True)
    location_width: int = 9  # its kernel width in columns, odd (location=True)

    def __post_init__(self):
        for name in ("vocab_size", "height", "channels", "iterations", "dim", "hidden_dim", "emb_dim"):
            v = getattr(self, name)
            if not isinstance(v, int) or v < 1:
                raise ValueError(f"{name} must be a positive int, got {v!r}")
        if self.vocab_size <= EOS:
            raise ValueError(f"vocab_size must be > {EOS} (the specials), got {self.vocab_size}")
        if self.height % 8 or self.dim % 2:
            raise ValueError(f"height must be a multiple of 8 and dim even, got {self.height}, {self.dim}")
        if self.location and (
            self.location_filters < 1 or self.location_width < 1 or self.location_width % 2 == 0
        ):
            raise ValueError(
                f"location_filters must be >= 1 and location_width odd, got {self.location_filters}, "
                f"{self.location_width}"
            )
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")


class OCROutput(NamedTuple):
    """Teacher-forced output of :class:`AttentionOCR`."""

    logits: Tensor  # (B, T, V) next-character scores
    attention: Tensor  # (B, T, S) weights over the columns, 0 on padding columns
    mask: Tensor  # (B, S) True on real columns


class ReadOutput(NamedTuple):
    """A reading: the characters and, per character, where the decoder looked."""

    tokens: Tensor  # (B, T) ids, eos then pad after the word
    lengths: Tensor  # (B,) characters before eos
    attention: Tensor  # (B, T, S) the weights that produced each token (teacher-forced on the reading)
    mask: Tensor  # (B, S) True on real columns


class CTCOutput(NamedTuple):
    """Per-column output of :class:`CTCOCR`."""

    log_probs: Tensor  # (B, S, V) log-softmax over characters + blank (id 0)
    lengths: Tensor  # (B,) real columns


class AttentionOCR(nn.Module):
    """Recursive-CNN + bi-GRU columns, GRU character decoder with additive attention over the columns.

    Shape: images ``(B, 1, H, W)``, widths ``(B,)``, tokens_in ``(B, T)`` (bos, y_1 .. y_{T-1}) ->
    :class:`OCROutput` with logits ``(B, T, V)``, attention ``(B, T, S)``.
    """

    def __init__(self, config: AttentionOCRConfig):
        super().__init__()
        c = self.config = config
        self.encoder = _ColumnEncoder(c.height, c.channels, c.iterations, c.shared, c.dim, c.dropout)
        self.score = AdditiveScore(c.hidden_dim, c.dim, c.align_dim)
        self.init_state = nn.Linear(c.dim, c.hidden_dim)
        self.embed = nn.Embedding(c.vocab_size, c.emb_dim, padding_idx=PAD)
        self.cell = nn.GRUCell(c.emb_dim + c.dim, c.hidden_dim)
        self.out = nn.Linear(c.hidden_dim + c.dim, c.vocab_size)
        self.drop = nn.Dropout(c.dropout)
        if c.location:
            self.loc_conv = nn.Conv1d(1, c.location_filters, c.location_width, padding=c.location_width // 2)
            self.loc_proj = nn.Linear(c.location_filters, c.align_dim, bias=False)

    def encode(self, images: Tensor, widths: Tensor) -> dict[str, Tensor]:
        cols, mask = self.encoder(images, widths)  # (B, S, D), (B, S)
        mean = (cols * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)  # (B, D)
        state = {
            "memory": cols,
            "keys": self.score.project_keys(cols),  # (B, S, align)
            "mask": mask,
            "s": torch.tanh(self.init_state(mean)),  # (B, hidden)
        }
        if self.config.location:
            prev = torch.zeros_like(mask, dtype=cols.dtype)
            prev[:, 0] = 1.0  # a_0: "before the first character", so the first step looks to the left
            state["prev"] = prev  # (B, S)
        return state

    def step(self, tokens: Tensor, state: dict[str, Tensor]) -> tuple[Tensor, dict[str, Tensor], Tensor]:
        """One character: ``(logits (N, V), new state, attention (N, S))``."""
        s = state["s"]  # (N, hidden)
        keys = state["keys"]  # (N, S, align)
        if self.config.location:
            f = self.loc_conv(state["prev"].unsqueeze(1))  # (N, filters, S)
            keys = keys + self.loc_proj(f.transpose(1, 2))
        ctx, w = attention(
            s.unsqueeze(1),  # (N, 1, hidden)
            keys,
            state["memory"],  # (N, S, D)
            score=_additive_on_projected,
            score_module=self.score,
            mask=state["mask"].unsqueeze(1),  # (N, 1, S)
            return_weights=True,
        )
        ctx = ctx.squeeze(1)  # (N, D)
        s_new = self.cell(torch.cat([self.drop(self.embed(tokens)), ctx], -1), s)
        logits = self.out(self.drop(torch.cat([s_new, ctx], -1)))
        new = {**state, "s": s_new}
        if self.config.location:
            new["prev"] = w.squeeze(1)
        return logits, new, w.squeeze(1)

    def forward(self, images: Tensor, widths: Tensor, tokens_in: Tensor) -> OCROutput:
        state = self.encode(images, widths)
        logits, weights = [], []
        for t in range(tokens_in.shape[1]):
            lg, state, w = self.step(tokens_in[:, t], state)
            logits.append(lg)
            weights.append(w)
        return OCROutput(torch.stack(logits, 1), torch.stack(weights, 1), state["mask"])

    @torch.no_grad()
    def read(
        self, images: Tensor, widths: Tensor, *, beam_size: int = 1, max_len: int | None = None
    ) -> ReadOutput:
        """Greedy (``beam_size=1``) or beam-search reading, with the attention behind each character.

        Pad and bos are excluded from the output, so ``tokens[b, :lengths[b]]`` are characters or unk.
        """
        max_len = max_len or self.config.max_len
        state = self.encode(images, widths)

        def step_fn(tokens, st):
            lg, st, _ = self.step(tokens, st)
            # pad and bos are never read, so a reading is characters (or <unk>) up to eos
            lg = lg.index_fill(-1, torch.tensor([PAD, BOS], device=lg.device), float("-inf"))
            return torch.log_softmax(lg, -1), st

        if beam_size == 1:
            res = greedy_search(step_fn, state, bos=BOS, eos=EOS, max_len=max_len, pad=PAD)
        else:
            res = beam_search(step_fn, state, bos=BOS, eos=EOS, beam_size=beam_size, max_len=max_len, pad=PAD)
        tokens = res.tokens
        lengths = (
            torch.where(tokens == EOS, torch.arange(tokens.shape[1], device=tokens.device), tokens.shape[1])
            .min(1)
            .values
        )
        tokens_in = torch.cat([torch.full_like(tokens[:, :1], BOS), tokens[:, :-1]], 1)
        out = self(images, widths, tokens_in.masked_fill(tokens_in == EOS, PAD))
        return ReadOutput(tokens, lengths, out.attention, out.mask)


class CTCOCR(nn.Module):
    """The baseline without attention: the same column encoder, a linear layer, CTC (blank = id 0).

    Shape: images ``(B, 1, H, W)``, widths ``(B,)`` -> :class:`CTCOutput` log_probs ``(B, S, V)``.
    """

    def __init__(self, config: AttentionOCRConfig):
        super().__init__()
        c = self.config = config
        self.encoder = _ColumnEncoder(c.height, c.channels, c.iterations, c.shared, c.dim, c.dropout)
        self.out = nn.Linear(c.dim, c.vocab_size)

    def forward(self, images: Tensor, widths: Tensor) -> CTCOutput:
        cols, mask = self.encoder(images, widths)
        return CTCOutput(torch.log_softmax(self.out(cols), -1), mask.sum(1))

    def loss(self, out: CTCOutput, targets: Tensor, target_lengths: Tensor) -> Tensor:
        """Mean CTC loss of an output; see :func:`ctc_loss`."""
        return ctc_loss(out, targets, target_lengths)

    @torch.no_grad()
    def read(self, images: Tensor, widths: Tensor) -> list[list[int]]:
        """Greedy CTC reading of each image (ids, no eos)."""
        out = self(images, widths)
        return ctc_greedy_decode(out.log_probs, out.lengths)


def ctc_loss(out: CTCOutput, targets: Tensor, target_lengths: Tensor) -> Tensor:
    """``nn.CTCLoss(blank=0, reduction="mean", zero_infinity=True)`` on a :class:`CTCOutput`.

    Shape: targets ``(B, T)`` ids (only the first ``target_lengths`` of each row are read), lengths ``(B,)``.
    """
    return nn.functional.ctc_loss(
        out.log_probs.transpose(0, 1), targets, out.lengths, target_lengths, blank=PAD, zero_infinity=True
    )


def ctc_greedy_decode(log_probs: Tensor, lengths: Tensor, *, blank: int = PAD) -> list[list[int]]:
    """Best path: argmax per column, merge repeats, drop blanks (Graves et al. 2006).

    Shape: log_probs ``(B, S, V)``, lengths ``(B,)`` -> B lists of ids.
    """
    if log_probs.dim() != 3 or lengths.shape != log_probs.shape[:1]:
        raise ValueError(
            f"log_probs must be (B, S, V) and lengths (B,), got {tuple(log_probs.shape)}, "
            f"{tuple(lengths.shape)}"
        )
    best = log_probs.argmax(-1)  # (B, S)
    out = []
    for row, n in zip(best.tolist(), lengths.tolist(), strict=True):
        ids, prev = [], None
        for i in row[:n]:
            if i != prev and i != blank:
                ids.append(i)
            prev = i
        out.append(ids)
    return out
