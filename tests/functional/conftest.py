import pytest
import torch

SCORE_NAMES = ["dot", "scaled_dot", "cosine", "general", "additive", "gaussian"]
NORM_NAMES = ["softmax", "hard", "topk", "threshold", "sample", "gumbel"]


def score_kwargs(name: str, e: int, h: int = 5, dtype=torch.float32) -> dict:
    g = torch.Generator().manual_seed(1)
    r = lambda *s: torch.randn(*s, generator=g, dtype=dtype)  # noqa: E731
    return {
        "dot": {},
        "scaled_dot": {},
        "cosine": {"temperature": 0.5},
        "general": {"weight": r(e, e)},
        "additive": {"query_proj": r(e, h), "key_proj": r(e, h), "score_proj": r(h)},
        "gaussian": {"bandwidth": 1.5},
    }[name]


def norm_kwargs(name: str) -> dict:
    return {"topk": {"top_k": 2}, "threshold": {"tau": 0.15}, "gumbel": {"tau": 0.5}}.get(name, {})


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
