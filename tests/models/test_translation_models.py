"""The translation models: shapes, attention rows, padding, decoding, overfitting a few pairs."""

import pytest
import torch

from attnzoo.data.batching import collate_pairs
from attnzoo.models.bahdanau import Bahdanau, BahdanauConfig
from attnzoo.models.encdec import generate
from attnzoo.models.luong import Luong, LuongConfig
from attnzoo.models.seq2seq import Seq2Seq, Seq2SeqConfig

try:
    from attnzoo.models.transformer import TransformerSeq2Seq, TransformerSeq2SeqConfig
except ImportError:  # attnzoo.nn.Transformer not on this branch yet
    TransformerSeq2Seq = TransformerSeq2SeqConfig = None

V = 16


def _luong(score):
    return lambda d=0.0: Luong(LuongConfig(V, V, score=score, emb_dim=16, hidden_dim=24, dropout=d))


BUILDERS = {
    "seq2seq": lambda d=0.0: Seq2Seq(
        Seq2SeqConfig(V, V, emb_dim=16, hidden_dim=24, context_dim=24, maxout_dim=16, dropout=d)
    ),
    "bahdanau": lambda d=0.0: Bahdanau(
        BahdanauConfig(V, V, emb_dim=16, hidden_dim=24, align_dim=16, maxout_dim=16, dropout=d)
    ),
    **{f"luong-{s}": _luong(s) for s in ("dot", "general", "concat")},
}
if TransformerSeq2Seq is not None:
    BUILDERS["transformer"] = lambda d=0.0: TransformerSeq2Seq(
        TransformerSeq2SeqConfig(V, V, emb_dim=16, num_heads=2, num_layers=2, hidden_dim=32, dropout=d)
    )
ATTENTIVE = [n for n in BUILDERS if n != "seq2seq"]


def _batch(seed=0):
    g = torch.Generator().manual_seed(seed)
    src = [torch.randint(4, V, (n,), generator=g).tolist() for n in (6, 3, 1, 4)]
    tgt = [torch.randint(4, V, (n,), generator=g).tolist() for n in (4, 5, 2, 1)]
    return collate_pairs(src, tgt)


def _model(name, seed=0, dropout=0.0):
    torch.manual_seed(seed)
    return BUILDERS[name](dropout).eval()


@pytest.mark.parametrize("name", list(BUILDERS))
def test_shapes_and_gradients(name):
    b = _batch()
    m = _model(name).train()
    out = m(b.src, b.src_lengths, b.tgt_in, return_attention=True)
    assert out.logits.shape == (4, b.tgt_in.shape[1], V)
    assert (out.attention is None) == (name == "seq2seq")
    out.logits.sum().backward()
    assert all(p.grad is not None for n, p in m.named_parameters() if "embed" not in n or p.grad is not None)
    assert (
        sum(p.grad.abs().sum() > 0 for p in m.parameters() if p.grad is not None)
        >= len(list(m.parameters())) - 1
    )


@pytest.mark.parametrize("name", ATTENTIVE)
def test_attention_rows_sum_to_one_and_padding_gets_zero(name):
    b = _batch()
    att = _model(name)(b.src, b.src_lengths, b.tgt_in, return_attention=True).attention
    assert att.shape == (4, b.tgt_in.shape[1], b.src.shape[1])
    torch.testing.assert_close(att.sum(-1), torch.ones(att.shape[:2]))
    pad = b.src == 0  # (B, S)
    assert pad.any() and torch.all(att.masked_select(pad[:, None, :].expand_as(att)) == 0)


