"""attnzoo: the attention mechanisms of the deep-learning literature, correct, fast and visible.

Layers (imports go one way): ``functional <- nn <- models <- recipes <- cli``; ``data``, ``train`` and
``viz`` know nothing of particular models.
"""

from attnzoo import data, functional, nn, train, viz
from attnzoo._version import __version__
from attnzoo.functional import AttentionOutput, attention, nadaraya_watson
from attnzoo.nn.vision import create_attention, list_attention

__all__ = [
    "AttentionOutput",
    "__version__",
    "attention",
    "create_attention",
    "data",
    "functional",
    "list_attention",
    "nadaraya_watson",
    "nn",
    "train",
    "viz",
]
