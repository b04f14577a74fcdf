"""The one registry shape: a plain ``name -> entry`` dict filled by a decorator, refusing duplicates and
naming the valid names when a lookup misses. Every ``register_*`` decorator in the package is built on it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

__all__ = ["Registry", "UnknownNameError"]

_T = TypeVar("_T")


class UnknownNameError(KeyError, ValueError):
    """A name that is not registered. A ``KeyError`` (it is a missing key) and a ``ValueError`` (it is a bad
    argument value), so callers catching either keep working."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class Registry(dict[str, _T]):
    """A dict of named entries with :meth:`register` (duplicate-safe) and :meth:`lookup` (clear misses).

    Args:
        kind: what an entry is, for messages (``"score"``, ``"dataset"``, ...).
        hint: appended to the unknown-name message (e.g. ``" (or a callable)"``).
    """

    def __init__(self, kind: str, hint: str = "") -> None:
        super().__init__()
        self.kind, self.hint = kind, hint

    def add(self, name: str, entry: _T) -> _T:
        """Register ``entry`` under ``name``; a name already taken raises ``ValueError``."""
        if not isinstance(name, str) or not name:
            raise ValueError(f"a {self.kind} name must be a non-empty string, got {name!r}")
        if name in self:
            raise ValueError(f"a {self.kind} named {name!r} is already registered ({_describe(self[name])})")
        self[name] = entry
        return entry

    def register(self, name: str) -> Callable[[_T], _T]:
        """Decorator: ``@REGISTRY.register("name")`` adds the decorated object under ``name``."""
        if not isinstance(name, str) or not name:
            raise ValueError(f"a {self.kind} name must be a non-empty string, got {name!r}")

        def deco(entry: _T) -> _T:
            return self.add(name, entry)

        return deco

    def lookup(self, name: str) -> _T:
        """The entry called ``name``; a miss raises :class:`UnknownNameError` listing the valid names."""
        try:
            return self[name]
        except (KeyError, TypeError):  # TypeError: an unhashable name
            raise UnknownNameError(
                f"unknown {self.kind} {name!r}; valid: {', '.join(sorted(self))}{self.hint}"
            ) from None


def _describe(entry: object) -> str:
    name = getattr(entry, "__qualname__", None) or getattr(entry, "name", None)
    return f"by {name}" if name else f"as {type(entry).__name__}"
