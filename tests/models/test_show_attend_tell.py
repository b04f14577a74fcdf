import pytest
import torch
from safetensors.torch import load_file, save_file

from attnzoo.functional import get_normalizer
from attnzoo.models.show_attend_tell import (
    ShowAttendTell,
    ShowAttendTellConfig,
    doubly_stochastic_penalty,
    reinforce_surrogate,
)

V = 9


def _model(mode="soft", **kw):
    torch.manual_seed(0)
    cfg = dict(enc_channels=(8, 16), feat_dim=16, emb_dim=16, hidden_dim=32, att_dim=16)
    return ShowAttendTell(ShowAttendTellConfig(vocab_size=V, attention=mode, **{**cfg, **kw}))


def _batch(B=3, T=5, size=32):
    g = torch.Generator().manual_seed(1)
    tok = torch.randint(3, V, (B, T), generator=g)
    tok[:, 0] = 1
    return torch.rand(B, 1, size, size, generator=g), tok


@pytest.mark.parametrize("mode", ["soft", "hard"])
@pytest.mark.parametrize("training", [True, False])
def test_weights_sum_to_one_and_masked_regions_get_zero(mode, training):
    m = _model(mode).train(training)
    x, tok = _batch()
    L = 64  # 32x32 image, two 2x2 pools -> 8x8 grid
    mask = torch.rand(3, L, generator=torch.Generator().manual_seed(2)) > 0.5
    out = m(x, tok, region_mask=mask)
    assert out.alphas.shape == (3, 5, L)
    torch.testing.assert_close(out.alphas.sum(-1), torch.ones(3, 5))
    assert (out.alphas[~mask[:, None, :].expand_as(out.alphas)] == 0).all()
    assert ((out.betas > 0) & (out.betas < 1)).all()


def test_no_attention_uses_mean_feature():
    m = _model("none")
    x, tok = _batch()
    out = m(x, tok)
    assert (out.alphas == 0).all() and out.sample_log_prob is None


def test_coords_and_image_blind_init():
    m = _model(coords=True, init_from_mean=False).eval()
    x, tok = _batch()
    st = m.encode(x)
    torch.testing.assert_close(st["h"], st["h"][:1].expand_as(st["h"]))  # h_0 does not see the image
    assert m.encoder.net[0].in_channels == 3  # grey + x + y
    flat = torch.zeros_like(x)  # the coordinate maps still make the cells differ on a blank image
    assert m.encode(flat)["feats"].std(1).max() > 0
    assert m(x, tok).logits.shape == (3, 5, V)


def test_cell_coords_append_each_cells_centre():
    m = _model(cell_coords=True).eval()
    x, tok = _batch()  # 32x32 -> an 8x8 grid
    feats = m.encode(x)["feats"]
    assert feats.shape == (3, 64, 16 + 2)
    xy = feats[0, :, -2:].reshape(8, 8, 2)  # row-major cells: l = row * w + col
    centres = (torch.arange(8) + 0.5) / 4 - 1
    torch.testing.assert_close(xy[..., 0], centres.expand(8, 8))  # x runs along a row
    torch.testing.assert_close(xy[..., 1], centres[:, None].expand(8, 8))  # y down the columns
    torch.testing.assert_close(feats[:, :, -2:], feats[:1, :, -2:].expand(3, -1, -1))  # the same per image
    assert m(x, tok).logits.shape == (3, 5, V) and m.cell.input_size == 16 + 18


def test_doubly_stochastic_penalty_formula():
    g = torch.Generator().manual_seed(0)
    alphas = torch.softmax(torch.randn(2, 4, 6, generator=g), -1)
    steps = torch.tensor([[1, 1, 1, 0], [1, 1, 0, 0]], dtype=torch.bool)
    regions = torch.tensor([[1, 1, 1, 1, 1, 1], [1, 0, 1, 0, 1, 1]], dtype=torch.bool)
    got = doubly_stochastic_penalty(alphas, steps, regions)
    for b in range(2):
        want = sum(
            (1 - sum(float(alphas[b, t, i]) for t in range(4) if steps[b, t])) ** 2
            for i in range(6)
            if regions[b, i]
        )
        assert abs(float(got[b]) - want) < 1e-5


def test_doubly_stochastic_floor_has_no_gradient():
    """With T < L the penalty has a floor (L - T)^2 / L, but the gradient of sum_i (1 - S_i)^2 through the
    softmax equals that of the tau-normalised sum_i (T / L - S_i)^2: the floor is a constant (its size alone
    says nothing about how hard it pushes); what pushes is S_i's spread over the regions."""
    g = torch.Generator().manual_seed(0)
    T, L = 3, 8
    scores = torch.randn(2, T, L, generator=g, requires_grad=True)
    steps = torch.ones(2, T, dtype=torch.bool)
    (grad_paper,) = torch.autograd.grad(doubly_stochastic_penalty(scores.softmax(-1), steps).sum(), scores)
    s = scores.softmax(-1).sum(1)
    (grad_tau,) = torch.autograd.grad(((T / L - s) ** 2).sum(), scores)
    torch.testing.assert_close(grad_paper, grad_tau)
    assert grad_paper.abs().max() > 1e-3  # not vacuous: a non-uniform coverage is pushed
    flat = torch.zeros(1, T, L, requires_grad=True)  # uniform coverage sits at the floor, gradient 0
    pen = doubly_stochastic_penalty(flat.softmax(-1), steps[:1])
    assert abs(float(pen) - (L - T) ** 2 / L) < 1e-5
    (grad_flat,) = torch.autograd.grad(pen.sum(), flat)
    assert grad_flat.abs().max() < 1e-6


