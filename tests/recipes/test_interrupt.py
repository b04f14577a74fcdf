"""A SIGINT during training ends every recipe the same way: ``TrainingInterrupted``, one message naming
``--resume``, exit code 130, a checkpoint to resume from. The signal is real, sent on the first step."""

import signal

import pytest

from attnzoo.cli import main
from attnzoo.train import Trainer, TrainingInterrupted

from .test_sentiment import _write_reviews
from .test_translate import _write_tsv


@pytest.fixture
def sigint_on_first_step(monkeypatch):
    real, sent = Trainer._step, []

    def step(self, net, batch, stop):
        if not sent:
            sent.append(self.out_dir)
            signal.raise_signal(signal.SIGINT)  # to this thread: handled before it returns, not later
        return real(self, net, batch, stop)

    monkeypatch.setattr(Trainer, "_step", step)
    return sent


def _args(tmp_path, recipe):
    if recipe == "nw-regression":
        return ["epochs=2"]
    if recipe == "translate":
        tsv = _write_tsv(tmp_path / "pairs.txt", n=200)
        return [f"data={tsv}", "variants=seq2seq", "vocab_size=30", "emb_dim=8", "hidden_dim=8",
                "n_valid_bleu=5", "n_valid_loss=10", "n_test=5", "n_train=None",
                "source_prefixes=None"]  # fmt: skip
    _write_reviews(tmp_path / "reviews.csv", n=120)
    return ["data=csv", f"data_dir={tmp_path / 'reviews.csv'}", "embed_dim=8", "hidden_size=8",
            "attention_dim=4", "seeds=1", "epochs=1", "models=attention"]  # fmt: skip


@pytest.mark.parametrize("recipe", ["nw-regression", "translate", "sentiment"])
def test_sigint_exits_130_naming_resume(recipe, tmp_path, sigint_on_first_step, capsys):
    out = tmp_path / "run"
    code = main(["run", recipe, "--out", str(out), *_args(tmp_path, recipe)])
    err = capsys.readouterr().err
    assert code == 130, err
    assert sigint_on_first_step, "the training never started"
    assert err.count("attnzoo: interrupted: training stopped by SIGINT") == 1
    assert "--resume" in err and str(sigint_on_first_step[0]) in err
    assert (sigint_on_first_step[0] / "last.safetensors").is_file()  # what --resume continues from


def test_interruption_pickles_with_its_fields(tmp_path):
    import pickle

    e = pickle.loads(pickle.dumps(TrainingInterrupted("SIGTERM", tmp_path, "--resume")))
    assert (e.signal, e.run_dir, e.resume_hint) == ("SIGTERM", tmp_path, "--resume")
    assert "SIGTERM" in str(e) and "--resume" in str(e)
