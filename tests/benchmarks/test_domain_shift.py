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


def test_stratified_head():
    y = np.repeat(np.arange(5), [10, 8, 6, 4, 2])
    index = shift.stratified_head(y, 10)
    assert len(set(index.tolist())) == 10 and np.all(np.diff(index) > 0)
    assert np.bincount(y[index], minlength=5).tolist() == [2, 2, 2, 2, 2]
    assert shift.stratified_head(y, None).tolist() == list(range(30))


def test_audio_shift_keeps_its_words_and_cuts_the_target_into_disjoint_halves(monkeypatch):
    from argparse import Namespace

    from keras_transfer.data import ArraySplit

    calls = []
    train_names = ("bed",) + shift.CORE_COMMANDS + ("bird",)

    def load(name, split, num_examples, **options):
        calls.append((name, split, num_examples, options))
        names = train_names if split == "train" else shift.CORE_COMMANDS
        y = np.arange(4 * len(names)) % len(names)
        # Each clip's first sample is its index, to tell the clips apart.
        x = np.zeros((len(y), 16), "float32")
        x[:, 0] = np.arange(len(y)) + (0 if split == "train" else 1000)
        return ArraySplit(x, y.astype("int32"), names)

    monkeypatch.setattr(shift, "load", load)
    spec = shift.SHIFTS["commands_clean_to_noisy"]
    source, target, test = shift.shift_splits(spec, Namespace(source=None, target=20, test=10))
    assert calls == [("spoken_commands", "train", None, {"noise": None}),
                     ("spoken_commands", "test", None,
                      {"noise": "mixed", "snr_db": [0.0, 10.0],
                       "words": shift.CORE_COMMANDS, "examples_per_word": 240})]
    # The source keeps the 10 words' clips (not "bed", "bird"), relabelled.
    assert source.class_names == shift.CORE_COMMANDS
    assert len(source.y) == 40 and np.bincount(source.y).tolist() == [4] * 10
    assert [train_names[int(v) % 12] for v in source.x[:, 0]] == [
        shift.CORE_COMMANDS[label] for label in source.y]
    assert len(target.y) == 20 and len(test.y) == 10
    assert not set(target.x[:, 0]) & set(test.x[:, 0])  # no clip in both
    assert min(target.x[:, 0]) >= 1000 and min(test.x[:, 0]) >= 1000  # unseen: test split
    assert np.bincount(target.y).tolist() == [2] * 10
    assert np.bincount(test.y).tolist() == [1] * 10
    # A smaller source keeps every word equally.
    source, _, _ = shift.shift_splits(spec, Namespace(source=20, target=20, test=10))
    assert np.bincount(source.y).tolist() == [2] * 10


def test_audio_features_are_normalized_first():
    features = shift.features("audio", 96)
    assert [layer.__class__.__name__ for layer in features.layers] == [
        "LayerNormalization", "Dense"]
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 64)
    x = (70 * rng.normal(size=(64, 96)) + y[:, None]).astype("float32")
    data = {"source": (x, y), "target": (x, y), "test": (x[:32], y[:32])}
    record = shift.train_and_score("coral", "audio", data, 2, seed=0, epochs=1)
    assert record["steps"] == 1
