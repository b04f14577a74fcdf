"""The ``vision`` recipe: CNN attention modules in a ResNet and the Residual Attention Network on
Fashion-MNIST (``config.DESCRIPTION``).

One idea a module: ``config`` (settings, budgets, class names, prose), ``models`` (models by name and their
attention maps), ``data`` (the dataset split once; splits, augmentation and normalisation come from
:mod:`attnzoo.data.images`), ``train`` (one run: train, keep the best epoch, measure), ``figures``
(spatial maps, channel gates per class, curves), ``report`` (table and HTML page), ``recipe`` (``run``; the
worker pool is :func:`attnzoo.train.workers.run_jobs`, FLOPs and speed :mod:`attnzoo.train.profile`).
"""

from attnzoo.recipes import register_recipe
from attnzoo.recipes.vision.config import BUDGETS, CLASS_NAMES, DATA, SUMMARY, VisionConfig
from attnzoo.recipes.vision.recipe import run

register_recipe("vision", summary=SUMMARY, data=DATA)(run)

__all__ = ["BUDGETS", "CLASS_NAMES", "VisionConfig", "run"]
