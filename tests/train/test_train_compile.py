"""``TrainConfig(compile=True)``: the training steps run through ``torch.compile``, the checkpoints hold the
plain module's weights (no ``_orig_mod.`` prefix), and training computes what it does uncompiled."""

import pytest
import torch

from attnzoo.train import TrainConfig, Trainer, load_checkpoint, load_weights, seed_everything

pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning"), pytest.mark.usefixtures("fresh_dynamo")]


def _model():
    return torch.nn.Sequential(
        torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Dropout(0.2), torch.nn.Linear(8, 1)
    )


def _train(out_dir, **cfg):
    seed_everything(0)
    model = _model()
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(20, 3, generator=gen)
    data = torch.utils.data.TensorDataset(x, x @ torch.tensor([[1.0], [-2.0], [0.5]]))
    seen = []

    def step(m, batch):
        seen.append(type(m).__name__)
        return torch.nn.functional.mse_loss(m(batch[0]), batch[1]), {}

    def evaluate(m):
        seen.append("eval:" + type(m).__name__)
        return {"loss": torch.nn.functional.mse_loss(m(x), data.tensors[1]).item()}

    config = TrainConfig(out_dir=str(out_dir), epochs=2, batch_size=4, progress=False, **cfg)
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    trainer = Trainer(model, opt, data, step_fn=step, eval_fn=evaluate, config=config)
    trainer.fit()
    return model, x, seen


def test_compiled_training_saves_plain_weights_and_matches_eager(tmp_path):
    model, x, seen = _train(tmp_path / "c", compile=True, compile_backend="eager")
    assert set(seen) == {"OptimizedModule", "eval:Sequential"}  # compiled steps, plain eval
    names = set(load_checkpoint(tmp_path / "c" / "last.safetensors").model)
    assert names == set(_model().state_dict()), names
    fresh = load_weights(_model(), tmp_path / "c" / "best.safetensors").eval()
    best = _model()
    best.load_state_dict(load_checkpoint(tmp_path / "c" / "best.safetensors").model)
    torch.testing.assert_close(fresh(x), best.eval()(x))
    last = load_weights(_model(), tmp_path / "c" / "last.safetensors").eval()
    torch.testing.assert_close(last(x), model.eval()(x))
    eager_model, _, eager_seen = _train(tmp_path / "e")
    assert set(eager_seen) == {"Sequential", "eval:Sequential"}
    for a, b in zip(model.parameters(), eager_model.parameters(), strict=True):
        torch.testing.assert_close(a, b)  # the same dropout draws and updates


def test_compile_options_are_checked(tmp_path):
    with pytest.raises(TypeError, match="compile"):
        TrainConfig(out_dir=str(tmp_path), compile=1)
    with pytest.raises(TypeError, match="compile_backend"):
        TrainConfig(out_dir=str(tmp_path), compile_backend=None)
