"""Show, Attend and Tell: Xu et al. 2015, "Neural Image Caption Generation with Visual Attention"
(arXiv 1502.03044).

Paper-faithful parts: a CNN gives ``L = h * w`` annotation vectors ``a_i`` (D-dim; 14x14x512 in the paper);
the LSTM's ``h_0 = f_init,h(mean_i a_i)`` and ``c_0 = f_init,c(mean_i a_i)`` (sec. 3.1.2; one tanh layer
each); at step t the attention ``e_ti = f_att(a_i, h_{t-1})`` is additive (Bahdanau's MLP; ``W a_i`` is
computed once per image), ``alpha_t = softmax(e_t)``; the gating scalar ``beta_t = sigmoid(f_beta(h_{t-1}))``
scales the context (sec. 4.2.1); the LSTM reads ``[E y_{t-1}; z_t]``; the deep output ``p(y_t) ~
exp(L_o(E y_{t-1} + L_h h_t + L_z z_t))`` (eq. 7, linear as the paper writes it); the doubly stochastic
penalty ``lambda * sum_i (1 - sum_t alpha_ti)^2`` (eq. 14). Hard attention (sec. 4.1) samples one region
``s_t ~ Multinoulli(alpha_t)`` through the core's ``sample`` normaliser and is trained with REINFORCE
(eq. 12): reward ``log p(y | s, a)``, a moving-average baseline, an entropy bonus, and, with probability
``hard_soft_mix`` per image (the paper: 0.5), the expected context in place of the sample.

Not in the paper: the encoder is a small CNN trained here (no pretrained weights can be had): either with
the decoder from scratch, or, as the paper uses VGG pretrained on ImageNet without fine-tuning, pretrained
by the caller (e.g. as a digit classifier) and kept fixed with ``freeze_encoder=True``; at test time hard
attention takes the most probable region (the mode of ``alpha_t``; the paper does not say).
Shape legend: B batch, T caption steps, L regions, D feature dim, V vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import Tensor, nn

from attnzoo.models._sat_attend import attend
from attnzoo.models._sat_encoder import GridEncoder
from attnzoo.models._sat_objectives import doubly_stochastic_penalty, reinforce_surrogate
from attnzoo.nn import AdditiveScore
from attnzoo.nn.decoding import beam_search, greedy_search, reorder_state

__all__ = [
    "CaptionLoss",
    "CaptionOutput",
    "Generation",
    "ShowAttendTell",
    "ShowAttendTellConfig",
    "doubly_stochastic_penalty",
    "reinforce_surrogate",
]

_MODES = ("soft", "hard", "none")


@dataclass(frozen=True)
class ShowAttendTellConfig:
    """Sizes and training constants of Show, Attend and Tell (the paper: D 512, L 196, LSTM 1800)."""

    vocab_size: int  # V, including pad / bos / eos
    attention: str = "soft"  # "soft" (deterministic), "hard" (stochastic) or "none" (mean feature only)
    in_channels: int = 1  # image channels (1 grey, 3 colour)
    enc_channels: tuple[int, ...] = (16, 32, 64)  # conv widths; each stage halves the grid (2x2 max pool)
    batch_norm: bool = True  # BatchNorm after each conv stage (not in the paper's VGG; trains faster here)
    freeze_encoder: bool = (
        False  # the paper: a pretrained CNN, not fine-tuned; True keeps it fixed (eval mode)
    )
    coords: bool = False  # append x, y coordinate maps to the image (CoordConv; not in the paper)
    # append each cell's centre (x, y) in [-1, 1] to its annotation vector (D + 2): f_att and the LSTM then
    # know where each region is and where they looked (not in the paper; its captions rarely name places)
    cell_coords: bool = False
    init_from_mean: bool = True  # h_0, c_0 = f_init(mean a_i) (the paper); False: learned, image-blind
    feat_dim: int = 128  # D, size of each annotation vector a_i
    emb_dim: int = 64  # m, word embedding size (also the deep output's size)
    hidden_dim: int = 256  # n, LSTM size
    att_dim: int = 128  # hidden size of the additive f_att
    dropout: float = 0.0  # on the deep output before L_o (the paper uses dropout; 0 suits this small data)
    gate: bool = True  # the gating scalar beta (sec. 4.2.1)
    doubly_stochastic: float = 1.0  # lambda of the penalty sum_i (1 - sum_t alpha_ti)^2 (0 = off)
    reinforce_weight: float = 1.0  # lambda_r, weight of the REINFORCE term (hard)
    entropy_weight: float = 0.01  # lambda_e, weight of the entropy bonus (hard)
    baseline_decay: float = 0.9  # b_k = decay * b_{k-1} + (1 - decay) * log p(y|s,a) (the paper's 0.9)
    hard_soft_mix: float = 0.5  # probability per image of using the expected context (hard; the paper 0.5)
    pad_id: int = 0  # padding token
    bos_id: int = 1  # start token
    eos_id: int = 2  # end token

    def __post_init__(self):
        if self.attention not in _MODES:
            raise ValueError(f"attention must be one of {_MODES}, got {self.attention!r}")
        for name in ("vocab_size", "in_channels", "feat_dim", "emb_dim", "hidden_dim", "att_dim"):
            v = getattr(self, name)
            if not (isinstance(v, int) and v > 0):
                raise ValueError(f"{name} must be a positive int, got {v!r}")
        if not self.enc_channels or not all(isinstance(c, int) and c > 0 for c in self.enc_channels):
            raise ValueError(
                f"enc_channels must be a non-empty tuple of positive ints, got {self.enc_channels!r}"
            )
        for name in ("dropout", "baseline_decay", "hard_soft_mix"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {getattr(self, name)!r}")


class CaptionOutput(NamedTuple):
    """What a teacher-forced pass returns."""

    logits: Tensor  # (B, T, V) next-token scores
    alphas: Tensor  # (B, T, L) attention distribution alpha_t (zeros for "none"); 0 on masked regions
    betas: Tensor  # (B, T) gating scalar (ones without the gate)
    sample_log_prob: Tensor | None  # (B, T) log p(s_t | a) of the sampled regions (hard, training), else None
    entropy: Tensor | None  # (B, T) entropy of alpha_t (hard, training), else None
    hard_rows: Tensor | None  # (B,) True where the image used the sample (not the expectation), else None


class CaptionLoss(NamedTuple):
    """The training loss and its parts."""

    loss: Tensor  # scalar to minimise (per caption: summed NLL + lambda * penalty + REINFORCE terms)
    nll: Tensor  # token-averaged negative log-likelihood (detached)
    penalty: Tensor  # doubly stochastic penalty, batch mean, before lambda (detached)
    reward: Tensor  # (B,) log p(y | s, a) per caption (detached): feed its mean to the moving baseline


class Generation(NamedTuple):
    """Decoded captions with the attention that wrote them."""

    tokens: Tensor  # (B, T) generated ids (eos included), then pad
    lengths: Tensor  # (B,) tokens up to and including eos
    alphas: Tensor  # (B, T, L) attention at each generated token (the argmax region's one-hot is its mode)
    grid: tuple[int, int]  # (h, w): alphas[..., l] is cell (l // w, l % w)


class ShowAttendTell(nn.Module):
    """CNN encoder + attention LSTM decoder (soft, hard or no attention, as ``config.attention`` says).

    Shape: images ``(B, C, H, W)``, tokens_in ``(B, T)`` (bos first) -> :class:`CaptionOutput`.
    """

    def __init__(self, config: ShowAttendTellConfig):
        super().__init__()
        c = self.config = config
        self.encoder = GridEncoder(c.in_channels, c.enc_channels, c.feat_dim, c.batch_norm, coords=c.coords)
        D = self.ann_dim = c.feat_dim + (2 if c.cell_coords else 0)  # annotation vector size
        self.init_h = nn.Linear(D, c.hidden_dim)  # f_init,h
        self.init_c = nn.Linear(D, c.hidden_dim)  # f_init,c
        self.score = AdditiveScore(c.hidden_dim, D, c.att_dim)  # f_att
        self.f_beta = nn.Linear(c.hidden_dim, 1)
        self.embed = nn.Embedding(c.vocab_size, c.emb_dim, padding_idx=c.pad_id)  # E
        self.cell = nn.LSTMCell(c.emb_dim + D, c.hidden_dim)
        self.L_h = nn.Linear(c.hidden_dim, c.emb_dim)
        self.L_z = nn.Linear(D, c.emb_dim)
        self.L_o = nn.Linear(c.emb_dim, c.vocab_size)
        self.drop = nn.Dropout(c.dropout)
        if c.freeze_encoder:
            self.encoder.requires_grad_(False)

    def train(self, mode: bool = True):
        """As :meth:`nn.Module.train`, but a frozen encoder stays in eval mode (its BatchNorm statistics
        are those of its pretraining)."""
        super().train(mode)
        if self.config.freeze_encoder:
            self.encoder.eval()
        return self

    def encode(self, images: Tensor, region_mask: Tensor | None = None) -> dict:
        """The decoder's initial state: annotations (B, L, D), projected keys, region mask, h_0, c_0."""
        if images.dim() != 4 or images.shape[1] != self.config.in_channels:
            raise ValueError(
                f"images must be (B, {self.config.in_channels}, H, W), got shape {tuple(images.shape)}"
            )
        with torch.set_grad_enabled(torch.is_grad_enabled() and not self.config.freeze_encoder):
            grid = self.encoder(images)  # (B, D, h, w)
        feats = grid.flatten(2).transpose(1, 2)  # (B, L, D)
        if self.config.cell_coords:  # (x, y) of each cell centre, row-major as the flattening
            h, w = grid.shape[2:]
            ys = (torch.arange(h, dtype=feats.dtype, device=feats.device) + 0.5) * (2 / h) - 1
            xs = (torch.arange(w, dtype=feats.dtype, device=feats.device) + 0.5) * (2 / w) - 1
            xy = torch.stack(torch.meshgrid(xs, ys, indexing="xy"), -1).reshape(h * w, 2)
            feats = torch.cat([feats, xy.expand(feats.shape[0], -1, -1)], -1)  # (B, L, D + 2)
        B, L, _ = feats.shape
        if region_mask is None:
            region_mask = torch.ones(B, L, dtype=torch.bool, device=feats.device)
        elif region_mask.shape != (B, L) or region_mask.dtype != torch.bool:
            raise ValueError(
                f"region_mask must be bool ({B}, {L}), got {region_mask.dtype} {tuple(region_mask.shape)}"
            )
        m = region_mask.to(feats.dtype)[..., None]
        mean = (feats * m).sum(1) / m.sum(1).clamp_min(1.0)  # (B, D)
        return {
            "feats": feats,
            "keys": self.score.project_keys(feats),  # W_a a_i once per image, (B, L, att)
            "mask": region_mask,
            "mean": mean,
            "h": torch.tanh(self.init_h(mean if self.config.init_from_mean else torch.zeros_like(mean))),
            "c": torch.tanh(self.init_c(mean if self.config.init_from_mean else torch.zeros_like(mean))),
            "grid": tuple(grid.shape[2:]),  # (h, w), a plain leaf the searches pass through
        }

    def _step(self, tokens: Tensor, state: dict, how: str, generator=None, soft_rows=None):
        h, c = state["h"], state["c"]
        how = "none" if self.config.attention == "none" else how
        z, alpha, logp, ent = attend(self.score, h, state, how, generator)
        if soft_rows is not None:  # hard training: these images use the expected context instead
            z_soft = (alpha[:, None] @ state["feats"])[:, 0]
            z = torch.where(soft_rows[:, None], z_soft, z)
        beta = torch.sigmoid(self.f_beta(h)) if self.config.gate else h.new_ones(h.shape[0], 1)
        z = beta * z
        e = self.embed(tokens)  # E y_{t-1}
        h, c = self.cell(torch.cat([e, z], -1), (h, c))
        logits = self.L_o(self.drop(e + self.L_h(h) + self.L_z(z)))  # deep output, eq. 7
        return logits, {**state, "h": h, "c": c}, alpha, beta[:, 0], logp, ent

    def forward(
        self,
        images: Tensor,
        tokens_in: Tensor,
        *,
        region_mask: Tensor | None = None,
        generator: torch.Generator | None = None,
        image_index: Tensor | None = None,
    ) -> CaptionOutput:
        """Teacher-forced pass. ``image_index`` (N,) gives the image of each of N captions (several
        captions of one image then share one encoder pass); None: caption b belongs to image b."""
        state = self.encode(images, region_mask)
        if image_index is not None:
            state = reorder_state(state, image_index)
        hard = self.config.attention == "hard" and self.training
        soft_rows = None
        if hard:
            u = torch.rand(tokens_in.shape[0], generator=generator).to(images.device)
            soft_rows = u < self.config.hard_soft_mix
        how = "sample" if hard else self._test_how()
        return self._run(state, tokens_in, how, generator, soft_rows)

    def _test_how(self) -> str:
        return "mode" if self.config.attention == "hard" else "soft"

    def _run(self, state, tokens_in, how, generator=None, soft_rows=None) -> CaptionOutput:
        if tokens_in.dim() != 2:
            raise ValueError(f"tokens_in must be (B, T), got shape {tuple(tokens_in.shape)}")
        outs = []
        for t in range(tokens_in.shape[1]):
            logits, state, *rest = self._step(tokens_in[:, t], state, how, generator, soft_rows)
            outs.append((logits, *rest))
        logits, alphas, betas, logp, ent = (
            torch.stack(x, 1) if x[0] is not None else None for x in zip(*outs, strict=True)
        )
        return CaptionOutput(logits, alphas, betas, logp, ent, None if soft_rows is None else ~soft_rows)

    def loss(self, out: CaptionOutput, targets: Tensor, baseline: float = 0.0) -> CaptionLoss:
        """Training loss: caption NLL + lambda * doubly stochastic penalty (+ REINFORCE terms for hard).

        ``targets`` (B, T) are the next tokens (pad after eos). The loss sums the NLL over a caption's
        tokens (so lambda weighs the penalty as in the paper's cost, eq. 14) and averages over captions;
        :attr:`CaptionLoss.nll` reports the per-token mean. For hard attention the reward is
        ``log p(y | s, a)`` per caption and the baseline is the caller's moving average (see
        :attr:`CaptionLoss.reward`).
        """
        c = self.config
        step_mask = targets != c.pad_id  # (B, T)
        nll_tok = nn.functional.cross_entropy(
            out.logits.transpose(1, 2), targets, ignore_index=c.pad_id, reduction="none"
        )  # (B, T)
        nll = nll_tok.sum() / step_mask.sum().clamp_min(1)
        loss = nll_tok.sum(1).mean()  # -log p(y | a) per caption, as the paper's cost (not per token)
        penalty = out.alphas.new_zeros(())
        if c.attention != "none" and c.doubly_stochastic > 0:
            penalty = doubly_stochastic_penalty(out.alphas, step_mask).mean()
            loss = loss + c.doubly_stochastic * penalty
        reward = -(nll_tok * step_mask).sum(1).detach()  # log p(y | s, a), (B,)
        if out.sample_log_prob is not None:
            weight = step_mask & out.hard_rows[:, None]
            loss = loss + reinforce_surrogate(
                reward,
                baseline,
                out.sample_log_prob,
                out.entropy,
                weight.to(nll.dtype),
                reinforce_weight=c.reinforce_weight,
                entropy_weight=c.entropy_weight,
            )
        return CaptionLoss(loss, nll.detach(), penalty.detach(), reward)

    @torch.no_grad()
    def generate(
        self,
        images: Tensor,
        *,
        max_len: int = 30,
        beam_size: int | None = None,
        length_penalty: float = 0.0,
        region_mask: Tensor | None = None,
    ) -> Generation:
        """Greedy (``beam_size=None``) or beam search; hard attention takes its most probable region."""
        state = self.encode(images, region_mask)
        how = "mode" if self.config.attention == "hard" else "soft"

        def step_fn(tokens, st):
            logits, st, *_ = self._step(tokens, st, how)
            return torch.log_softmax(logits, -1), st

        c = self.config
        kw = dict(bos=c.bos_id, eos=c.eos_id, max_len=max_len, pad=c.pad_id)
        res = (
            greedy_search(step_fn, state, **kw)
            if beam_size is None
            else beam_search(step_fn, state, beam_size=beam_size, length_penalty=length_penalty, **kw)
        )
        # the attention that wrote each token: replay the chosen tokens (deterministic at test time)
        bos = torch.full_like(res.tokens[:, :1], c.bos_id)
        out = self._run(state, torch.cat([bos, res.tokens[:, :-1]], 1), how)
        return Generation(res.tokens, res.lengths, out.alphas, state["grid"])