def test_frozen_encoder_gets_no_gradient_and_stays_in_eval():
    m = _model("soft", freeze_encoder=True).train()
    assert not m.encoder.training and m.cell.training
    x, tok = _batch()
    before = {k: v.clone() for k, v in m.encoder.state_dict().items()}
    loss = m.loss(m(x, tok), tok.roll(-1, 1))
    loss.loss.backward()
    assert all(p.grad is None for p in m.encoder.parameters())
    assert m.L_o.weight.grad is not None and m.L_o.weight.grad.abs().sum() > 0
    after = m.encoder.state_dict()  # BatchNorm's running statistics kept (eval mode)
    assert all(torch.equal(before[k], after[k]) for k in before)
    m.eval().train()
    assert not m.encoder.training


def test_loss_masks_padding_steps():
    m = _model("soft")
    x, tok = _batch()
    out = m(x, tok)
    tgt = tok.roll(-1, 1)
    tgt[:, -2:] = 0  # pad
    loss = m.loss(out, tgt)
    want = doubly_stochastic_penalty(out.alphas, tgt != 0).mean()
    torch.testing.assert_close(loss.penalty, want.detach())
    assert torch.isfinite(loss.loss)


@pytest.mark.parametrize("mode", ["soft", "hard", "none"])
def test_beam_one_equals_greedy(mode):
    m = _model(mode).eval()
    x, _ = _batch(B=4)
    a, b = m.generate(x, max_len=7), m.generate(x, max_len=7, beam_size=1)
    assert torch.equal(a.tokens, b.tokens) and torch.equal(a.lengths, b.lengths)
    assert a.alphas.shape == (4, a.tokens.shape[1], 64) and a.grid == (8, 8)
    c = m.generate(x, max_len=7, beam_size=3)
    assert c.tokens.shape[0] == 4


def test_hard_samples_and_log_probs():
    m = _model("hard", hard_soft_mix=0.0).train()
    x, tok = _batch()
    out = m(x, tok, generator=torch.Generator().manual_seed(0))
    assert out.sample_log_prob.shape == (3, 5) and out.entropy.shape == (3, 5) and out.hard_rows.all()
    # log p(s_t) is the log of one of alpha_t's entries, so <= 0 and matched by some region
    p = out.sample_log_prob.exp()
    assert ((out.alphas - p[..., None]).abs().min(-1).values < 1e-5).all()
    loss = m.loss(out, tok.roll(-1, 1), baseline=0.0)
    loss.loss.backward()
    assert m.score.score_proj.grad is not None and m.score.score_proj.grad.abs().sum() > 0
    mixed = _model("hard", hard_soft_mix=1.0).train()(x, tok)
    assert not mixed.hard_rows.any()


def test_reinforce_gradient_matches_formula():
    g = torch.Generator().manual_seed(3)
    scores = torch.randn(1, 1, 5, generator=g, requires_grad=True)
    s = get_normalizer("sample")(scores, None, generator=g)
    p = torch.softmax(scores.detach(), -1)[0, 0]
    entropy = -(torch.softmax(scores, -1) * torch.log_softmax(scores, -1)).sum(-1)  # (1, 1)
    R, b, lr, le = torch.tensor([-1.5]), 0.5, 0.7, 0.1
    loss = reinforce_surrogate(
        R, b, s.log_prob, entropy, torch.ones(1, 1), reinforce_weight=lr, entropy_weight=le
    )
    loss.backward()
    onehot = s.weights[0, 0]
    H = -(p * p.log()).sum()
    want = -(lr * (R - b) * (onehot - p) + le * (-p * (p.log() + H)))
    torch.testing.assert_close(scores.grad[0, 0], want)


def _tiny_set():
    """Four 16x16 images (one lit quadrant each, of its own brightness), a different caption each."""
    x = torch.zeros(4, 1, 16, 16)
    for k, (i, j) in enumerate([(0, 0), (0, 8), (8, 0), (8, 8)]):
        x[k, 0, i : i + 8, j : j + 8] = 0.25 * (k + 1)
    caps = torch.tensor([[3, 4, 5], [6, 7, 8], [4, 3, 8], [7, 6, 5]])
    bos, eos = torch.ones(4, 1, dtype=torch.long), torch.full((4, 1), 2)
    return x, torch.cat([bos, caps], 1), torch.cat([caps, eos], 1)


@pytest.mark.parametrize("mode", ["soft", "hard"])
def test_tiny_set_learned_and_save_load(mode, tmp_path):
    m = _model(mode)
    x, tin, tout = _tiny_set()
    opt = torch.optim.Adam(m.parameters(), lr=2e-2)
    baseline = 0.0
    for _ in range(100):
        loss = m.loss(m(x, tin), tout, baseline)
        opt.zero_grad()
        loss.loss.backward()
        opt.step()
        baseline = 0.9 * baseline + 0.1 * float(loss.reward.mean())
    m.eval()
    gen = m.generate(x, max_len=6)
    assert torch.equal(gen.tokens[:, :4], tout)
    save_file(m.state_dict(), tmp_path / "w.safetensors")
    m2 = _model(mode, **{})
    m2.load_state_dict(load_file(tmp_path / "w.safetensors"))
    m2.eval()
    assert torch.equal(m2.generate(x, max_len=6).tokens, gen.tokens)


def test_bad_config_and_input():
    with pytest.raises(ValueError, match="attention"):
        ShowAttendTellConfig(vocab_size=5, attention="stochastic")
    m = _model()
    with pytest.raises(ValueError, match="images"):
        m(torch.rand(2, 3, 32, 32), torch.ones(2, 3, dtype=torch.long))
    with pytest.raises(ValueError, match="region_mask"):
        m(
            torch.rand(2, 1, 32, 32),
            torch.ones(2, 3, dtype=torch.long),
            region_mask=torch.ones(2, 5, dtype=torch.bool),
        )
