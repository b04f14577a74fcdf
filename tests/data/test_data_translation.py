"""Translation data: dedupe, split by source, length filters, subsets, SentencePiece, bucketed batches."""

import random

import pytest
import torch

from attnzoo.data import is_fetched, read_tatoeba
from attnzoo.data.batching import BatchDataset, bucket_batches, collate_pairs
from attnzoo.data.subword import BOS_ID, EOS_ID, PAD_ID, UNK_ID, SubwordTokenizer
from attnzoo.data.translation import (
    dedupe_pairs,
    filter_by_length,
    group_references,
    source_key,
    split_pairs,
    subsample,
)

NAMES = ["Tom", "Mary", "John", "Alice", "the cat", "my dog", "her brother", "our teacher"]
VERBS = [("sees", "voit"), ("likes", "aime"), ("chases", "poursuit"), ("helps", "aide"), ("calls", "appelle")]


def _pairs(n=400, seed=0):
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        a, b = rng.sample(NAMES, 2)
        en, fr = rng.choice(VERBS)
        out.append((f"{a} {en} {b}.", f"{a} {fr} {b}."))
    return out


def test_dedupe_keeps_first_and_collapses_whitespace():
    pairs = [("Go.", "Va !"), ("Go. ", "Va  !"), ("Go.", "Marche."), ("Hi.", "Salut.")]
    assert dedupe_pairs(pairs) == [("Go.", "Va !"), ("Go.", "Marche."), ("Hi.", "Salut.")]


def test_dedupe_rejects_non_pairs():
    with pytest.raises(TypeError, match=r"pairs\[1\]"):
        dedupe_pairs([("a", "b"), ("only one",)])


def test_split_never_shares_a_source():
    pairs = _pairs(2000) + [(s.upper(), t) for s, t in _pairs(300, seed=1)]  # case variants of sources
    sp = split_pairs(pairs, valid_frac=0.1, test_frac=0.1)
    keys = [{source_key(s) for s, _ in part} for part in sp]
    assert not (keys[0] & keys[1]) and not (keys[0] & keys[2]) and not (keys[1] & keys[2])
    assert sum(map(len, sp)) == len(dedupe_pairs(pairs))
    assert all(len(part) > 0 for part in sp)


def test_split_is_deterministic_and_order_free():
    pairs = dedupe_pairs(_pairs(1500))
    a = split_pairs(pairs)
    shuffled = pairs[:]
    random.Random(3).shuffle(shuffled)
    b = split_pairs(shuffled)
    for x, y in zip(a, b, strict=True):
        assert sorted(x) == sorted(y)
    assert split_pairs(pairs, salt="other") != a  # the salt redraws


def test_split_fractions_roughly_hold():
    pairs = [(f"sentence number {i}", f"phrase {i}") for i in range(20000)]
    sp = split_pairs(pairs, valid_frac=0.05, test_frac=0.1)
    assert abs(len(sp.valid) / 20000 - 0.05) < 0.01 and abs(len(sp.test) / 20000 - 0.1) < 0.01


@pytest.mark.parametrize(
    "kw", [{"valid_frac": -0.1}, {"test_frac": 1.0}, {"valid_frac": 0.6, "test_frac": 0.5}]
)
def test_split_rejects_bad_fractions(kw):
    with pytest.raises(ValueError, match="frac"):
        split_pairs([("a", "b")], **kw)


def test_filter_by_length():
    pairs = [("a b c", "x y"), ("a", "x y z w v u"), ("a b", "x")]
    assert filter_by_length(pairs, max_len=3) == [("a b c", "x y"), ("a b", "x")]
    assert filter_by_length(pairs, min_len=2) == [("a b c", "x y")]
    assert filter_by_length(pairs, max_ratio=2) == [("a b c", "x y"), ("a b", "x")]
    with pytest.raises(ValueError, match="max_len"):
        filter_by_length(pairs, min_len=3, max_len=2)


def test_subsample_is_seeded_and_ordered():
    items = list(range(100))
    a = subsample(items, 10, seed=1)
    assert a == sorted(a) and a == subsample(items, 10, seed=1) and a != subsample(items, 10, seed=2)
    assert subsample(items, None) == items and subsample(items, 1000) == items


def test_group_references():
    sources, refs = group_references([("Go.", "Va !"), ("Hi.", "Salut."), ("Go.", "Marche.")])
    assert sources == ["Go.", "Hi."] and refs == [["Va !", "Marche."], ["Salut."]]


