"""benchmarks/domain_shift.py: the gap share and one tiny training run per method kind."""

import numpy as np

from tests.benchmarks import scripts

shift = scripts.load("domain_shift")


def accuracy(mean):
    return {"accuracy": {"mean": mean, "std": 0.0}}


def test_gap_closed():
    methods = {"source_only": accuracy(0.6), "dann": accuracy(0.7), "mmd": accuracy(0.9),
               "coral": accuracy(0.5), "target_oracle": accuracy(0.9)}
    assert shift.gap_closed(methods) == {"dann": 0.3333, "mmd": 1.0, "coral": -0.3333}
    # An oracle that does not beat source-only leaves no gap to close.
    methods["target_oracle"] = accuracy(0.6)
    assert shift.gap_closed(methods) == {"dann": None, "mmd": None, "coral": None}


def test_every_method_trains_on_text_features():
    rng = np.random.default_rng(0)

    def split(n, offset):
        y = rng.integers(0, 2, n)
        return (rng.normal(size=(n, 8)) + offset + y[:, None]).astype("float32"), y

    data = {"source": split(64, 0.0), "target": split(64, 0.5), "test": split(32, 0.5)}
    for method in shift.METHODS:
        record = shift.train_and_score(method, "text", data, 2, seed=0, epochs=1)
        assert record["steps"] == 1 and record["epochs"] == 1
        assert round(record["accuracy"] * 32) == record["accuracy"] * 32
        if method == "consistency":
            assert 0.0 <= record["pseudo_label_rate"] <= 1.0
        if method == "dann":
            assert 0.0 <= record["domain_accuracy"] <= 1.0
