"""benchmarks/multi_task.py: the per-domain scores, the head weighting, a tiny run."""

import numpy as np
import pytest

from tests.benchmarks import scripts

multi = scripts.load("multi_task")


def toy_data(rows=32, width=8):
    """Four domains of `rows` train and `rows // 2` test feature rows each;
    the label is the sign of feature 0, the rating twice feature 0."""
    rng = np.random.default_rng(0)
    data = {}
    for split, n in (("train", rows), ("test", rows // 2)):
        features = rng.normal(size=(4 * n, width)).astype("float32")
        features[:, 0] += np.where(np.arange(4 * n) % 2, 1.0, -1.0)
        data[split] = {"features": features, "y": (features[:, 0] > 0).astype("int32"),
                       "rating": (2 * features[:, 0]).astype("float32"),
                       "domain": np.repeat(np.arange(4), n).astype("int32")}
    return data


def test_baselines_per_domain():
    data = toy_data()
    data["train"]["y"][:] = np.repeat([0, 1, 0, 1], 32)
    data["test"]["y"][:] = np.tile([0, 0, 0, 1], 16)
    data["train"]["rating"][:] = np.repeat([1.0, 2.0, -1.0, -2.0], 32)
    data["test"]["rating"][:] = 0.0
    result = multi.baselines(data)
    assert result["majority_accuracy"] == {"movies": 0.75, "amazon": 0.25, "nyt": 0.75,
                                           "tweets": 0.25}
    assert result["mean_rating_mae"] == {"movies": 1.0, "amazon": 2.0, "nyt": 1.0,
                                         "tweets": 2.0}


def test_sentiment_and_rating_records():
    records = multi.sentiment_and_rating(toy_data(), seed=0, epochs=1)
    assert sorted(records) == ["multi_task", "separate"]
    # 128 rows in batches of 64: 2 steps per model; separate trains two models.
    assert records["multi_task"]["steps"] == 2 and records["separate"]["steps"] == 4
    for record in records.values():
        assert sorted(record["sentiment_accuracy"]) == sorted(multi.DOMAINS.values())
        for value in record["sentiment_accuracy"].values():
            assert round(value * 16) == value * 16  # 16 test rows per domain
        assert all(value > 0 for value in record["rating_mae"].values())


def test_a_head_learns_only_from_its_own_domain():
    """Rows weighted 0 for a head give it no gradient, so Adam leaves it as
    initialized, while the heads whose rows are present change."""
    data = toy_data()
    heads = list(multi.DOMAINS.values())
    tasks = {head: {"num_classes": 2} for head in heads}
    train = data["train"]
    weights = {head: (train["domain"] == index).astype("float32")
               for index, head in enumerate(heads)}
    weights["nyt"][:] = 0.0  # no row reaches the nyt head
    multi.harness.seed_everything(0)
    initial = multi.build(8, tasks)
    model, _, steps = multi.fit(tasks, train["features"], {h: train["y"] for h in heads},
                                epochs=1, seed=0, sample_weight=weights)
    assert steps == 2
    for head in heads:
        before = initial.get_layer(head).get_weights()
        after = model.get_layer(head).get_weights()
        unchanged = all(np.array_equal(b, a) for b, a in zip(before, after))
        assert unchanged == (head == "nyt"), head


@pytest.mark.large  # five models: about 12 s on 2 busy CPU cores
def test_per_domain_heads_records():
    records = multi.per_domain_heads(toy_data(), seed=0, epochs=1)
    # One model on 128 rows (2 steps) vs four models on 32 rows (1 step each).
    assert records["multi_task"]["steps"] == 2 and records["separate"]["steps"] == 4
    for record in records.values():
        assert sorted(record["sentiment_accuracy"]) == sorted(multi.DOMAINS.values())
        assert "rating_mae" not in record


def test_summary_is_mean_and_std_per_domain():
    runs = [{"seconds": 1.0, "steps": 2, "epochs": 1,
             "sentiment_accuracy": {"movies": 0.5, "amazon": 1.0}},
            {"seconds": 3.0, "steps": 2, "epochs": 1,
             "sentiment_accuracy": {"movies": 0.7, "amazon": 1.0}}]
    summary = multi.summarize(runs)
    assert summary["seconds"] == {"mean": 2.0, "std": 1.0}
    assert summary["sentiment_accuracy"] == {"movies": {"mean": 0.6, "std": 0.1},
                                             "amazon": {"mean": 1.0, "std": 0.0}}
    assert "rating_mae" not in summary
