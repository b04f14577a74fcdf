"""The ``translate`` recipe: English-French Tatoeba with and without attention (see ``config.DESCRIPTION``).

One idea a module: ``config`` (settings, budgets, prose), ``data`` (pairs -> BPE -> batches), ``models`` (the
variant registry, save/load), ``train`` (one variant through the Trainer), ``evaluate`` (decoding, BLEU,
alignments), ``report`` (the HTML page), ``sentence`` (one-sentence translation), ``recipe`` (``run``).
"""

from attnzoo.recipes import register_recipe
from attnzoo.recipes.translate.config import BUDGETS, DATA, SUMMARY, TranslateConfig
from attnzoo.recipes.translate.models import VARIANTS
from attnzoo.recipes.translate.recipe import run
from attnzoo.recipes.translate.sentence import Translation, translate_sentence

register_recipe("translate", summary=SUMMARY, data=DATA)(run)

__all__ = ["BUDGETS", "VARIANTS", "TranslateConfig", "Translation", "run", "translate_sentence"]
