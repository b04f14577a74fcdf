"""The ``vision`` recipe's settings: the config (a comment a field), the budgets, class names, and the prose
the CLI and the report show."""

from __future__ import annotations

from dataclasses import dataclass

from attnzoo.recipes._common import check_fields
from attnzoo.recipes.vision.models import BASELINE, model_names

__all__ = ["BUDGETS", "CLASS_NAMES", "DATA", "DESCRIPTION", "SUMMARY", "VisionConfig"]

#: One line for ``attnzoo list``.
SUMMARY = "CNN attention (SE, ECA, CBAM, SK, scSE, coord) in a ResNet vs Residual Attention Network"
#: The real data it runs on by default.
DATA = "Fashion-MNIST (full 60k/10k; Debian package dataset-fashion-mnist)"
#: What the recipe does; the report's first paragraphs.
DESCRIPTION = """\
Attention inside CNNs on real images: a small ResNet on Fashion-MNIST without attention, with each CNN
attention module of ``attnzoo.nn.vision`` in every block (SE, ECA, CBAM, SK, cSE, sSE, scSE, Coordinate
Attention), and the Residual Attention Network (Attention-56), all trained with the same budget and seeds.

Every model is trained with SGD (Nesterov momentum, weight decay) under a one-cycle learning-rate schedule,
with random crops (zero padding) and horizontal flips where the budget turns them on. A fixed random part
of the training split is held out for validation; each run keeps the epoch with the best validation
accuracy and is then measured once on the test split. Reported: test accuracy (mean +- std over seeds),
its change against the baseline (paired by seed), parameters, FLOPs per image (``torch.utils.flop_counter``:
convolutions and matrix products only), and training and inference images per second on this machine's
CPU. Pictures: spatial attention (CBAM, sSE, scSE, Coordinate Attention, the RAN's masks) over test images,
and the last block's channel gates averaged per class (SE, ECA, CBAM, cSE, scSE), as in Fig. 6 of the SE
paper.
"""


#: Class names of the MNIST-like datasets, by registered name.
CLASS_NAMES = {
    "fashion-mnist": (
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ),
    "mnist": tuple(str(d) for d in range(10)),
}


@dataclass(frozen=True)
class VisionConfig:
    dataset: str = "fashion-mnist"  # registered MNIST-like dataset, fetched into the cache when missing
    data_dir: str | None = None  # a folder of IDX files (MNIST naming) to use instead of `dataset`
    # models besides the baseline, which always runs: attention keys of attnzoo.nn.vision, "ran"
    # (Attention-56, (1 + M) * T) and "ran-naive" (Attention-56, M * T)
    modules: tuple[str, ...] = ("se", "eca", "cbam", "sk", "cse", "sse", "scse", "coord", "ran")
    seeds: int = 2  # runs per model with seeds seed, seed + 1, ...; results are mean +- std over them
    epochs: int = 15  # passes over the training images
    batch_size: int = 128  # images per SGD step
    lr: float = 0.1  # peak learning rate of the one-cycle schedule
    momentum: float = 0.9  # Nesterov momentum
    weight_decay: float = 5e-4  # L2 penalty on every parameter
    label_smoothing: float = 0.0  # of the cross-entropy targets
    crop_pad: int = 2  # random crops after zero padding by this many pixels (0: no crops)
    flip: bool = True  # random horizontal flips
    val_size: int = 5000  # training images held out for model selection (the same ones for every run)
    train_limit: int | None = None  # train on only this many of the remaining images (None: all)
    test_limit: int | None = None  # measure on only the first N test images (None: all)
    widths: tuple[int, ...] = (
        16,
        32,
        64,
        128,
    )  # ResNet stage widths (each stage after the first halves H, W)
    blocks: tuple[int, ...] = (1, 1, 1, 1)  # ResNet basic blocks per stage
    ran_width: float = 0.0625  # Attention-56 width (0.0625: stages 16/32/64, last 128, as the ResNet's)
    num_threads: int | None = 1  # torch threads per training run (1 is the most CPU-efficient)
    workers: int = 1  # training runs in parallel, one process each (e.g. the number of cores)
    figure_images: int = 8  # test images in the spatial attention figures (the first of each class)
    # torch.compile (inductor) each model for training. Pays on long budgets: the ResNet's train step
    # (B=128, widths 16..128, SGD) took 0.80x (no attention), 0.78x (SE), 0.80x (sSE) of eager's time, A/A
    # 0.98-1.03, load 3.2-4.8 on 2 cores (`bench_compile.py --quick --only resnet-none resnet-se resnet-sse`,
    # docs/benchmarks.md "torch.compile"), after a 60-100 s compile per run: not worth it on the smoke
    # budget. The RAN was not measured.
    compile: bool = False

    def __post_init__(self) -> None:
        check_fields(
            self,
            positive=(
                "seeds",
                "epochs",
                "batch_size",
                "lr",
                "val_size",
                "train_limit",
                "test_limit",
                "widths",
                "blocks",
                "ran_width",
                "num_threads",
                "workers",
                "figure_images",
            ),
            nonneg=("weight_decay", "crop_pad"),
            fraction=("momentum", "label_smoothing"),
            choices={"modules": model_names()},
        )
        if len(self.widths) != len(self.blocks) or not self.widths:
            raise ValueError(
                f"VisionConfig.widths and blocks must be non-empty and of one length (a width and a block "
                f"count a stage), got widths={self.widths}, blocks={self.blocks}"
            )

    @property
    def models(self) -> list[str]:
        """The baseline, then the modules in the order given (each once)."""
        return list(dict.fromkeys([BASELINE, *self.modules]))


BUDGETS = {
    # about a minute on a busy 2-core CPU: a real report on real images, far from converged; the RAN is
    # left out (5x the time of the others at this size), add it with modules=se,cbam,ran
    "smoke": VisionConfig(
        modules=("se", "cbam"),
        seeds=1,
        epochs=2,
        batch_size=32,
        crop_pad=0,  # augmentation pays off over many epochs, not over two
        flip=False,
        val_size=500,
        train_limit=2000,
        test_limit=1000,
        widths=(8, 16, 32, 64),
        blocks=(1, 1, 1, 1),
        ran_width=0.03125,
        figure_images=6,
    ),
    "full": VisionConfig(),
}
