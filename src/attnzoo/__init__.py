"""attnzoo: the attention mechanisms of the deep-learning literature, correct, fast and visible.

Layers (imports go one way): ``functional <- nn <- models <- recipes <- cli``; ``data``, ``train`` and
``viz`` know nothing of particular models.
"""

from attnzoo import functional, nn

__version__ = "0.1.0"

__all__ = ["__version__", "functional", "nn"]
