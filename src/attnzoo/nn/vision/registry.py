"""The registry of CNN attention modules: short name -> class, filled by ``@register_attention``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from torch import nn

__all__ = ["create_attention", "list_attention", "register_attention"]

_ATTENTION: dict[str, type[nn.Module]] = {}

_M = TypeVar("_M", bound=type[nn.Module])


def register_attention(name: str) -> Callable[[_M], _M]:
    """Class decorator adding a module to the registry under ``name``.

    The class must take ``channels`` as its first constructor argument, so that
    ``create_attention(name, channels, **kw)`` can build it.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"name must be a non-empty string, got {name!r}")

    def add(cls: _M) -> _M:
        if name in _ATTENTION:
            raise ValueError(f"attention {name!r} is already registered (by {_ATTENTION[name].__name__})")
        _ATTENTION[name] = cls
        return cls

    return add


def list_attention() -> list[str]:
    """The registered short names, sorted: ``['cbam', 'coord', 'cse', 'eca', 'scse', 'se', 'sk', 'sse']``."""
    return sorted(_ATTENTION)


def create_attention(name: str, channels: int, **kwargs: object) -> nn.Module:
    """Build the attention module registered as ``name`` for a ``channels``-channel feature map.

    Args:
        name: a short name from :func:`list_attention` (``"se"``, ``"eca"``, ``"cbam"``, ...).
        channels: C of the (B, C, H, W) input.
        **kwargs: passed to the class (e.g. ``reduction=8``); an argument the class does not take is a
            TypeError, never silently dropped.

    Returns:
        The module; ``module(x)`` gives a tensor shaped like ``x``, ``module(x, return_attention=True)`` an
        :class:`~attnzoo.nn.vision.VisionAttentionOutput`.
    """
    if name not in _ATTENTION:
        raise ValueError(f"unknown attention {name!r}; valid names: {', '.join(list_attention())}")
    return _ATTENTION[name](channels, **kwargs)
