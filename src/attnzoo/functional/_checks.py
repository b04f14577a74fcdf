"""Argument checks shared by the functional layer: each error names the argument, what was expected and
what came."""

from __future__ import annotations

import torch
from torch import Tensor


def shape_str(shape: torch.Size | tuple[int, ...]) -> str:
    return "(" + ", ".join(str(int(s)) for s in shape) + ")"


def broadcast_shapes(*shapes: tuple[int, ...]) -> torch.Size:
    """``torch.broadcast_shapes`` without its per-call overhead (hundreds of microseconds in torch 2.x,
    more than a small attention call): the common equal-shapes case costs a tuple comparison.

    Raises:
        RuntimeError: when the shapes do not broadcast (as torch does).
    """
    first = tuple(shapes[0])
    if all(tuple(s) == first for s in shapes[1:]):
        return torch.Size(first)
    ndim = max(len(s) for s in shapes)
    out = [1] * ndim
    for s in shapes:
        for i, d in enumerate(s, start=ndim - len(s)):
            if d != 1:
                if out[i] not in (1, d):
                    raise RuntimeError(f"shapes {', '.join(shape_str(x) for x in shapes)} do not broadcast")
                out[i] = d
    return torch.Size(out)


def check_tensor(name: str, x: object, *, min_ndim: int = 0) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if x.ndim < min_ndim:
        raise ValueError(f"{name} must have at least {min_ndim} dimensions, got shape {shape_str(x.shape)}")
    return x


def check_floating(name: str, x: Tensor) -> None:
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {x.dtype}")


def check_same_dtype(**tensors: Tensor) -> None:
    items = list(tensors.items())
    first_name, first = items[0]
    for name, t in items[1:]:
        if t.dtype != first.dtype:
            raise TypeError(
                f"{name} has dtype {t.dtype} but {first_name} has dtype {first.dtype}; they must match"
            )


def check_qkv(query: Tensor, key: Tensor, value: Tensor) -> torch.Size:
    """Validate ``query (..., L, E)``, ``key (..., S, E_k)``, ``value (..., S, Ev)``; return the batch shape.

    Batch dimensions of the three must broadcast; key and value must agree exactly on ``S`` and on their
    batch dimensions (no silent broadcasting of mismatched key/value lengths).
    """
    # the common case in one expression (a decoder step spends more time in checks than in the kernel);
    # anything else takes the checks below, which say what is wrong
    if (
        isinstance(query, Tensor)
        and isinstance(key, Tensor)
        and isinstance(value, Tensor)
        and query.dtype is key.dtype is value.dtype
        and query.dtype.is_floating_point
        and query.ndim >= 2
        and key.ndim >= 2
    ):
        qs, ks, vs = query.shape, key.shape, value.shape
        if ks[:-1] == vs[:-1] and qs[:-2] == ks[:-2] and qs[-1] and ks[-1]:
            return qs[:-2]
    for name, t in (("query", query), ("key", key), ("value", value)):
        check_tensor(name, t, min_ndim=2)
        check_floating(name, t)
    check_same_dtype(query=query, key=key, value=value)
    for name, t in (("query", query), ("key", key)):
        if t.shape[-1] == 0:
            raise ValueError(
                f"{name} must have a non-empty feature dimension E, got shape {shape_str(t.shape)}"
            )
    if key.shape[:-1] != value.shape[:-1]:
        raise ValueError(
            f"key has shape {shape_str(key.shape)} and value has shape {shape_str(value.shape)}: they must "
            "agree on every dimension but the last (batch dims and the key length S)"
        )
    try:
        return broadcast_shapes(query.shape[:-2], key.shape[:-2])
    except RuntimeError:
        raise ValueError(
            f"query batch dims {shape_str(query.shape[:-2])} do not broadcast with key batch dims "
            f"{shape_str(key.shape[:-2])}"
        ) from None


def check_same_last_dim(query: Tensor, key: Tensor, score: str) -> None:
    if query.shape[-1] != key.shape[-1]:
        raise ValueError(
            f"the {score!r} score needs query and key of the same last dimension E, got query "
            f"{shape_str(query.shape)} and key {shape_str(key.shape)}"
        )


def check_positive(name: str, value: float | Tensor) -> None:
    if isinstance(value, Tensor):
        if bool((value <= 0).any()):
            raise ValueError(f"{name} must be > 0, got a tensor with non-positive entries")
    elif not value > 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")


def check_general_weight(query: Tensor, key: Tensor, weight: Tensor | None) -> None:
    """The ``general`` score's weight: present, a tensor of shape (E_q, E_k) and of the query's dtype."""
    if weight is None:
        raise TypeError("the 'general' score needs weight=W, a tensor of shape (E_q, E_k); got none")
    check_tensor("weight", weight, min_ndim=2)
    if weight.shape != (query.shape[-1], key.shape[-1]):
        raise ValueError(
            f"weight must have shape (E_q, E_k) = ({query.shape[-1]}, {key.shape[-1]}), "
            f"got {shape_str(weight.shape)}"
        )
    if weight.dtype != query.dtype:
        raise TypeError(f"weight has dtype {weight.dtype} but query has dtype {query.dtype}; they must match")
