import itertools
import json

import numpy as np
import pytest

from attnzoo.data.karpathy import load_karpathy_image, read_karpathy_split
from attnzoo.data.scenes import SIZES, make_scenes, relation, scene_vocabulary


def _digits(n=30, seed=0):
    """Tiny synthetic 'digits': a filled square whose brightness encodes nothing; labels cycle 0-9."""
    rng = np.random.default_rng(seed)
    d = np.zeros((n, 28, 28), dtype=np.uint8)
    d[:, 4:24, 4:24] = rng.integers(100, 256, size=(n, 1, 1))
    return d, np.arange(n) % 10


def test_deterministic_and_seed_matters():
    d, y = _digits()
    a, b = make_scenes(d, y, 20, seed=3), make_scenes(d, y, 20, seed=3)
    assert np.array_equal(a.images, b.images) and a.scenes == b.scenes
    c = make_scenes(d, y, 20, seed=4)
    assert a.scenes != c.scenes


def test_captions_match_boxes():
    d, y = _digits()
    ss = make_scenes(d, y, 60, seed=1, size=64)
    vocab = set(scene_vocabulary())
    counts = set()
    for img, sc in zip(ss.images, ss.scenes, strict=True):
        counts.add(len(sc.labels))
        for i, (x0, y0, x1, y1) in enumerate(sc.boxes):
            assert x1 - x0 == y1 - y0 == SIZES[sc.sizes[i]]
            assert img[y0:y1, x0:x1].max() > 0  # the digit is drawn inside its box
            for j, b in enumerate(sc.boxes[:i]):  # never overlapping
                assert x1 <= b[0] or b[2] <= x0 or y1 <= b[1] or b[3] <= y0, (i, j)
        ink = np.zeros_like(img, dtype=bool)
        for x0, y0, x1, y1 in sc.boxes:
            ink[y0:y1, x0:x1] = True
        assert img[~ink].max(initial=0) == 0  # nothing drawn outside the boxes
        assert 1 <= len(sc.captions) <= 4
        for cap, refs in zip(sc.captions, sc.refers, strict=True):
            assert set(cap) <= vocab
            assert sorted(i for _, i in refs) == list(range(len(sc.labels)))  # each digit named once
            for pos, i in refs:
                assert cap[pos] == str(sc.labels[i]) and cap[pos - 1] == sc.sizes[i]
            # the relation between consecutive mentions is true of their boxes
            for (p0, i0), (p1, i1) in itertools.pairwise(refs):
                assert " ".join(cap[p0 + 1 : p1 - 2]) == relation(sc.boxes[i0], sc.boxes[i1])
    assert counts == {1, 2, 3, 4}


def test_relation():
    assert relation((0, 0, 10, 10), (30, 2, 40, 12)) == "to the left of"
    assert relation((30, 2, 40, 12), (0, 0, 10, 10)) == "to the right of"
    assert relation((0, 0, 10, 10), (2, 30, 12, 40)) == "above"
    assert relation((2, 30, 12, 40), (0, 0, 10, 10)) == "below"


def test_bad_input():
    d, y = _digits()
    with pytest.raises(ValueError, match="digits"):
        make_scenes(d[:, :10], y, 2, seed=0)
    with pytest.raises(ValueError, match="max_digits"):
        make_scenes(d, y, 2, seed=0, max_digits=5)
    with pytest.raises(ValueError, match="sizes"):
        make_scenes(d, y, 2, seed=0, sizes=("huge",))


def test_sizes_restricts_the_digits():
    d, y = _digits()
    ss = make_scenes(d, y, 20, seed=2, size=48, sizes=("large",))
    assert {w for sc in ss.scenes for w in sc.sizes} == {"large"}
    assert all(b[2] - b[0] == SIZES["large"] for sc in ss.scenes for b in sc.boxes)
    assert all("small" not in c for sc in ss.scenes for c in sc.captions)


def _karpathy(tmp_path):
    from PIL import Image

    (tmp_path / "imgs" / "val2014").mkdir(parents=True)
    entries = []
    for k, split in enumerate(["train", "train", "val", "test", "restval"]):
        name = f"im{k}.png"
        Image.fromarray(np.full((10, 14, 3), 40 * k, dtype=np.uint8)).save(
            tmp_path / "imgs" / "val2014" / name
        )
        sents = [{"tokens": ["a", "dog", str(k)], "raw": f"A dog {k}."}, {"tokens": ["one", "dog"]}]
        entries.append({"filepath": "val2014", "filename": name, "split": split, "sentences": sents})
    p = tmp_path / "dataset_coco.json"
    p.write_text(json.dumps({"images": entries, "dataset": "coco"}))
    return p, tmp_path / "imgs"


def test_karpathy_reader(tmp_path):
    p, root = _karpathy(tmp_path)
    train = read_karpathy_split(p, root, ("train", "restval"))
    assert [im.split for im in train] == ["train", "train", "restval"]
    assert train[0].captions == (("a", "dog", "0"), ("one", "dog"))
    (test,) = read_karpathy_split(p, root, "test")
    img = load_karpathy_image(test.path, 8)
    assert img.shape == (3, 8, 8) and img.dtype == np.float32
    assert np.allclose(img, 120 / 255, atol=1e-6)
    assert load_karpathy_image(test.path, 8, grey=True).shape == (1, 8, 8)


@pytest.mark.parametrize(
    "payload, match",
    [
        ("{not json", "not a readable JSON"),
        ('{"imgs": []}', "'images' list"),
        ('{"images": [{"filename": "x.png", "split": "train"}]}', "'sentences'"),
        ('{"images": [{"filename": "x.png", "split": "dev", "sentences": []}]}', "split 'dev'"),
        ('{"images": [{"filename": "x.png", "split": "train", "sentences": [{"tokens": "a b"}]}]}', "tokens"),
        (
            '{"images": [{"filename": "missing.png", "split": "train", "sentences": [{"tokens": ["a"]}]}]}',
            "does not exist",
        ),
    ],
)
def test_karpathy_malformed(tmp_path, payload, match):
    p = tmp_path / "dataset_flickr8k.json"
    p.write_text(payload)
    with pytest.raises(ValueError, match=match) as e:
        read_karpathy_split(p, tmp_path, "train")
    assert "dataset_flickr8k.json" in str(e.value)
