"""BPE tokenisers trained on sentence pairs and bucketed batches of ``attnzoo.data.seq2seq``."""

import pytest

from attnzoo.data import bucket_pairs, train_pair_tokenizers
from attnzoo.data.subword import BOS_ID, EOS_ID, PAD_ID

PAIRS = [
    (f"the {a} cat sees the {b} dog", f"le chat {a} voit le chien {b}")
    for a in ("small", "big", "old", "young", "black", "white")
    for b in ("red", "brown", "grey", "happy")
] + [("hello", "bonjour"), ("a very long sentence indeed with many words", "une phrase très longue")]


def test_every_pair_is_in_one_batch_and_decodes_back():
    src_tok, tgt_tok = train_pair_tokenizers(PAIRS, vocab_size=60)
    batches = bucket_pairs(PAIRS, src_tok, tgt_tok, batch_size=5, seed=0)
    seen = sorted(i for b in batches for i in b.index.tolist())
    assert seen == list(range(len(PAIRS)))
    for b in batches:
        assert b.src.shape[0] <= 5
        assert (b.tgt_in[:, 0] == BOS_ID).all()
        for row, i in enumerate(b.index.tolist()):
            n = int(b.src_lengths[row])
            assert int(b.src[row, n - 1]) == EOS_ID and (b.src[row, n:] == PAD_ID).all()
            assert src_tok.decode(b.src[row, : n - 1].tolist()) == PAIRS[i][0]
            t = int(b.tgt_lengths[row])
            assert tgt_tok.decode(b.tgt_out[row, : t - 1].tolist()) == PAIRS[i][1]
    lengths = [int(b.src_lengths.max()) for b in batches]
    assert lengths == sorted(lengths)  # shortest first: little padding
    again = bucket_pairs(PAIRS, src_tok, tgt_tok, batch_size=5, seed=0)
    assert [b.index.tolist() for b in again] == [b.index.tolist() for b in batches]


def test_no_pairs_is_a_clear_error():
    with pytest.raises(ValueError, match="at least one"):
        train_pair_tokenizers([], vocab_size=50)
