"""Transformer layers, stacks and model: torch equivalence, causality, padding, cache, decoding."""

import pytest
import torch
from torch import nn

from attnzoo.nn import (
    PositionwiseFeedForward,
    Transformer,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
    beam_search,
    convert_torch_mask,
    greedy_search,
)

D, H, F = 16, 4, 32


def test_feedforward_is_the_papers_formula():
    ff = PositionwiseFeedForward(D, F)
    x = torch.randn(2, 3, D)
    expect = torch.relu(x @ ff.linear1.weight.T + ff.linear1.bias) @ ff.linear2.weight.T + ff.linear2.bias
    torch.testing.assert_close(ff(x), expect)
    assert PositionwiseFeedForward().linear1.weight.shape == (2048, 512)
    with pytest.raises(ValueError, match="unknown activation"):
        PositionwiseFeedForward(activation="swishy")


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("train", [False, True])
def test_encoder_layer_from_torch(norm_first, activation, batch_first, train):
    torch.manual_seed(0)
    ref = nn.TransformerEncoderLayer(
        D,
        H,
        F,
        dropout=0.0 if train else 0.1,
        activation=activation,
        batch_first=batch_first,
        norm_first=norm_first,
    ).train(train)
    ours = TransformerEncoderLayer.from_torch(ref).train(train)
    x = torch.randn(3, 6, D)
    kpm = torch.tensor([[False] * 6, [False] * 4 + [True] * 2, [False] * 5 + [True]])  # torch: True = pad
    am = torch.rand(6, 6) > 0.7
    am.fill_diagonal_(False)
    tx = x if batch_first else x.transpose(0, 1)
    a = ref(tx, src_mask=am, src_key_padding_mask=kpm)
    a = a if batch_first else a.transpose(0, 1)
    b = ours(x, mask=convert_torch_mask(am), key_padding_mask=convert_torch_mask(kpm)).output
    real = ~kpm  # torch's eval fast path may leave padded positions different
    torch.testing.assert_close(b[real], a[real], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("train", [False, True])
def test_decoder_layer_from_torch(norm_first, train):
    torch.manual_seed(0)
    ref = nn.TransformerDecoderLayer(
        D, H, F, dropout=0.0 if train else 0.1, batch_first=True, norm_first=norm_first
    ).train(train)
    ours = TransformerDecoderLayer.from_torch(ref).train(train)
    y, mem = torch.randn(2, 5, D), torch.randn(2, 7, D)
    mkpm = torch.tensor([[False] * 7, [False] * 4 + [True] * 3])
    causal = nn.Transformer.generate_square_subsequent_mask(5, dtype=torch.bool)
    a = ref(y, mem, tgt_mask=causal, tgt_is_causal=True, memory_key_padding_mask=mkpm)
    b = ours(y, mem, tgt_is_causal=True, memory_key_padding_mask=convert_torch_mask(mkpm)).output
    torch.testing.assert_close(b, a, atol=1e-5, rtol=1e-5)
    default = ours(y, mem, memory_key_padding_mask=convert_torch_mask(mkpm)).output  # causal by default
    torch.testing.assert_close(default, b)


def test_stacks_from_torch():
    torch.manual_seed(0)
    enc = nn.TransformerEncoder(
        nn.TransformerEncoderLayer(D, H, F, batch_first=True, norm_first=True),
        2,
        norm=nn.LayerNorm(D),
        enable_nested_tensor=False,
    ).eval()
    dec = nn.TransformerDecoder(nn.TransformerDecoderLayer(D, H, F, batch_first=True), 2).eval()
    x, y = torch.randn(2, 6, D), torch.randn(2, 4, D)
    ours_enc, ours_dec = TransformerEncoder.from_torch(enc).eval(), TransformerDecoder.from_torch(dec).eval()
    mem = enc(x)
    torch.testing.assert_close(ours_enc(x).output, mem, atol=1e-5, rtol=1e-5)
    ref = dec(y, mem, tgt_mask=nn.Transformer.generate_square_subsequent_mask(4), tgt_is_causal=True)
    torch.testing.assert_close(ours_dec(y, mem).output, ref, atol=1e-5, rtol=1e-5)


def test_stack_layers_start_different_and_return_every_map():
    enc = TransformerEncoder(TransformerEncoderLayer(D, H, F), 3)
    w = [lay.self_attn.in_proj_weight for lay in enc.layers]
    assert not torch.equal(w[0], w[1]) and not torch.equal(w[1], w[2])
    out = enc(torch.randn(2, 5, D), return_attention=True, average_weights=False)
    assert len(out.weights) == 3 and out.weights[0].shape == (2, H, 5, 5) and out.cache is None


def test_encoder_is_permutation_equivariant_without_positions():
    torch.manual_seed(0)
    enc = TransformerEncoder(TransformerEncoderLayer(D, H, F), 2).eval()
    x = torch.randn(2, 7, D)
    perm = torch.randperm(7)
    torch.testing.assert_close(enc(x[:, perm]).output, enc(x).output[:, perm], atol=1e-5, rtol=1e-5)


def _model(**kw):
    torch.manual_seed(0)
    cfg = dict(d_model=D, num_heads=H, num_encoder_layers=2, num_decoder_layers=2, d_ff=F, max_len=64)
    return Transformer(11, 11, **{**cfg, **kw}).eval()


@pytest.mark.parametrize("positional", ["sinusoidal", "learned", "rotary"])
def test_decoder_is_causal(positional):
    m = _model(positional=positional)
    memory = m.encode(torch.randint(0, 11, (1, 6))).output
    onehot = nn.functional.one_hot(torch.randint(0, 11, (1, 5)), 11).float().requires_grad_()
    h = onehot @ m.tgt_embed.weight * D**0.5  # what the model's embedding does, differentiable in tokens
    h = h if m.positional is None else m.positional(h)
    out = m.output(m.decoder(h, memory).output)
    for i in range(5):
        (g,) = torch.autograd.grad(out[0, i].sum(), onehot, retain_graph=True)
        assert torch.all(g[0, i + 1 :] == 0) and g[0, : i + 1].abs().sum() > 0


def test_source_padding_does_not_change_the_output():
    m = _model()
    src = torch.randint(1, 11, (2, 5))
    tgt = torch.randint(1, 11, (2, 4))
    padded = torch.cat([src, torch.randint(1, 11, (2, 3))], dim=1)
    kpm = (torch.arange(8) < 5).expand(2, 8)
    a = m(src, tgt).logits
    b = m(padded, tgt, src_key_padding_mask=kpm).logits
    torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("positional", ["sinusoidal", "rotary"])
@pytest.mark.parametrize("norm_first", [False, True])
def test_cached_decoding_equals_full_forward(positional, norm_first):
    m = _model(positional=positional, norm_first=norm_first)
    src, tgt = torch.randint(0, 11, (2, 6)), torch.randint(0, 11, (2, 5))
    kpm = torch.tensor([[True] * 6, [True] * 4 + [False] * 2])
    full = m(src, tgt, src_key_padding_mask=kpm).logits
    mem = m.encode(src, src_key_padding_mask=kpm).output
    cache, steps = m.decoder.init_cache(mem), []
    for t in range(5):
        out = m.decode(tgt[:, t : t + 1], None, memory_key_padding_mask=kpm, cache=cache)
        cache = out.cache
        steps.append(out.output)
    torch.testing.assert_close(torch.cat(steps, 1), full, atol=1e-5, rtol=1e-5)


def test_model_returns_every_layers_maps_and_ties_weights():
    m = _model(share_embeddings=True)
    assert m.src_embed is m.tgt_embed and m.output.weight is m.tgt_embed.weight
    out = m(torch.randint(0, 11, (2, 6)), torch.randint(0, 11, (2, 4)), return_attention=True)
    assert out.logits.shape == (2, 4, 11)
    assert [w.shape for w in out.encoder_weights] == [(2, 6, 6)] * 2
    assert [w.shape for w in out.decoder_self_weights] == [(2, 4, 4)] * 2
    assert [w.shape for w in out.decoder_cross_weights] == [(2, 4, 6)] * 2
    assert torch.all(out.decoder_self_weights[0].triu(1) == 0)
    untied = _model(tie_output=False)
    assert untied.output.weight is not untied.tgt_embed.weight
    with pytest.raises(ValueError, match="share_embeddings"):
        Transformer(5, 6, share_embeddings=True)
    with pytest.raises(ValueError, match="unknown positional"):
        Transformer(5, 6, positional="spiral")


def test_cached_generate_equals_uncached_search():
    m = _model()
    src = torch.randint(1, 11, (3, 6))
    mem = m.encode(src).output

    def step(tokens, state):  # the reference: no cache, re-decode the whole prefix at every step
        prefix, memory = state
        prefix = torch.cat([prefix, tokens[:, None]], dim=1)
        return torch.log_softmax(m.decode(prefix, memory).output[:, -1], -1), (prefix, memory)

    start = (torch.zeros(3, 0, dtype=torch.long), mem)
    g = m.generate(src, bos=1, eos=2, max_len=6)
    assert torch.equal(g.tokens, greedy_search(step, start, bos=1, eos=2, max_len=6).tokens)
    one = beam_search(step, start, bos=1, eos=2, beam_size=1, max_len=6)
    assert torch.equal(one.tokens, g.tokens)
    b4 = m.generate(src, bos=1, eos=2, max_len=6, beam_size=4, length_penalty=0.6)
    ref = beam_search(step, start, bos=1, eos=2, beam_size=4, max_len=6, length_penalty=0.6)
    assert torch.equal(b4.tokens, ref.tokens)
    torch.testing.assert_close(b4.scores, ref.scores)
