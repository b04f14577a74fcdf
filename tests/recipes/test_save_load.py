"""Every registered variant of every recipe: save -> load -> the same output (tiny configs, synthetic data).

translate: every entry of ``VARIANTS`` through ``save_model`` / ``load_model`` (model.json + weights +
tokenisers); sentiment: each bi-GRU pooling through the one-file bundle; vision: the baseline, every
registered attention module and the RANs through a checkpoint and ``load_model``.
"""

import pytest
import torch

from attnzoo.data.batching import collate_pairs
from attnzoo.data.seq2seq import train_pair_tokenizers
from attnzoo.data.text import Vocab
from attnzoo.models.text_classifier import TextClassifier, TextClassifierConfig
from attnzoo.recipes.sentiment.bundle import load_bundle, save_bundle
from attnzoo.recipes.sentiment.config import MODELS
from attnzoo.recipes.translate import VARIANTS, TranslateConfig
from attnzoo.recipes.translate.data import TranslationData
from attnzoo.recipes.translate.evaluate import translate_batch
from attnzoo.recipes.translate.models import build_model as build_translation
from attnzoo.recipes.translate.models import load_model, save_model
from attnzoo.recipes.vision import VisionConfig
from attnzoo.recipes.vision.models import build_model as build_vision
from attnzoo.recipes.vision.models import load_model as load_vision
from attnzoo.recipes.vision.models import model_names
from attnzoo.train import BEST, save_checkpoint, seed_everything

PAIRS = [(f"tom sees {w} now", f"tom voit {w} maintenant") for w in "abcdefghijklmnop"]


@pytest.fixture(scope="module")
def tokenizers():
    return train_pair_tokenizers(PAIRS, vocab_size=40)


def _randomise(model):
    """Weights away from their initial values (zero biases, unit norms), so a missed tensor would show."""
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.1 * torch.randn_like(p))
    return model.eval()


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_translate_variant_round_trips(variant, tokenizers, tmp_path):
    src_tok, tgt_tok = tokenizers
    cfg = TranslateConfig(
        emb_dim=16, hidden_dim=16, tf_layers=1, tf_heads=2, tf_ff=32, dropout=0.0, tf_dropout=0.0
    )
    seed_everything(0)
    model = _randomise(build_translation(variant, cfg, src_tok.vocab_size, tgt_tok.vocab_size))
    data = TranslationData(src_tok, tgt_tok, [], [], [], [], [], [])
    save_checkpoint(tmp_path / BEST, model)
    save_model(model, variant, data, tmp_path)
    loaded, src2, tgt2, meta = load_model(tmp_path)
    assert meta["variant"] == variant and type(loaded) is type(model)
    assert src2.encode(PAIRS[0][0]) == src_tok.encode(PAIRS[0][0])
    b = collate_pairs([src_tok.encode(s) for s, _ in PAIRS[:3]], [tgt_tok.encode(t) for _, t in PAIRS[:3]])
    with torch.no_grad():
        torch.testing.assert_close(
            loaded(b.src, b.src_lengths, b.tgt_in).logits, model(b.src, b.src_lengths, b.tgt_in).logits
        )
    sources = [s for s, _ in PAIRS[:3]]
    assert translate_batch(loaded, sources, src2, tgt2) == translate_batch(model, sources, src_tok, tgt_tok)


@pytest.mark.parametrize("pooling", [m for m in MODELS if m != "tfidf"])
def test_sentiment_model_round_trips(pooling, tmp_path):
    vocab = Vocab.build([["good", "film"], ["bad", "plot"]], max_size=10)
    cfg = TextClassifierConfig(
        vocab_size=len(vocab), embed_dim=8, hidden_size=8, attention_dim=4, num_classes=2, pooling=pooling
    )
    seed_everything(0)
    model = _randomise(TextClassifier(cfg))
    save_bundle(tmp_path / "model.safetensors", model, vocab, ["neg", "pos"], 20, {"seed": 0})
    loaded, vocab2, labels, max_len, info = load_bundle(tmp_path)
    assert (labels, max_len, info, vocab2.itos) == (["neg", "pos"], 20, {"seed": 0}, vocab.itos)
    tokens, lengths = torch.tensor([[2, 3, 4, 0], [4, 5, 0, 0]]), torch.tensor([3, 2])
    with torch.no_grad():
        torch.testing.assert_close(loaded(tokens, lengths).logits, model(tokens, lengths).logits)


@pytest.mark.parametrize("name", model_names())
def test_vision_model_round_trips(name, tmp_path):
    cfg = VisionConfig(widths=(4, 4, 8, 8), ran_width=0.03125, modules=())
    seed_everything(0)
    model = _randomise(build_vision(name, cfg, 1, 10))
    save_checkpoint(tmp_path / BEST, model)
    loaded = load_vision(name, cfg, 1, 10, tmp_path / BEST)
    x = torch.randn(2, 1, 28, 28)
    with torch.no_grad():
        torch.testing.assert_close(loaded(x), model(x))
