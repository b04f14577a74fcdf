"""One model of each family compiles with ``torch.compile(fullgraph=True)`` (issue 18, item 3).

Text (the bi-GRU classifier), translation (the Transformer, Bahdanau's whole forward and the recurrent
models' encoder; their decoder step is in test_compile.py), and the recurrent visual
attention models (RAM, DRAW, Show-Attend-Tell, attention OCR), each one forward on tiny inputs with the
``eager`` backend (dynamo's tracing, where graph breaks come from). ``nn.GRU`` is captured only with
``torch._dynamo.config.allow_rnn = True`` (off by default in torch 2.x), which the RNN tests set. Under
compilation the models skip their data-dependent input checks, and the bi-GRUs run unpacked
(``_bigru_padded``), which must equal the packed path.
"""

from __future__ import annotations

import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from attnzoo.models._rnn import _bigru_padded, _RNNEncoder
from attnzoo.models.attention_ocr import BOS, PAD, AttentionOCR, AttentionOCRConfig
from attnzoo.models.bahdanau import Bahdanau, BahdanauConfig
from attnzoo.models.draw import DRAW, DRAWConfig
from attnzoo.models.ram import RAM, RAMConfig
from attnzoo.models.show_attend_tell import ShowAttendTell, ShowAttendTellConfig
from attnzoo.models.text_classifier import TextClassifier, TextClassifierConfig
from attnzoo.models.transformer import TransformerSeq2Seq, TransformerSeq2SeqConfig

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.fixture(autouse=True)
def _rnn_capture(monkeypatch, fresh_dynamo):
    monkeypatch.setattr(torch._dynamo.config, "allow_rnn", True)


def _fields(out):
    return tuple(x for x in out if x is not None)


def _same(fn, *args):
    """Compiled and eager outputs agree (same seed before each: RAM and DRAW sample)."""
    compiled = torch.compile(fn, fullgraph=True, backend="eager")
    torch.manual_seed(1)
    got = _fields(compiled(*args))
    torch.manual_seed(1)
    want = _fields(fn(*args))
    assert len(got) == len(want)
    torch.testing.assert_close(got, want)


def _packed(rnn, x, lengths):
    packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    out, h_n = rnn(packed)
    return pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])[0], h_n


def test_unpacked_bigru_equals_packed_values_and_gradients():
    torch.manual_seed(0)
    rnn = torch.nn.GRU(3, 4, batch_first=True, bidirectional=True)
    x = torch.randn(4, 6, 3, requires_grad=True)
    lengths = torch.tensor([6, 1, 4, 2])
    ref_out, ref_h = _packed(rnn, x, lengths)
    (ref_out.sum() + ref_h.pow(2).sum()).backward()
    ref_grads = [x.grad.clone(), *(p.grad.clone() for p in rnn.parameters())]
    x.grad = None
    rnn.zero_grad()
    out, h_n = _bigru_padded(rnn, x, lengths)
    torch.testing.assert_close(out, ref_out)
    torch.testing.assert_close(h_n, ref_h)
    (out.sum() + h_n.pow(2).sum()).backward()
    torch.testing.assert_close([x.grad, *(p.grad for p in rnn.parameters())], ref_grads)


def test_text_classifier_variable_lengths():
    torch.manual_seed(0)
    cfg = TextClassifierConfig(vocab_size=20, embed_dim=8, hidden_size=8, attention_dim=8, dropout=0.0)
    model = TextClassifier(cfg).eval()
    tokens = torch.randint(2, 20, (3, 6))
    tokens[1, 4:] = 0
    tokens[2, :] = 0  # an empty review
    _same(lambda t, n: model(t, n, return_attention=True), tokens, torch.tensor([6, 4, 0]))


def test_rnn_encoder_of_the_recurrent_translators():
    torch.manual_seed(0)
    enc = _RNNEncoder(30, 8, 8).eval()
    _same(lambda s, n: enc(s, n), torch.randint(3, 30, (3, 6)), torch.tensor([6, 2, 5]))


def test_transformer_translator():
    torch.manual_seed(0)
    cfg = TransformerSeq2SeqConfig(30, 30, emb_dim=16, num_heads=2, num_layers=1, hidden_dim=32, dropout=0.0)
    model = TransformerSeq2Seq(cfg).eval()
    src, tgt = torch.randint(3, 30, (2, 6)), torch.randint(3, 30, (2, 5))
    _same(lambda s, n, t: model(s, n, t, return_attention=True), src, torch.tensor([6, 4]), tgt)


@pytest.mark.slow
def test_bahdanau_whole_forward():
    torch.manual_seed(0)
    cfg = BahdanauConfig(30, 30, emb_dim=8, hidden_dim=8, align_dim=8, maxout_dim=8, dropout=0.0)
    model = Bahdanau(cfg).eval()
    src, tgt = torch.randint(3, 30, (2, 6)), torch.randint(3, 30, (2, 5))
    _same(lambda s, n, t: model(s, n, t, return_attention=True), src, torch.tensor([6, 4]), tgt)


def test_ram():
    torch.manual_seed(0)
    cfg = RAMConfig(
        start="learned", image_size=16, patch_size=4, num_scales=2, glimpses=3, glimpse_hidden=16,
        glimpse_out=32, hidden=32,
    )  # fmt: skip
    model = RAM(cfg).train()  # sampled locations: the REINFORCE path
    _same(model, torch.rand(2, 1, 16, 16))


@pytest.mark.slow
def test_draw():
    torch.manual_seed(0)
    cfg = DRAWConfig(height=8, width=10, steps=4, enc_hidden=16, dec_hidden=16, z_dim=3, read_n=2, write_n=3)
    model = DRAW(cfg)
    _same(model, (torch.rand(2, 1, 8, 10) > 0.5).float())


@pytest.mark.slow
def test_show_attend_tell():
    torch.manual_seed(0)
    cfg = ShowAttendTellConfig(
        vocab_size=9, attention="soft", enc_channels=(8, 16), feat_dim=16, emb_dim=16, hidden_dim=32,
        att_dim=16,
    )  # fmt: skip
    model = ShowAttendTell(cfg).eval()
    tokens = torch.randint(3, 9, (2, 5))
    tokens[:, 0] = 1
    _same(model, torch.rand(2, 1, 32, 32), tokens)


@pytest.mark.slow
def test_attention_ocr():
    torch.manual_seed(0)
    cfg = AttentionOCRConfig(
        vocab_size=10, height=16, channels=8, iterations=3, dim=16, hidden_dim=16, emb_dim=8, align_dim=16
    )
    model = AttentionOCR(cfg).eval()
    tokens_in = torch.tensor([[BOS, 4, 5, 6], [BOS, 7, 8, PAD]])
    _same(model, torch.rand(2, 1, 16, 40), torch.tensor([40, 27]), tokens_in)
