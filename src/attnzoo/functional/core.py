"""The attention recipe: ``score(query, key) -> normalise -> weighted sum of values``.

Shape legend: ``...`` batch dims (e.g. ``B`` or ``B, H``), ``L`` queries, ``S`` keys, ``E`` query/key dim,
``Ev`` value dim.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor

from attnzoo.functional._checks import (
    check_general_weight,
    check_positive,
    check_qkv,
    check_same_last_dim,
    check_tensor,
)
from attnzoo.functional._gaussian import gaussian_augmented
from attnzoo.functional._masked import _sdpa_zeroes_empty_rows, sdpa
from attnzoo.functional._unit import unit_rows
from attnzoo.functional.masks import validate_mask
from attnzoo.functional.normalize import (
    NORMALIZERS,
    SampledWeights,
    get_normalizer,
    masked_softmax_,
    softmax,
)
from attnzoo.functional.scores import (
    SCORES,
    ScoreFn,
    additive_score,
    cosine_score,
    dot_score,
    gaussian_score,
    general_score,
    get_score,
    scaled_dot_score,
)

__all__ = ["AttentionOutput", "attention", "attention_weights"]


class _AttentionOutputFields(NamedTuple):
    output: Tensor
    weights: Tensor | None


class AttentionOutput(_AttentionOutputFields):
    """``(output, weights)``; unpacks as a pair. ``log_prob`` is set by the ``sample`` normaliser.

    Attributes:
        output: ``(..., L, Ev)``.
        weights: ``(..., L, S)`` when asked for (before dropout), else None.
        log_prob: ``(..., L)`` log-probability of the sampled keys (``normalize="sample"``), else None.
    """

    log_prob: Tensor | None = None  # the class default: the plain-SDPA fast path builds the bare pair

    def __new__(cls, output: Tensor, weights: Tensor | None = None, log_prob: Tensor | None = None):
        self = super().__new__(cls, output, weights)
        self.log_prob = log_prob
        return self

    # log_prob is an attribute beside the pair (so ``output, weights = ...`` keeps working); the tuple
    # helpers below carry it, where NamedTuple's own would build the copy without it.
    @classmethod
    def _make(cls, iterable) -> AttentionOutput:
        return cls(*iterable)

    def _replace(self, **changes) -> AttentionOutput:
        """A copy with the given fields (``output``, ``weights``, ``log_prob``) changed, the rest kept."""
        log_prob = changes.pop("log_prob", self.log_prob)
        out = super()._replace(**changes)
        out.log_prob = log_prob
        return out


@functools.lru_cache(maxsize=256)
def _keyword_names(fn: Callable) -> tuple[frozenset[str], bool]:
    """Keyword parameters a callable accepts beyond its two positional inputs, and whether it has **kw."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return frozenset(), True
    var_kw = any(p.kind is p.VAR_KEYWORD for p in params)
    names = frozenset(
        p.name for p in params[2:] if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name != "mask"
    )
    return names, var_kw


def _callable_name(fn: Callable) -> str:
    return getattr(fn, "__qualname__", None) or type(fn).__name__


def _split_kwargs(
    kwargs: dict,
    score_fn: ScoreFn,
    norm_fn: Callable,
    score_kwargs: dict | None = None,
    normalize_kwargs: dict | None = None,
) -> tuple[dict, dict]:
    """Route each short-form keyword to the one of score and normaliser that names it, then add the
    explicit ``score_kwargs`` / ``normalize_kwargs``.

    A keyword both name explicitly is ambiguous and raises (pass it in ``score_kwargs`` or
    ``normalize_kwargs``); a score that only takes ``**kwargs`` yields to a normaliser that names the key.
    """
    score_kw, norm_kw = dict(score_kwargs or {}), dict(normalize_kwargs or {})
    if not kwargs:
        return score_kw, norm_kw
    norm_names, _ = _keyword_names(norm_fn)
    score_names, score_var_kw = _keyword_names(score_fn)
    unknown = []
    for k, v in kwargs.items():
        if k in norm_names and k in score_names:
            raise TypeError(
                f"keyword {k!r} is ambiguous: both the score {_callable_name(score_fn)} and the normaliser "
                f"{_callable_name(norm_fn)} take it; pass it as score_kwargs={{{k!r}: ...}} or "
                f"normalize_kwargs={{{k!r}: ...}}"
            )
        dest = norm_kw if k in norm_names else score_kw
        if k in dest:
            which = "normalize_kwargs" if dest is norm_kw else "score_kwargs"
            raise TypeError(f"keyword {k!r} given both directly and in {which}")
        if dest is score_kw and k not in score_names and not score_var_kw:
            unknown.append(k)
        dest[k] = v
    if unknown:
        raise TypeError(
            f"unexpected keyword argument(s) {', '.join(map(repr, unknown))}: the score accepts "
            f"{sorted(score_names) or 'none'} and the normaliser accepts {sorted(norm_names) or 'none'}"
        )
    return score_kw, norm_kw


