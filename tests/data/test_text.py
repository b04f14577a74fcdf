import random

import pytest
import torch

from attnzoo.data.text import (
    PAD_ID,
    UNK_ID,
    TextDataset,
    Vocab,
    hash_split,
    label_mr_scores,
    pad_collate,
    read_aclimdb,
    read_text_label_csv,
    tokenize,
)


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("I didn't like it!<br />Not at all.", ["i", "didn't", "like", "it", "!", "not", "at", "all"]),
        ("The ''Conan'' of the 21st Century?", ["the", "conan", "of", "the", "21st", "century", "?"]),
        ("Director’s cut -- great,great", ["director's", "cut", "great", "great"]),
        ("Amélie: très BIEN", ["amélie", "très", "bien"]),
        ("", []),
        ("... --- ,,,", []),
    ],
)
def test_tokenize(text, tokens):
    assert tokenize(text) == tokens


def test_tokenize_rejects_non_str():
    with pytest.raises(TypeError, match="text must be a str"):
        tokenize(["a", "list"])


def test_vocab_top_n_ties_alphabetical_and_order_independent():
    texts = [["b", "a", "c"], ["a", "b", "d"], ["a", "e"]]  # a:3, b:2, c/d/e:1
    v = Vocab.build(texts, max_size=5)
    assert v.itos == ["<pad>", "<unk>", "a", "b", "c"]
    assert Vocab.build(list(reversed(texts)), max_size=5) == v
    assert Vocab.build(texts, max_size=100, min_freq=2).itos == ["<pad>", "<unk>", "a", "b"]
    assert v.encode(["a", "zzz", "c"]) == [2, UNK_ID, 4]
    assert v.encode(["a", "b", "c"], max_len=2) == [2, 3]
    assert "a" in v and "e" not in v and len(v) == 5


def test_vocab_json_round_trip(tmp_path):
    rng = random.Random(0)
    words = [f"w{i}" for i in range(50)] + ["naïve", "don't", "!"]
    texts = [[rng.choice(words) for _ in range(rng.randint(0, 20))] for _ in range(40)]
    v = Vocab.build(texts, max_size=30)
    v.save(tmp_path / "vocab.json")
    w = Vocab.load(tmp_path / "vocab.json")
    assert w == v and w.stoi == v.stoi
    ids = v.encode(texts[3])
    assert w.decode(ids) == [t if t in v else "<unk>" for t in texts[3]]


@pytest.mark.parametrize(
    ("bad", "match"),
    [
        ('{"tokens": ["<pad>", "<unk>"]}', "not an attnzoo vocabulary"),
        ('{"format": "attnzoo.Vocab/1", "tokens": ["<unk>", "<pad>"]}', "must start with"),
        ('{"format": "attnzoo.Vocab/1", "tokens": ["<pad>", "<unk>", "a", "a"]}', "appears more than once"),
    ],
)
def test_vocab_bad_json(bad, match):
    with pytest.raises(ValueError, match=match):
        Vocab.from_json(bad)


def test_vocab_errors():
    with pytest.raises(ValueError, match="max_size must be an int >= 2"):
        Vocab.build([["a"]], max_size=1)
    with pytest.raises(TypeError, match="token lists"):
        Vocab.build(["a string"])
    with pytest.raises(IndexError, match="outside the vocabulary"):
        Vocab.build([["a"]]).decode([7])


def _write_aclimdb(root, reviews):
    for split, items in reviews.items():
        for label, texts in items.items():
            folder = root / "aclImdb" / split / label
            folder.mkdir(parents=True)
            for i, t in enumerate(texts):
                (folder / f"{i}_{7 if label == 'pos' else 2}.txt").write_text(t, encoding="utf-8")
    (root / "aclImdb" / "train" / "unsup").mkdir()
    (root / "aclImdb" / "train" / "unsup" / "0_0.txt").write_text("ignored", encoding="utf-8")


def test_read_aclimdb_on_a_tiny_fixture(tmp_path):
    _write_aclimdb(
        tmp_path,
        {
            "train": {"pos": ["Loved it.<br />Great!", "Fine film"], "neg": ["Awful."]},
            "test": {"pos": ["Superb"], "neg": ["Dull", "Bad"]},
        },
    )
    train = read_aclimdb(tmp_path / "aclImdb", "train")
    assert train == [("Awful.", 0), ("Loved it.<br />Great!", 1), ("Fine film", 1)]
    assert read_aclimdb(tmp_path, "test") == [("Dull", 0), ("Bad", 0), ("Superb", 1)]  # parent folder works
    with pytest.raises(ValueError, match="split must be"):
        read_aclimdb(tmp_path, "unsup")
    with pytest.raises(FileNotFoundError, match=r"root/train/pos/\*.txt"):
        read_aclimdb(tmp_path / "elsewhere", "train")


@pytest.mark.parametrize("suffix", [".csv", ".tsv"])
def test_read_text_label_csv(tmp_path, suffix):
    sep = "\t" if suffix == ".tsv" else ","
    path = tmp_path / f"reviews{suffix}"
    table = (("text", "label"), ("good", "pos"), ("bad", "NEGATIVE"), (" ", "1"), ("ok", "2"))
    rows = [sep.join(r) for r in table]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert read_text_label_csv(path) == [("good", 1), ("bad", 0), ("ok", 2)]


def test_read_text_label_csv_errors(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("review,label\nfine,1\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"missing column\(s\) \['text'\]"):
        read_text_label_csv(path)
    assert read_text_label_csv(path, text_column="review") == [("fine", 1)]
    path.write_text("text,label\nfine,meh\n", encoding="utf-8")
    with pytest.raises(ValueError, match="row 2: label 'meh'"):
        read_text_label_csv(path)


def test_label_mr_scores():
    pairs = [("a", 2.5), ("b", -0.1), ("c", 0.0), ("d", 0.3)]
    assert label_mr_scores(pairs) == [("a", 1), ("b", 0), ("d", 1)]
    assert label_mr_scores(pairs, min_abs_score=0.5) == [("a", 1)]


def test_hash_split_fixed_and_order_independent():
    pairs = [(f"review number {i}", i % 2) for i in range(2000)] + [("Same TEXT", 1), ("same   text", 1)]
    train, valid, test = hash_split(pairs)
    assert len(train) + len(valid) + len(test) == len(pairs)
    assert 150 < len(test) < 250 and 150 < len(valid) < 250
    shuffled = pairs[:]
    random.Random(1).shuffle(shuffled)
    assert [sorted(p) for p in hash_split(shuffled)] == [sorted(train), sorted(valid), sorted(test)]
    both = [p for part in (train, valid, test) for p in part if p[0].lower().split() == ["same", "text"]]
    assert sum(p in train for p in both) in (0, 2)  # duplicates land in one part


def test_dataset_and_pad_collate():
    vocab = Vocab.build([["good", "film"], ["bad"]])
    ds = TextDataset([("Good film!", 1), ("", 0), ("bad bad bad bad", 0)], vocab, max_len=3)
    tokens, lengths, labels = pad_collate([ds[i] for i in range(3)])
    assert lengths.tolist() == [3, 0, 3] and labels.tolist() == [1, 0, 0]
    assert tokens.shape == (3, 3) and tokens.dtype == torch.long
    assert tokens[1].tolist() == [PAD_ID] * 3 and tokens[0, 2].item() == UNK_ID  # "!" is unknown
    tokens, lengths, _ = pad_collate([ds[1]])
    assert tokens.shape == (1, 1) and lengths.tolist() == [0]