@pytest.mark.parametrize("name", list(BUILDERS))
def test_padding_does_not_change_a_sentence(name):
    b = _batch()
    m = _model(name)
    full = m(b.src, b.src_lengths, b.tgt_in, return_attention=True)
    k = 2  # the 3-token source, padded to 7 in the batch
    n, t = int(b.src_lengths[k]), int(b.tgt_lengths[k])
    alone = m(b.src[k : k + 1, :n], b.src_lengths[k : k + 1], b.tgt_in[k : k + 1, :t], return_attention=True)
    torch.testing.assert_close(full.logits[k, :t], alone.logits[0], atol=1e-5, rtol=1e-4)
    if alone.attention is not None:
        torch.testing.assert_close(full.attention[k, :t, :n], alone.attention[0], atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("name", list(BUILDERS))
def test_step_by_step_matches_teacher_forcing(name):
    """Incremental decoding (the search's path) computes what the teacher-forced forward computes."""
    b = _batch()
    m = _model(name)
    full = m(b.src, b.src_lengths, b.tgt_in, return_attention=True)
    state = m.encode(b.src, b.src_lengths)
    for t in range(b.tgt_in.shape[1]):
        out = m.step(b.tgt_in[:, t], state)
        state = out.state
        torch.testing.assert_close(out.logits, full.logits[:, t], atol=1e-5, rtol=1e-4)
        if full.attention is not None:
            torch.testing.assert_close(out.attention, full.attention[:, t], atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("name", list(BUILDERS))
def test_beam_one_equals_greedy(name):
    b = _batch()
    m = _model(name, seed=1)
    greedy = generate(m, b.src, b.src_lengths, bos=2, eos=3, max_len=8)
    beam = generate(m, b.src, b.src_lengths, bos=2, eos=3, max_len=8, beam_size=1)
    assert torch.equal(greedy.tokens, beam.tokens)
    torch.testing.assert_close(greedy.scores, beam.scores)


@pytest.mark.parametrize("name", list(BUILDERS))
def test_decoding_never_emits_pad_or_bos(name):
    b = _batch()
    res = generate(_model(name, seed=2), b.src, b.src_lengths, bos=2, eos=3, max_len=6, beam_size=3)
    body = [res.tokens[i, : int(res.lengths[i])] for i in range(4)]
    assert all(not ({0, 2} & set(x.tolist())) for x in body)


@pytest.mark.parametrize("name", list(BUILDERS))
def test_overfits_a_handful_of_pairs(name):
    """Four random pairs are learned exactly: greedy decoding reproduces every target."""
    b = _batch(seed=5)
    m = _model(name, seed=0).train()
    opt = torch.optim.Adam(m.parameters(), lr=1e-2)
    for _ in range(100):
        logits = m(b.src, b.src_lengths, b.tgt_in).logits
        loss = torch.nn.functional.cross_entropy(logits.flatten(0, 1), b.tgt_out.flatten(), ignore_index=0)
        opt.zero_grad()
        loss.backward()
        opt.step()
    m.eval()
    res = generate(m, b.src, b.src_lengths, bos=2, eos=3, max_len=8)
    for i in range(4):
        n = int(b.tgt_lengths[i])
        assert res.tokens[i, :n].tolist() == b.tgt_out[i, :n].tolist(), f"pair {i} not learned"


@pytest.mark.parametrize("name", list(BUILDERS))
def test_forward_keeps_no_state_on_self(name):
    b = _batch()
    m = _model(name)
    before = set(vars(m))
    a1 = m(b.src, b.src_lengths, b.tgt_in).logits
    a2 = m(b.src, b.src_lengths, b.tgt_in).logits
    assert set(vars(m)) == before and torch.equal(a1, a2)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: BahdanauConfig(0, 5), "src_vocab"),
        (lambda: Seq2SeqConfig(5, 5, dropout=1.0), "dropout"),
        (lambda: LuongConfig(5, 5, score="bilinear"), "score"),
        (lambda: LuongConfig(5, 5, num_layers=0), "num_layers"),
    ],
)
def test_config_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_inputs_are_named():
    m = _model("bahdanau")
    b = _batch()
    with pytest.raises(ValueError, match="src_lengths"):
        m(b.src, b.src_lengths[:2], b.tgt_in)
    with pytest.raises(ValueError, match="src must be"):
        m(b.src.float(), b.src_lengths, b.tgt_in)