def attention_weights(
    query: Tensor,
    key: Tensor,
    *,
    score: str | ScoreFn = "scaled_dot",
    mask: Tensor | None = None,
    normalize: str | Callable = "softmax",
    score_kwargs: dict | None = None,
    normalize_kwargs: dict | None = None,
    **kwargs,
) -> Tensor | SampledWeights:
    """Scores then normalisation: the attention weights ``(..., L, S)`` without pooling.

    Keywords as in :func:`attention`. Returns what the normaliser returns (``SampledWeights`` for
    ``normalize="sample"``).
    """
    for name, t in (("query", query), ("key", key)):
        check_tensor(name, t, min_ndim=2)
        if t.shape[-1] == 0:
            raise ValueError(f"{name} must have a non-empty feature dimension E, got shape {tuple(t.shape)}")
    score_fn, norm_fn = get_score(score), get_normalizer(normalize)
    score_kw, norm_kw = _split_kwargs(kwargs, score_fn, norm_fn, score_kwargs, normalize_kwargs)
    scores = score_fn(query, key, **score_kw)
    if mask is not None:
        validate_mask(mask, scores.shape)
    return norm_fn(scores, mask, **norm_kw)


def attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    *,
    score: str | ScoreFn = "scaled_dot",
    mask: Tensor | None = None,
    normalize: str | Callable = "softmax",
    return_weights: bool = False,
    dropout_p: float = 0.0,
    score_kwargs: dict | None = None,
    normalize_kwargs: dict | None = None,
    **kwargs,
) -> AttentionOutput:
    """Attention: ``output = normalize(score(query, key), mask) @ value``.

    Args:
        query: ``(..., L, E)``.
        key: ``(..., S, E)`` (``(..., S, E_k)`` for ``general`` and ``additive``).
        value: ``(..., S, Ev)``; same batch dims and ``S`` as ``key``.
        score: a name from :data:`attnzoo.functional.SCORES` (``dot``, ``scaled_dot``, ``cosine``,
            ``general``, ``additive``, ``gaussian``) or a callable ``score(q, k, **kw) -> (..., L, S)``.
        mask: bool broadcastable to ``(..., L, S)``, **True = may attend**; or a float tensor added to the
            scores. A query with no allowed key gets zero weights and a zero output.
        normalize: ``softmax``, ``hard``, ``topk``, ``threshold``, ``sample``, ``gumbel`` or a callable
            ``normalize(scores, mask, **kw) -> weights``.
        return_weights: also return the weights (forces the reference path).
        dropout_p: dropout on the weights (applied whenever > 0, as in SDPA; pass 0 in eval).
        score_kwargs: keyword arguments for the score, passed as they are.
        normalize_kwargs: keyword arguments for the normaliser, passed as they are.
        **kwargs: the short form: each goes to the normaliser if it names one of its parameters
            (``top_k``, ``tau``, ``hard``, ``generator``), else to the score (``scale``, ``temperature``,
            ``weight``, ``query_proj``, ``key_proj``, ``score_proj``, ``bandwidth``). A keyword that both
            name raises ``TypeError``: pass it in ``score_kwargs`` or ``normalize_kwargs`` instead.

    Returns:
        :class:`AttentionOutput` ``(output (..., L, Ev), weights (..., L, S) or None)``.

    With softmax and no weights asked for, ``dot``, ``scaled_dot``, ``cosine``, ``general`` and ``gaussian``
    run through :func:`torch.nn.functional.scaled_dot_product_attention` (no ``(L, S)`` matrix in eager
    PyTorch); otherwise this is equivalent to::

        w = normalize(score(query, key), mask)          # (..., L, S)
        output = dropout(w, dropout_p) @ value          # (..., L, Ev)
    """
    # A call of a signature already validated as plain SDPA (see _remember_plain) skips every check: a decoder
    # step's attention costs little more than the kernel. Anything unusual raises below, never here.
    if (
        type(score) is str  # (a tensor's == would not be a bool)
        and score == "scaled_dot"
        and type(normalize) is str
        and normalize == "softmax"
        and not (return_weights or kwargs or score_kwargs or normalize_kwargs)
        and not _is_compiling()
    ):
        try:  # _signature, inlined (a call is a tenth of what is left)
            m = None if mask is None else (mask.shape, mask.dtype, mask.requires_grad)
            qs, ks, vs, qd, kd, vd = query.shape, key.shape, value.shape, query.dtype, key.dtype, value.dtype
            if (qs, ks, vs, qd, kd, vd, query.is_cpu, m, dropout_p) in _PLAIN_SDPA:
                return _tuple_new(AttentionOutput, (_sdpa_kernel(query, key, value, mask, dropout_p), None))
        except (AttributeError, TypeError):  # not tensors, an unhashable dropout_p: the checks below say so
            pass
    batch = check_qkv(query, key, value)
    L, S = query.shape[-2], key.shape[-2]
    if mask is not None:
        validate_mask(mask, (*batch, L, S))
        if mask.dtype is not torch.bool and mask.dtype is not query.dtype:
            mask = mask.to(query.dtype)
    if not 0.0 <= dropout_p < 1.0:
        raise ValueError(f"dropout_p must be in [0, 1), got {dropout_p!r}")
    # names resolve through the registries' dicts directly (a miss takes get_* for its error message)
    score_fn = (SCORES.get(score) if type(score) is str else None) or get_score(score)
    norm_fn = (NORMALIZERS.get(normalize) if type(normalize) is str else None) or get_normalizer(normalize)
    if kwargs or score_kwargs or normalize_kwargs:
        score_kw, norm_kw = _split_kwargs(kwargs, score_fn, norm_fn, score_kwargs, normalize_kwargs)
    else:
        score_kw = norm_kw = _EMPTY

    if S == 0:  # nothing to attend to: zero output, empty weights
        out = query.new_zeros(*batch, L, value.shape[-1]) + 0 * query.sum() + 0 * value.sum()
        return AttentionOutput(out, query.new_zeros(*batch, L, 0) if return_weights else None)

    if not return_weights and norm_fn is softmax and not norm_kw and score_fn in _FAST_PATHS:
        out = _FAST_PATHS[score_fn](query, key, value, mask, dropout_p, **score_kw)
        if out is not None:
            if score_fn is scaled_dot_score and not score_kw:
                _remember_plain(query, key, value, mask, dropout_p)
            return AttentionOutput(out, None)

    if score_fn is gaussian_score and query.dtype in _HALF:
        # fp16's squared norms overflow (inf - inf = NaN): distances and softmax in fp32, as SDPA does
        scores = score_fn(query.float(), key.float(), **score_kw)
    else:
        scores = score_fn(query, key, **score_kw)
    no_graph = not (torch.is_grad_enabled() and scores.requires_grad)
    if norm_fn is softmax and not norm_kw and score_fn in _BUILTIN_SCORES and no_graph:
        weights = masked_softmax_(scores, mask)  # our own fresh scores, no graph: normalise in place
        if weights is not None:
            weights = weights.to(value.dtype)
            pooled = F.dropout(weights, dropout_p) if dropout_p > 0 else weights
            return AttentionOutput(pooled @ value, weights if return_weights else None)
    res = norm_fn(scores, mask, **norm_kw)
    weights, log_prob = (res.weights, res.log_prob) if isinstance(res, SampledWeights) else (res, None)
    weights = weights.to(value.dtype)  # a no-op but after the fp32 gaussian scores above
    pooled = F.dropout(weights, dropout_p) if dropout_p > 0 else weights
    return AttentionOutput(pooled @ value, weights if return_weights else None, log_prob)


