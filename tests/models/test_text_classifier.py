import pytest
import torch

from attnzoo.models.text_classifier import POOLINGS, TextClassifier, TextClassifierConfig, WordAttention

SMALL = {"vocab_size": 40, "embed_dim": 12, "hidden_size": 10, "attention_dim": 6}


def _model(pooling="attention", **kw):
    torch.manual_seed(0)
    return TextClassifier(TextClassifierConfig(**{**SMALL, "pooling": pooling, **kw})).eval()


def _batch():
    g = torch.Generator().manual_seed(1)
    lengths = torch.tensor([7, 3, 1, 5])
    tokens = torch.randint(2, 40, (4, 7), generator=g)
    tokens[torch.arange(7) >= lengths[:, None]] = 0
    return tokens, lengths


def test_defaults_are_the_seed_example():
    c = TextClassifierConfig()
    assert (c.vocab_size, c.embed_dim, c.hidden_size, c.attention_dim) == (10_000, 100, 150, 50)
    assert c.dropout == pytest.approx(1 - 0.8) and c.pooling == "attention"


@pytest.mark.parametrize("pooling", sorted(POOLINGS))
def test_shapes_and_gradients(pooling):
    m = _model(pooling).train()
    tokens, lengths = _batch()
    out = m(tokens, lengths, return_attention=True)
    assert out.logits.shape == (4, 2)
    assert (out.weights is not None) == (pooling == "attention")
    out.logits.sum().backward()
    for name, p in m.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
    assert m.embedding.weight.grad[0].abs().sum() == 0  # <pad> gets no gradient


def test_pads_get_exactly_zero_attention():
    m = _model()
    tokens, lengths = _batch()
    w = m(tokens, lengths, return_attention=True).weights
    real = torch.arange(7) < lengths[:, None]
    assert (w[~real] == 0).all()
    torch.testing.assert_close(w.sum(1), torch.ones(4))
    assert (w[real] > 0).all()


@pytest.mark.parametrize("pooling", sorted(POOLINGS))
@pytest.mark.parametrize("extra", [1, 9])
def test_padding_to_another_length_does_not_change_the_prediction(pooling, extra):
    m = _model(pooling)
    tokens, lengths = _batch()
    longer = torch.cat([tokens, torch.zeros(4, extra, dtype=torch.long)], 1)
    a, b = m(tokens, lengths, return_attention=True), m(longer, lengths, return_attention=True)
    torch.testing.assert_close(a.logits, b.logits, atol=1e-6, rtol=1e-5)
    if pooling == "attention":
        torch.testing.assert_close(a.weights, b.weights[:, :7], atol=1e-6, rtol=1e-5)
        assert (b.weights[:, 7:] == 0).all()
    single = torch.cat([m(tokens[i : i + 1, : lengths[i]], lengths[i : i + 1]).logits for i in range(4)])
    torch.testing.assert_close(single, a.logits, atol=1e-5, rtol=1e-5)  # alone, unpadded: same answer


def test_word_attention_matches_the_papers_formula():
    torch.manual_seed(0)
    att = WordAttention(6, 4)
    h = torch.randn(3, 5, 6)
    mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 0, 0, 0], [0, 0, 0, 0, 0]], dtype=torch.bool)
    s, alpha = att(h, mask, return_attention=True)
    u = torch.tanh(h @ att.proj.weight.T + att.proj.bias)  # u_t = tanh(W h_t + b)
    logits = (u @ att.context).masked_fill(~mask, float("-inf"))  # u_t . u_w
    ref = torch.nan_to_num(torch.softmax(logits, 1))  # the empty row: all-zero weights
    torch.testing.assert_close(alpha, ref)
    torch.testing.assert_close(s, (ref[..., None] * h).sum(1))
    torch.testing.assert_close(att(h, mask)[0], s)  # the fused path (no weights asked) agrees


@pytest.mark.parametrize("pooling", sorted(POOLINGS))
def test_empty_review_gives_the_bias_not_nan(pooling):
    m = _model(pooling)
    tokens, lengths = torch.zeros(2, 4, dtype=torch.long), torch.tensor([0, 0])
    out = m(tokens, lengths, return_attention=True)
    torch.testing.assert_close(out.logits, m.classifier.bias.expand(2, -1))
    if out.weights is not None:
        assert (out.weights == 0).all()


def test_lengths_inferred_from_trailing_pads():
    m = _model()
    tokens, lengths = _batch()
    torch.testing.assert_close(m(tokens).logits, m(tokens, lengths).logits)
    bad = tokens.clone()
    bad[0, 0] = 0
    with pytest.raises(ValueError, match="pads before real words"):
        m(bad)


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"pooling": "max"}, "unknown pooling 'max'; valid: attention, last, mean"),
        ({"hidden_size": 0}, "hidden_size must be a positive int"),
        ({"dropout": 1.0}, r"dropout must be in \[0, 1\)"),
        ({"num_classes": 1}, "num_classes must be >= 2"),
        ({"context_init": 0.0}, "context_init must be > 0"),
    ],
)
def test_config_errors(kw, match):
    with pytest.raises(ValueError, match=match):
        TextClassifierConfig(**kw)


def test_input_errors():
    m = _model()
    with pytest.raises(ValueError, match=r"tokens must be an integer tensor of shape \(B, S\)"):
        m(torch.randn(2, 3))
    with pytest.raises(ValueError, match=r"lengths must be in \[0, 3\]"):
        m(torch.ones(2, 3, dtype=torch.long), torch.tensor([2, 4]))
    with pytest.raises(ValueError, match=r"lengths must have shape \(2,\)"):
        m(torch.ones(2, 3, dtype=torch.long), torch.tensor([2]))


@pytest.mark.parametrize("pooling", sorted(POOLINGS))
def test_a_tiny_set_is_learned_exactly(pooling):
    # Label = whether the "good" word (id 2) or the "bad" word (id 3) appears, anywhere among filler words.
    g = torch.Generator().manual_seed(0)
    n, S = 32, 9
    lengths = torch.randint(3, S + 1, (n,), generator=g)
    tokens = torch.randint(4, 40, (n, S), generator=g)
    labels = torch.arange(n) % 2
    where = (torch.rand(n, generator=g) * lengths).long()
    tokens[torch.arange(n), where] = 3 - labels
    tokens[torch.arange(S) >= lengths[:, None]] = 0
    m = _model(pooling, dropout=0.0).train()
    opt = torch.optim.Adam(m.parameters(), lr=0.02)
    for _ in range(30):
        loss = torch.nn.functional.cross_entropy(m(tokens, lengths).logits, labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
    m.eval()
    assert (m(tokens, lengths).logits.argmax(1) == labels).all()
