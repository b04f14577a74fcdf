"""Rendered word images, word splits, the character vocabulary and the (image, label) folder reader."""

import os

import numpy as np
import pytest
import torch
from PIL import Image

from attnzoo.data.text_images import CharVocab, collate_images, read_image_folder
from attnzoo.data.words import (
    RenderConfig,
    RenderedWords,
    find_fonts,
    render_word,
    save_rendered,
    split_words,
    words_from_sentences,
)

WORDS = ["bonjour", "été", "garçon", "cœur", "l'homme", "où", "naïve", "chat"]


@pytest.fixture(scope="module")
def fonts():
    return find_fonts()


def test_renderer_deterministic_for_a_seed(fonts):
    a = RenderedWords(WORDS, fonts=fonts, n=16, seed=3)
    b = RenderedWords(WORDS, fonts=fonts, n=16, seed=3)
    c = RenderedWords(WORDS, fonts=fonts, n=16, seed=4)
    for i in (0, 5, 15, 9):  # any order gives the same items
        xa, wa = a[i]
        xb, wb = b[i]
        assert wa == wb == WORDS[i % len(WORDS)]
        assert torch.equal(xa, xb)
    assert any(a[i][0].shape != c[i][0].shape or not torch.equal(a[i][0], c[i][0]) for i in range(8))
    # the same word at two indices is rendered differently (new augmentations each pass)
    assert not (a[0][0].shape == a[8][0].shape and torch.equal(a[0][0], a[8][0]))


def test_render_shape_range_and_config(fonts):
    cfg = RenderConfig(height=24, max_width=60)
    img = render_word("anticonstitutionnellement", np.random.default_rng(0), fonts, cfg)
    assert img.shape[0] == 24 and img.shape[1] <= 60 and img.dtype == np.float32
    assert img.min() >= 0 and img.max() <= 1 and img.std() > 0.05  # there is ink
    with pytest.raises(ValueError, match="max_width"):
        RenderConfig(height=32, max_width=10)
    with pytest.raises(ValueError, match="word"):
        render_word("", np.random.default_rng(0), fonts)


def test_find_fonts_names_the_debian_package(tmp_path):
    with pytest.raises(FileNotFoundError, match="fonts-dejavu-core"):
        find_fonts(dirs=[str(tmp_path)])


def test_find_fonts_falls_back_to_matplotlibs_dejavu_without_the_package(tmp_path, monkeypatch):
    import matplotlib

    from attnzoo.data import words

    monkeypatch.setattr(words, "FONT_DIRS", (str(tmp_path),))  # a machine without fonts-dejavu-core
    fonts = find_fonts(("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"))
    assert [os.path.basename(f) for f in fonts] == ["DejaVuSans-Bold.ttf", "DejaVuSans.ttf"]
    assert all(f.startswith(matplotlib.get_data_path()) for f in fonts)
    with pytest.raises(FileNotFoundError, match="fonts-dejavu-core"):
        find_fonts(("NoSuchFace*.ttf",))


def test_split_by_word_is_disjoint_and_stable():
    words = [f"w{i}" for i in range(2000)] + ["été", "été"]
    s = split_words(words, test_fraction=0.2, val_fraction=0.1)
    assert not set(s["test"]) & set(s["train"]) and not set(s["val"]) & set(s["train"])
    assert not set(s["test"]) & set(s["val"])
    assert sorted(s["train"] + s["val"] + s["test"]) == sorted(set(words))
    assert 0.15 < len(s["test"]) / 2001 < 0.25
    # a word keeps its split when the vocabulary changes
    s2 = split_words(words[:500], test_fraction=0.2, val_fraction=0.1)
    assert set(s2["test"]) == set(s["test"]) & set(words[:500])


def test_words_from_sentences_keeps_accents():
    got = words_from_sentences(["Où est l'hôtel ?", "C'est l'été, 3 fois."])
    assert got == sorted({"où", "est", "l'hôtel", "c'est", "l'été", "fois"})


def test_vocab_round_trip_with_accents_and_unknowns():
    v = CharVocab.from_texts(WORDS)
    for w in WORDS:
        ids = v.encode(w)
        assert min(ids) >= len(CharVocab.SPECIALS)
        assert v.decode([*ids, CharVocab.EOS, 7, 8]) == w
    with pytest.raises(ValueError, match=r"'z'.*position 2"):
        v.encode("ouz")
    ids = v.encode("ouz", unknown="replace")
    assert ids[-1] == CharVocab.UNK and v.decode(ids) == "ou" + CharVocab.PLACEHOLDER
    assert CharVocab.from_json(v.to_json()) == v
    assert "ç" in v and "z" not in v
    with pytest.raises(ValueError, match="out of range"):
        v.decode([len(v)])


def test_collate_pads_and_encodes(fonts):
    ds = RenderedWords(WORDS[:3], fonts=fonts)
    v = CharVocab.from_texts(WORDS)
    b = collate_images([ds[i] for i in range(3)], v)
    assert b["images"].shape[:3] == (3, 1, 32) and b["images"].shape[3] == int(b["widths"].max())
    assert b["target_lengths"].tolist() == [len(w) for w in WORDS[:3]]
    for row, w in zip(b["targets"], WORDS[:3], strict=True):
        assert v.decode(row) == w and row[len(w)] == CharVocab.EOS


def test_folder_reader_pairs_and_tsv(fonts, tmp_path):
    ds = RenderedWords(WORDS, fonts=fonts, seed=1)
    folder = save_rendered(ds, tmp_path / "pairs", count=5)
    items = read_image_folder(folder)
    assert [w for _, w in items] == WORDS[:5]
    for (img, _), i in zip(items, range(5), strict=True):
        assert img.shape == ds[i][0].shape[1:]
        assert np.abs(img - ds[i][0][0].numpy()).max() <= 1 / 255 + 1e-6  # png rounding only

    tsv = tmp_path / "tsv"
    tsv.mkdir()
    Image.fromarray(np.full((16, 40), 200, np.uint8)).save(tsv / "a.png")
    (tsv / "labels.tsv").write_text("a.png\tgarçon\n\n", encoding="utf-8")
    [(img, label)] = read_image_folder(tsv, height=32)
    assert label == "garçon" and img.shape == (32, 80)


def test_folder_reader_errors_name_the_file(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        read_image_folder(tmp_path / "nope")
    with pytest.raises(ValueError, match="no images"):
        read_image_folder(tmp_path)
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / "x.png")
    with pytest.raises(ValueError, match=r"x\.png.*x\.txt"):
        read_image_folder(tmp_path)
    (tmp_path / "x.txt").write_text("  \n")
    with pytest.raises(ValueError, match=r"x\.txt: empty label"):
        read_image_folder(tmp_path)
    (tmp_path / "labels.tsv").write_text("x.png\tok\nbroken line\n")
    with pytest.raises(ValueError, match=r"labels\.tsv, line 2"):
        read_image_folder(tmp_path)
    (tmp_path / "labels.tsv").write_text("y.png\tok\n")
    with pytest.raises(ValueError, match=r"labels\.tsv, line 1: image file 'y\.png' not found"):
        read_image_folder(tmp_path)
    (tmp_path / "z.png").write_text("not an image")
    (tmp_path / "labels.tsv").write_text("z.png\tok\n")
    with pytest.raises(ValueError, match=r"z\.png: not a readable image"):
        read_image_folder(tmp_path)
