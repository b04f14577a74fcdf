"""attnzoo: the attention mechanisms of the deep-learning literature, correct, fast and visible.

Layers (imports go one way): ``functional <- nn <- models <- recipes <- cli``; ``data``, ``train`` and
``viz`` know nothing of particular models.
"""

from attnzoo import data, functional, nn, train, viz
from attnzoo.functional import AttentionOutput, attention, nadaraya_watson

__version__ = "0.1.0"

__all__ = [
    "AttentionOutput",
    "__version__",
    "attention",
    "data",
    "functional",
    "nadaraya_watson",
    "nn",
    "train",
    "viz",
]
