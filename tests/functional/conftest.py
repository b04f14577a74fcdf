import pytest
import torch

import attnzoo.functional as AF

# Read from the registries, so a newly registered score or normaliser runs through every test below; one
# that needs arguments must get an entry in the extras tables (test_registry_coverage.py checks).
SCORE_NAMES = sorted(AF.SCORES)
NORM_NAMES = sorted(AF.NORMALIZERS)

# score name -> f(E, hidden, randn) -> the keyword arguments it is tested with
SCORE_EXTRAS = {
    "cosine": lambda e, h, r: {"temperature": 0.5},
    "general": lambda e, h, r: {"weight": r(e, e)},
    "additive": lambda e, h, r: {"query_proj": r(e, h), "key_proj": r(e, h), "score_proj": r(h)},
    "gaussian": lambda e, h, r: {"bandwidth": 1.5},
}
NORM_EXTRAS = {"topk": {"top_k": 2}, "threshold": {"tau": 0.15}, "gumbel": {"tau": 0.5}}


def score_kwargs(name: str, e: int, h: int = 5, dtype=torch.float32) -> dict:
    g = torch.Generator().manual_seed(1)
    r = lambda *s: torch.randn(*s, generator=g, dtype=dtype)  # noqa: E731
    extras = SCORE_EXTRAS.get(name)
    return {} if extras is None else extras(e, h, r)


def norm_kwargs(name: str) -> dict:
    return dict(NORM_EXTRAS.get(name, {}))


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