def test_reader_error_names_the_line(tmp_path):
    from attnzoo.recipes.translate.data import load_pairs

    path = tmp_path / "pairs.txt"
    path.write_text("Go.\tVa !\tCC-BY\nHi.\tSalut.\nno tab on this line\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"pairs\.txt.*line 3"):
        load_pairs(str(path), "en")
    path.write_text("Go.\tVa !\nHi.\tSalut.\n", encoding="utf-8")
    assert load_pairs(str(path), "fr") == [("Va !", "Go."), ("Salut.", "Hi.")]


@pytest.fixture(scope="module")
def tok():
    return SubwordTokenizer.train([s for s, _ in _pairs(300)], 60)


def test_tokenizer_round_trip_and_specials(tok, tmp_path):
    text = "Tom chases Mary."
    ids = tok.encode(text)
    assert tok.decode(ids) == text and not {PAD_ID, BOS_ID, EOS_ID} & set(ids)
    assert tok.decode([BOS_ID, *ids, EOS_ID, PAD_ID]) == text
    again = SubwordTokenizer.load(tok.save(tmp_path / "x.model"))
    assert again.encode(text) == ids and again.vocab_size == tok.vocab_size
    assert tok.word_starts(ids)[0] and sum(tok.word_starts(ids)) == 3


def test_tokenizer_unseen_word_is_spelled_not_unk(tok):
    # every letter of "Jerry" occurs in the training text, so it is encoded with pieces, never <unk>
    assert UNK_ID not in tok.encode("Tom chases Jerry.")


def test_tokenizer_errors(tmp_path):
    with pytest.raises(ValueError, match="vocab_size"):
        SubwordTokenizer.train(["a b"], 2)
    with pytest.raises(ValueError, match="empty"):
        SubwordTokenizer.train(["  "], 50)
    with pytest.raises(FileNotFoundError):
        SubwordTokenizer.load(tmp_path / "missing.model")


def test_collate_pairs_layout():
    b = collate_pairs([[5, 6, 7], [8]], [[9], [10, 11]])
    assert b.src.tolist() == [[5, 6, 7, EOS_ID], [8, EOS_ID, PAD_ID, PAD_ID]]
    assert b.src_lengths.tolist() == [4, 2]
    assert b.tgt_in.tolist() == [[BOS_ID, 9, PAD_ID], [BOS_ID, 10, 11]]
    assert b.tgt_out.tolist() == [[9, EOS_ID, PAD_ID], [10, 11, EOS_ID]]


@pytest.mark.parametrize("kw", [{"batch_size": 7}, {"max_tokens": 60}, {"batch_size": 5, "max_tokens": 40}])
def test_bucket_batches_cover_every_pair_once(kw):
    rng = random.Random(0)
    src = [[4] * rng.randint(1, 12) for _ in range(101)]
    tgt = [[5] * rng.randint(1, 12) for _ in range(101)]
    batches = bucket_batches(src, tgt, **kw)
    seen = torch.cat([b.index for b in batches]).sort().values
    assert seen.tolist() == list(range(101))
    for b in batches:
        if "batch_size" in kw:
            assert len(b.index) <= kw["batch_size"]
        if "max_tokens" in kw and len(b.index) > 1:
            assert len(b.index) * (b.src.shape[1] + b.tgt_in.shape[1]) <= kw["max_tokens"]
        for i, k in enumerate(b.index.tolist()):  # each row holds its own pair
            assert b.src_lengths[i] == len(src[k]) + 1 and b.tgt_lengths[i] == len(tgt[k]) + 1
    first = [int(b.src_lengths.float().mean()) for b in batches]
    assert first[0] <= first[-1]  # sorted by length


def test_batch_dataset():
    batches = bucket_batches([[4]] * 10, [[5]] * 10, batch_size=3)
    ds = BatchDataset(batches)
    assert len(ds) == 4 and BatchDataset.unwrap([ds[0]]) is batches[0]
    with pytest.raises(ValueError, match="one at a time"):
        BatchDataset.unwrap([ds[0], ds[1]])


@pytest.mark.slow
@pytest.mark.skipif(
    not is_fetched("fra-eng"), reason="fra-eng not in the cache; `attnzoo data fetch fra-eng`"
)
def test_real_fra_eng_split_shares_no_source():
    sp = split_pairs(read_tatoeba("fra-eng"))
    keys = [{source_key(s) for s, _ in part} for part in sp]
    assert not (keys[0] & keys[1] or keys[0] & keys[2] or keys[1] & keys[2])
    assert 0.04 < len(sp.test) / sum(map(len, sp)) < 0.06
