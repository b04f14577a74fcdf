"""The ``sentiment`` recipe: bi-GRU + HAN word attention against poolings and TF-IDF (``config.DESCRIPTION``).

One idea a module: ``config`` (settings, budgets, prose), ``data`` (review corpora and splits), ``train``
(one bi-GRU through the Trainer; TF-IDF + LR), ``evaluate`` (accuracy, bootstrap table, attention
diagnostics), ``report`` (the HTML page), ``bundle`` (the one-file saved model), ``explain`` (one review),
``recipe`` (``run``).
"""

from attnzoo.recipes import register_recipe
from attnzoo.recipes.sentiment.config import BUDGETS, DATA, SUMMARY, SentimentConfig
from attnzoo.recipes.sentiment.data import DATA_SOURCES
from attnzoo.recipes.sentiment.explain import Explanation, explain
from attnzoo.recipes.sentiment.recipe import run

register_recipe("sentiment", summary=SUMMARY, data=DATA)(run)

__all__ = ["BUDGETS", "DATA_SOURCES", "Explanation", "SentimentConfig", "explain", "run"]
