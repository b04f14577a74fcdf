"""Attention OCR (Lee & Osindero 2016) and the CTC baseline."""

import math

import pytest
import torch
from safetensors.torch import save_file

from attnzoo.models.attention_ocr import (
    BOS,
    CTCOCR,
    EOS,
    PAD,
    AttentionOCR,
    AttentionOCRConfig,
    ctc_greedy_decode,
)
from attnzoo.train import load_weights

TINY = dict(
    vocab_size=10, height=16, channels=8, iterations=3, dim=16, hidden_dim=16, emb_dim=8, align_dim=16
)


def _batch(B=3, W=40, seed=0):
    g = torch.Generator().manual_seed(seed)
    images = torch.rand(B, 1, 16, W, generator=g)
    widths = torch.tensor([W, W - 13, 9][:B])
    return images, widths


@pytest.mark.parametrize("location", [False, True])
def test_attention_sums_to_one_on_real_columns_and_zero_on_padding(location):
    torch.manual_seed(0)
    m = AttentionOCR(AttentionOCRConfig(**TINY, location=location)).eval()
    images, widths = _batch()
    tokens_in = torch.tensor([[BOS, 4, 5, 6], [BOS, 7, 8, PAD], [BOS, 9, PAD, PAD]])
    out = m(images, widths, tokens_in)
    assert out.logits.shape == (3, 4, 10) and out.attention.shape == (3, 4, 10)
    assert out.mask.sum(1).tolist() == (widths // 4).tolist()
    assert torch.allclose(out.attention.sum(-1), torch.ones(3, 4), atol=1e-5)
    pad = ~out.mask[:, None, :].expand_as(out.attention)
    assert pad.any() and torch.all(out.attention[pad] == 0)


@pytest.mark.parametrize("location", [False, True])
def test_padding_does_not_change_a_reading(location):
    torch.manual_seed(0)
    m = AttentionOCR(AttentionOCRConfig(**TINY, location=location)).eval()
    images, widths = _batch()
    tokens_in = torch.tensor([[BOS, 4, 5]] * 3)
    batched = m(images, widths, tokens_in)
    alone = m(images[1:2, :, :, : widths[1]], widths[1:2], tokens_in[1:2])
    S = int(alone.mask.sum())
    assert torch.allclose(batched.logits[1], alone.logits[0], atol=1e-5)
    assert torch.allclose(batched.attention[1, :, :S], alone.attention[0], atol=1e-5)


def test_location_aware_scores_use_the_previous_weights():
    """With location=True the second step's weights depend on the first step's (Chorowski et al. 2015)."""
    torch.manual_seed(0)
    m = AttentionOCR(AttentionOCRConfig(**TINY, location=True)).eval()
    images, widths = _batch()
    state = m.encode(images, widths)
    assert torch.equal(state["prev"][:, 0], torch.ones(3)) and state["prev"][:, 1:].abs().sum() == 0
    _, st, w1 = m.step(torch.full((3,), BOS), state)
    assert torch.equal(st["prev"], w1)
    _, _, w2 = m.step(torch.full((3,), 4), st)
    _, _, w2_other = m.step(torch.full((3,), 4), {**st, "prev": state["prev"]})
    assert not torch.allclose(w2, w2_other)
    with pytest.raises(ValueError, match="location_width"):
        AttentionOCRConfig(**TINY, location=True, location_width=4)


def test_recursive_cnn_shares_weights():
    rec = AttentionOCR(AttentionOCRConfig(**TINY, shared=True))
    plain = AttentionOCR(AttentionOCRConfig(**TINY, shared=False))
    for block in (rec.encoder.cnn.rec1, rec.encoder.cnn.rec2):
        convs = [block.conv_at(t) for t in range(block.iterations)]
        assert all(c.weight is convs[0].weight for c in convs)
    for block in (plain.encoder.cnn.rec1, plain.encoder.cnn.rec2):
        ids = {id(block.conv_at(t).weight) for t in range(block.iterations)}
        assert len(ids) == block.iterations
    n = lambda mod: sum(p.numel() for p in mod.parameters())  # noqa: E731
    C, T = TINY["channels"], TINY["iterations"]
    conv_params = 9 * C * C + 9 * (2 * C) * (2 * C)
    assert n(plain) - n(rec) == (T - 1) * conv_params


def test_gradients_reach_the_shared_convolution():
    m = AttentionOCR(AttentionOCRConfig(**TINY))
    images, widths = _batch()
    out = m(images, widths, torch.tensor([[BOS, 4]] * 3))
    out.logits.sum().backward()
    assert m.encoder.cnn.rec1.conv_at(0).weight.grad.abs().sum() > 0


def _toy_task(n=16, seed=0):
    """Images that spell a 'word' in blocks: character 4 + k is a block in rows 4k .. 4k + 3 of its slot."""
    g = torch.Generator().manual_seed(seed)
    images = 0.05 * torch.rand(n, 1, 16, 40, generator=g)
    words = []
    for b in range(n):
        L = int(torch.randint(1, 4, (1,), generator=g))
        chars = torch.randint(4, 8, (L,), generator=g).tolist()
        for j, c in enumerate(chars):
            images[b, 0, 4 * (c - 4) : 4 * (c - 3), 12 * j + 2 : 12 * j + 10] = 1.0
        words.append(chars)
    widths = torch.full((n,), 40)
    targets = torch.full((n, 4), PAD)
    for b, w in enumerate(words):
        targets[b, : len(w) + 1] = torch.tensor([*w, EOS])
    return images, widths, targets, words


def test_tiny_set_learned_and_save_load_same_reading(tmp_path):
    torch.manual_seed(0)
    small = {**TINY, "iterations": 2, "dropout": 0.0}
    m = AttentionOCR(AttentionOCRConfig(**small))
    images, widths, targets, words = _toy_task()
    tokens_in = torch.cat([torch.full((len(words), 1), BOS), targets[:, :-1]], 1).masked_fill_(
        torch.cat([torch.zeros(len(words), 1, dtype=torch.bool), targets[:, :-1] == EOS], 1), PAD
    )
    opt = torch.optim.Adam(m.parameters(), lr=2e-2)
    for _ in range(60):
        out = m(images, widths, tokens_in)
        loss = torch.nn.functional.cross_entropy(
            out.logits.flatten(0, 1), targets.flatten(), ignore_index=PAD
        )
        opt.zero_grad()
        loss.backward()
        opt.step()
    m.eval()
    r = m.read(images, widths)
    got = [row[:n].tolist() for row, n in zip(r.tokens, r.lengths, strict=True)]
    assert got == words
    beam = m.read(images, widths, beam_size=3)
    assert [row[:n].tolist() for row, n in zip(beam.tokens, beam.lengths, strict=True)] == words

    save_file(m.state_dict(), tmp_path / "m.safetensors")
    m2 = AttentionOCR(AttentionOCRConfig(**small))
    load_weights(m2, tmp_path / "m.safetensors")
    r2 = m2.eval().read(images, widths)
    assert torch.equal(r2.tokens, r.tokens) and torch.allclose(r2.attention, r.attention)


def test_ctc_loss_falls_on_the_tiny_set():
    torch.manual_seed(0)
    m = CTCOCR(AttentionOCRConfig(**{**TINY, "iterations": 2, "dropout": 0.0}))
    images, widths, targets, words = _toy_task()
    lengths = torch.tensor([len(w) for w in words])
    opt = torch.optim.Adam(m.parameters(), lr=2e-2)
    losses = []
    for _ in range(40):
        loss = m.loss(m(images, widths), targets, lengths)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.75 * losses[0]
    assert len(m.eval().read(images, widths)) == len(words)


def test_ctc_greedy_decode_hand_made():
    # columns: a a _ a b b _ _ c  -> "a a b c" with the blank separating the repeated a
    V = 6
    path = [[3, 3, 0, 3, 4, 4, 0, 0, 5], [0, 0, 4, 4, 4, 0, 0, 0, 0]]
    lp = torch.full((2, 9, V), -10.0)
    for b, row in enumerate(path):
        for s, i in enumerate(row):
            lp[b, s, i] = 0.0
    assert ctc_greedy_decode(lp, torch.tensor([9, 9])) == [[3, 3, 4, 5], [4]]
    assert ctc_greedy_decode(lp, torch.tensor([2, 9])) == [[3], [4]]  # columns past the length ignored
    with pytest.raises(ValueError, match="lengths"):
        ctc_greedy_decode(lp, torch.tensor([9]))
    ctc = CTCOCR(AttentionOCRConfig(**TINY))
    loss = ctc.loss(ctc(*_batch()), torch.tensor([[4, 5]] * 3), torch.tensor([2, 2, 1]))
    assert math.isfinite(loss.item())


def test_config_errors_name_the_field():
    with pytest.raises(ValueError, match="height"):
        AttentionOCRConfig(vocab_size=10, height=30)
    with pytest.raises(ValueError, match="vocab_size"):
        AttentionOCRConfig(vocab_size=2)
    m = AttentionOCR(AttentionOCRConfig(**TINY))
    with pytest.raises(ValueError, match="images"):
        m(torch.zeros(2, 1, 32, 40), torch.tensor([40, 40]), torch.tensor([[BOS]] * 2))


def test_special_ids_match_the_char_vocab():
    from attnzoo.data.text_images import CharVocab

    assert (PAD, BOS, EOS) == (CharVocab.PAD, CharVocab.BOS, CharVocab.EOS)
