import pytest
import torch

import attnzoo.functional as AF


def test_lengths_to_mask():
    m = AF.lengths_to_mask(torch.tensor([3, 0, 1]), 4)
    assert m.tolist() == [[True, True, True, False], [False] * 4, [True, False, False, False]]
    assert AF.lengths_to_mask([2, 1]).shape == (2, 2)
    with pytest.raises(ValueError, match="max_len=1 is smaller than the longest length 2"):
        AF.lengths_to_mask([2, 1], 1)
    with pytest.raises(TypeError, match="integer"):
        AF.lengths_to_mask(torch.tensor([1.5]))
    with pytest.raises(ValueError, match=">= 0"):
        AF.lengths_to_mask(torch.tensor([-1]))


def test_causal_mask_square_and_cached():
    assert AF.causal_mask(3).tolist() == [[True, False, False], [True, True, False], [True, True, True]]
    # two cached positions before three new queries: query i sees keys j <= i + 2
    m = AF.causal_mask(3, 5)
    assert m.tolist()[0] == [True, True, True, False, False]
    assert m[-1].all()
    # equal to SDPA's is_causal when L == S
    q, k, v = torch.randn(1, 4, 8), torch.randn(1, 4, 8), torch.randn(1, 4, 8)
    ref = torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
    torch.testing.assert_close(AF.attention(q, k, v, mask=AF.causal_mask(4)).output, ref)


def test_combine_masks():
    a = torch.tensor([[True, False, True]])
    b = torch.tensor([[True, True, False]])
    assert AF.combine_masks(a, None, b).tolist() == [[True, False, False]]
    assert AF.combine_masks(None, None) is None
    bias = torch.tensor([[0.5, 0.0, 1.0]])
    c = AF.combine_masks(a, bias)
    assert c.tolist() == [[0.5, float("-inf"), 1.0]]
    with pytest.raises(TypeError, match="masks\\[0\\] must be bool or floating"):
        AF.combine_masks(torch.tensor([1, 0]))