# --- the validated-signature cache of plain SDPA calls --------------------------------------------------

_tuple_new = tuple.__new__
_is_compiling = torch.compiler.is_compiling
_sdpa_kernel = F.scaled_dot_product_attention
_PLAIN_SDPA: set[tuple] = (
    set()
)  # signatures whose call is exactly F.scaled_dot_product_attention(q, k, v, m, p)
_PLAIN_SDPA_MAX = 4096  # a bound, for callers who vary shapes or dropout_p without end


def _signature(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None, dropout_p: float) -> tuple:
    """Everything the checks and the routing of a default ``attention()`` call depend on (no values)."""
    m = None if mask is None else (mask.shape, mask.dtype, mask.requires_grad)
    return (q.shape, k.shape, v.shape, q.dtype, k.dtype, v.dtype, q.is_cpu, m, dropout_p)


def _remember_plain(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None, dropout_p: float) -> None:
    """Record a validated default call's signature when its fast path was the bare SDPA call: no empty-row
    guard, no mask conversion, no broadcasting of batch dims, a ``float`` dropout."""
    if (
        len(_PLAIN_SDPA) < _PLAIN_SDPA_MAX
        and type(dropout_p) is float
        and q.shape[:-2] == k.shape[:-2]
        and (mask is None or (mask.dtype in (torch.bool, q.dtype) and _sdpa_zeroes_empty_rows(q, mask)))
        and not torch.compiler.is_compiling()
    ):
        _PLAIN_SDPA.add(_signature(q, k, v, mask, dropout_p))


