"""The registry of CNN attention modules: short name -> class, filled by ``@register_attention``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from torch import nn

from attnzoo._registry import Registry

__all__ = ["create_attention", "list_attention", "register_attention"]

_ATTENTION: Registry[type[nn.Module]] = Registry("attention")

_M = TypeVar("_M", bound=type[nn.Module])


def register_attention(name: str) -> Callable[[_M], _M]:
    """Class decorator adding a module to the registry under ``name``.

    The class must take ``channels`` as its first constructor argument, so that
    ``create_attention(name, channels, **kw)`` can build it.
    """
    return _ATTENTION.register(name)


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
    return _ATTENTION.lookup(name)(channels, **kwargs)
