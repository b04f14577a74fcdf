"""Recurrent Models of Visual Attention (Mnih, Heess, Graves, Kavukcuoglu; arXiv 1406.6247): the Recurrent
Attention Model (RAM) for classification, with its hybrid supervised + REINFORCE loss.

Shape legend: B batch, C channels, H x W image, T glimpses, k scales, g patch side, D core (hidden) size.

One step ``t`` (state ``h_{t-1}``, ``h_{-1} = 0``)::

    mu_t = tanh(W_l h_{t-1} + b_l)        location network (t = 0: l_0 uniform, or tanh(b_l) if learned)
    l_t ~ N(mu_t, sigma^2 I), detached    the sampled location; log pi(l_t) is taken before clamping
    b_t = W_b h_{t-1} + c_b               baseline network (reads a detached h: it never shapes the core)
    g_t = relu(W_1 relu(W_g rho(x, l_t)) + W_2 relu(W_h l_t))   glimpse network, "what" and "where"
    h_t = relu(W_c h_{t-1} + W_i g_t)     core network (an LSTM with ``core="lstm"``)
    logits = W_a h_{T-1} + b_a            action network, after the last glimpse

``b_t`` and ``mu_t`` read ``h_{t-1}``, the state *before* ``l_t`` is chosen, so the baseline does not
depend on the action it is a baseline for (unbiased REINFORCE).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from attnzoo.nn.glimpse import GlimpseSensor

__all__ = ["RAM", "RAMConfig", "RAMLoss", "RAMOutput", "ram_loss"]

_CORES = ("rnn", "lstm")
_POLICIES = ("learned", "random")
_STARTS = ("random", "learned")
_SQUASHES = ("tanh", "clamp")


@dataclass(frozen=True)
class RAMConfig:
    image_size: int = 28  # H = W of the input images (the paper: 28 MNIST, 60 translated/cluttered, 100)
    channels: int = 1  # C of the input images
    num_classes: int = 10  # outputs of the action network
    patch_size: int = 8  # g: retina patch side (paper: 8 on MNIST 28x28, 12 on 60x60 and 100x100)
    num_scales: int = 1  # k: patches per glimpse (paper: 1 on MNIST, 3 on 60x60, 4 on 100x100)
    scale_factor: int = 2  # s: each patch twice the side of the previous one (paper)
    glimpses: int = 6  # T: glimpses per image (paper's MNIST best: 6-7; 8 on cluttered)
    glimpse_hidden: int = 128  # width of h_g ("what") and h_l ("where") in the glimpse network (paper)
    glimpse_out: int = 256  # width of g_t, the glimpse feature (paper)
    hidden: int = 256  # D: core state size (paper: 256 rectifier units)
    core: str = "rnn"  # "rnn" (the paper's rectifier RNN for classification) or "lstm"
    location_std: float = (
        0.05  # sigma of the Gaussian policy (fixed; the best port, 1.21 % on MNIST, used 0.05)
    )
    policy: str = "learned"  # "learned" (Gaussian policy) or "random" (uniform locations: the baseline)
    start: str = (
        "random"  # first location: "random" uniform (as the 1.21 % port) or "learned" (policy at h = 0)
    )
    policy_grad_to_core: bool = False  # let REINFORCE shape the core through mu's input h (ports: no)
    # how the policy mean is kept in [-1, 1]: "tanh" (the ports) or "clamp" (hardtanh: identity inside,
    # so a mean near the border is not stuck where tanh's gradient vanishes; the paper says neither)
    location_squash: str = "tanh"

    def __post_init__(self) -> None:
        for name in ("image_size", "channels", "num_classes", "patch_size", "num_scales", "scale_factor",
                     "glimpses", "glimpse_hidden", "glimpse_out", "hidden"):  # fmt: skip
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"RAMConfig.{name} must be an int >= 1, got {v!r}")
        if self.core not in _CORES:
            raise ValueError(f"RAMConfig.core must be one of {list(_CORES)}, got {self.core!r}")
        if self.start not in _STARTS:
            raise ValueError(f"RAMConfig.start must be one of {list(_STARTS)}, got {self.start!r}")
        if self.location_squash not in _SQUASHES:
            raise ValueError(
                f"RAMConfig.location_squash must be one of {list(_SQUASHES)}, got {self.location_squash!r}"
            )
        if self.policy not in _POLICIES:
            raise ValueError(f"RAMConfig.policy must be one of {list(_POLICIES)}, got {self.policy!r}")
        if not (isinstance(self.location_std, int | float) and 0 < self.location_std < math.inf):
            raise ValueError(f"RAMConfig.location_std must be a positive number, got {self.location_std!r}")


class RAMOutput(NamedTuple):
    logits: Tensor  # (B, num_classes) from the action network after the last glimpse
    log_probs: Tensor  # (B, T) log pi(l_t | h_{t-1}) of the sampled (unclamped) locations; 0 for "random"
    baselines: Tensor  # (B, T) b_t, the predicted reward at step t
    locations: Tensor  # (B, T, 2) where each glimpse was taken, (x, y) clamped to [-1, 1]


class RAMLoss(NamedTuple):
    loss: Tensor  # () the sum of the three parts, what is minimised
    action: Tensor  # () cross-entropy of the final classification
    reinforce: Tensor  # () -mean_b sum_t log pi(l_t) (R - b_t), b_t detached
    baseline: Tensor  # () mean squared error of b_t against R
    reward: Tensor  # () mean reward (accuracy of the batch)


class RAM(nn.Module):
    """The Recurrent Attention Model: glimpse sensor, glimpse, core, location, action and baseline networks.

    Paper-faithful: the architecture and sizes of section 4 (retina, 128 + 128 -> 256 glimpse network, 256
    rectifier core, fixed-variance Gaussian policy, softmax action after the last glimpse, learned baseline).
    Where the paper is silent, the choices of the port that reproduces it (kevinzakka's, 1.21 % on MNIST):
    ``tanh`` on the policy mean, a uniformly random first location (``start="learned"`` draws it from the
    policy at ``h = 0`` instead), the location network and the baseline reading a detached core state.

    Args:
        config: a :class:`RAMConfig`.

    Shape:
        images: (B, C, H, W) -> :class:`RAMOutput` (logits (B, classes), log_probs, baselines (B, T),
        locations (B, T, 2)).
    """

    def __init__(self, config: RAMConfig) -> None:
        super().__init__()
        c = self.config = config
        self.sensor = GlimpseSensor(c.patch_size, c.num_scales, c.scale_factor)
        self.what = nn.Linear(c.num_scales * c.channels * c.patch_size**2, c.glimpse_hidden)
        self.where = nn.Linear(2, c.glimpse_hidden)
        self.what_out = nn.Linear(c.glimpse_hidden, c.glimpse_out)
        self.where_out = nn.Linear(c.glimpse_hidden, c.glimpse_out)
        if c.core == "lstm":
            self.core = nn.LSTMCell(c.glimpse_out, c.hidden)
        else:
            self.core_in = nn.Linear(c.glimpse_out, c.hidden)
            self.core_rec = nn.Linear(c.hidden, c.hidden)
        self.locator = nn.Linear(c.hidden, 2)
        self.baseliner = nn.Linear(c.hidden, 1)
        self.classifier = nn.Linear(c.hidden, c.num_classes)

    def _glimpse_features(self, images: Tensor, loc: Tensor, cache) -> Tensor:
        patches = self.sensor(images, loc, cache).flatten(1)  # (B, k C g g)
        h_g, h_l = F.relu(self.what(patches)), F.relu(self.where(loc))  # (B, 128) each
        return F.relu(self.what_out(h_g) + self.where_out(h_l))  # (B, 256)

    def _core(self, g: Tensor, state):
        if self.config.core == "lstm":
            h, cell = self.core(g, state)
            return h, (h, cell)
        h = F.relu(self.core_in(g) + self.core_rec(state))
        return h, h

    def forward(
        self, images: Tensor, *, glimpses: int | None = None, generator: torch.Generator | None = None
    ) -> RAMOutput:
        """Take ``T`` glimpses of each image (locations sampled from the policy) and classify it.

        ``glimpses`` overrides ``config.glimpses`` (e.g. to classify after fewer glimpses than trained on).
        """
        c = self.config
        steps = c.glimpses if glimpses is None else glimpses
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
            raise ValueError(f"glimpses must be an int >= 1 or None, got {glimpses!r}")
        if images.dim() != 4 or images.shape[1:] != (c.channels, c.image_size, c.image_size):
            want = f"(B, {c.channels}, {c.image_size}, {c.image_size})"
            raise ValueError(f"images must have shape {want}, got {tuple(images.shape)}")
        B = images.shape[0]
        cache = self.sensor.prepare(images)  # once for all T glimpses (a summed-area table, see the sensor)
        h = images.new_zeros(B, c.hidden)  # (B, D)
        state = (h, h) if c.core == "lstm" else h
        log_probs, baselines, locations = [], [], []
        for t in range(steps):
            h_in = h if c.policy_grad_to_core else h.detach()
            if c.policy == "random" or (t == 0 and c.start == "random"):
                loc = torch.rand(B, 2, generator=generator, device=images.device) * 2 - 1
                log_probs.append(images.new_zeros(B))
            else:
                mu = self.locator(h_in)  # (B, 2)
                mu = torch.tanh(mu) if c.location_squash == "tanh" else F.hardtanh(mu)
                noise = torch.randn(B, 2, generator=generator, device=images.device, dtype=images.dtype)
                sample = (mu + c.location_std * noise).detach()  # no gradient into the core through l
                log_probs.append(_normal_log_prob(sample, mu, c.location_std).sum(-1))
                loc = sample.clamp(-1.0, 1.0)
            baselines.append(self.baseliner(h.detach()).squeeze(-1))  # (B,)
            locations.append(loc)
            h, state = self._core(self._glimpse_features(images, loc, cache), state)
        logits = self.classifier(h)  # (B, classes)
        return RAMOutput(
            logits, torch.stack(log_probs, 1), torch.stack(baselines, 1), torch.stack(locations, 1)
        )

    @torch.no_grad()
    def predict(
        self,
        images: Tensor,
        samples: int = 1,
        *,
        glimpses: int | None = None,
        generator: torch.Generator | None = None,
    ) -> Tensor:
        """Class probabilities averaged over ``samples`` glimpse sequences of each image: (B, classes)."""
        if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
            raise ValueError(f"samples must be an int >= 1, got {samples!r}")
        B = images.shape[0]
        out = self(
            images.repeat(samples, 1, 1, 1), glimpses=glimpses, generator=generator
        )  # (M B, ...) sample-major
        return out.logits.softmax(-1).view(samples, B, -1).mean(0)


def _normal_log_prob(x: Tensor, mu: Tensor, std: float) -> Tensor:
    """log N(x; mu, std^2), elementwise."""
    return -((x - mu) ** 2) / (2 * std**2) - math.log(std) - 0.5 * math.log(2 * math.pi)


def ram_loss(output: RAMOutput, targets: Tensor) -> RAMLoss:
    """The hybrid loss: cross-entropy + REINFORCE (reward 1 for a correct final answer) + baseline MSE.

    ``R = [argmax logits == target]`` is given at the last step only and not discounted, so every step's
    return is R; the REINFORCE term ``-mean_b sum_t log pi(l_t) (R - b_t)`` uses a detached ``b_t`` and
    ``b_t`` is trained by ``mean (b_t - R)^2`` (paper section 3 and its variance-reduction baseline).

    Shape:
        output: a :class:`RAMOutput` of B images; targets: (B,) class indices -> :class:`RAMLoss` of scalars.
    """
    if targets.shape != output.logits.shape[:1]:
        raise ValueError(f"targets must have shape ({output.logits.shape[0]},), got {tuple(targets.shape)}")
    action = F.cross_entropy(output.logits, targets)
    reward = (output.logits.detach().argmax(-1) == targets).to(output.baselines.dtype)  # (B,)
    returns = reward[:, None].expand_as(output.baselines)  # (B, T)
    advantage = returns - output.baselines.detach()
    reinforce = -(output.log_probs * advantage).sum(1).mean()
    baseline = F.mse_loss(output.baselines, returns)
    return RAMLoss(action + reinforce + baseline, action, reinforce, baseline, reward.mean())