# --- fast paths: each returns the output, or None when it does not apply --------------------------------


def _fast_dot(q, k, v, mask, dropout_p):
    check_same_last_dim(q, k, "dot")
    return sdpa(q, k, v, mask, dropout_p, 1.0)


def _fast_scaled_dot(q, k, v, mask, dropout_p, scale=None):
    check_same_last_dim(q, k, "scaled_dot")
    return sdpa(q, k, v, mask, dropout_p, scale)  # SDPA's default scale is 1/sqrt(E)


def _fast_cosine(q, k, v, mask, dropout_p, temperature=1.0, eps=1e-8):
    check_same_last_dim(q, k, "cosine")
    check_positive("temperature", temperature)
    return sdpa(unit_rows(q, eps), unit_rows(k, eps), v, mask, dropout_p, 1.0 / temperature)


def _fast_general(q, k, v, mask, dropout_p, *, weight=None):
    check_general_weight(q, k, weight)
    return sdpa(q @ weight, k, v, mask, dropout_p, 1.0)


def _fast_gaussian(q, k, v, mask, dropout_p, bandwidth=1.0):
    # -||q-k||^2/(2b^2) = q.k/b^2 - |k|^2/(2b^2) - |q|^2/(2b^2); the last term is constant over keys and
    # cancels in the softmax, the key norm becomes a float bias (..., 1, S).
    if isinstance(bandwidth, Tensor):
        if bandwidth.requires_grad or bandwidth.numel() != 1:
            return None  # a learned or per-query bandwidth takes the reference path
        bandwidth = float(bandwidth)
    check_same_last_dim(q, k, "gaussian")
    check_positive("bandwidth", bandwidth)
    inv = 1.0 / (bandwidth * bandwidth)
    if k.requires_grad and torch.is_grad_enabled():  # a constant bias would not carry dk: fold it in
        if q.dtype in _HALF:  # the folded -|k|^2/2 overflows fp16: run this path in fp32
            m = mask if mask is None or mask.dtype == torch.bool else mask.float()
            return _fast_gaussian(q.float(), k.float(), v.float(), m, dropout_p, bandwidth).to(q.dtype)
        qa, ka, va = gaussian_augmented(q, k, v)
        return sdpa(qa, ka, va, mask, dropout_p, inv)[..., : v.shape[-1]]
    # the key norms in fp32 (fp16's overflow), the bias back in the inputs' dtype for SDPA
    kf = k.float() if k.dtype in _HALF else k
    bias = ((kf * kf).sum(-1).unsqueeze(-2) * (-0.5 * inv)).to(q.dtype)  # (..., 1, S)
    if mask is not None:
        bias = bias.masked_fill(~mask, float("-inf")) if mask.dtype == torch.bool else bias + mask
    return sdpa(q, k, v, bias, dropout_p, inv)


_HALF = (torch.float16, torch.bfloat16)
_EMPTY: dict = {}  # shared, never written: the keyword dicts of a call without keywords

# scores computed here into a fresh tensor (the in-place softmax above may overwrite them)
_BUILTIN_SCORES = frozenset(
    {dot_score, scaled_dot_score, cosine_score, general_score, additive_score, gaussian_score}
)

_FAST_PATHS: dict[Callable, Callable] = {
    dot_score: _fast_dot,
    scaled_dot_score: _fast_scaled_dot,
    cosine_score: _fast_cosine,
    general_score: _fast_general,
    gaussian_score: _fast_gaussian,
}
