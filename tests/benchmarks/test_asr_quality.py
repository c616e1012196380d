"""benchmarks/asr_quality.py: its pieces on tiny inputs, and (large) a quick run."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from keras_transfer.speech.character_ngram_model import CharacterNgramModel
from keras_transfer.speech.character_vocabulary import CharacterVocabulary
from tests.benchmarks import scripts

asr = scripts.load("asr_quality")


def cer(mean):
    return {"real": {d: {"cer": {"mean": mean, "std": 0.0}} for d in ("greedy", "beam_lm")}}


def test_goal_compares_mean_real_cer_to_half_of_scratch():
    goal = asr.goal({"whisper_ctc": cer(0.3), "speech_embedding_ctc": cer(0.5),
                     "scratch_ctc": cer(0.8)})
    assert goal["whisper_ctc greedy"] == {"cer": 0.3, "scratch_cer": 0.8, "ratio": 0.375,
                                          "met": True}
    assert goal["speech_embedding_ctc beam_lm"]["met"] is False
    assert asr.goal({"whisper_ctc": cer(0.3)}) is None


def test_fusion_is_tuned_on_validation_cer():
    # Acoustics say "cot" (o 0.5, a 0.4); an LM of cat sentences fixes it
    # for every alpha of the grid, so the grid's CERs are 0 with the LM...
    vocabulary = CharacterVocabulary()
    probabilities = np.full((4, vocabulary.num_classes), 1e-4)
    ids = {c: vocabulary.characters.index(c) + 1 for c in "cota"}
    for t, (character, p) in enumerate((("c", 0.9), ("o", 0.5), ("t", 0.9))):
        probabilities[t, [0, ids[character]]] = 1 - p, p
    probabilities[1, ids["a"]] = 0.4
    probabilities[1, 0] = 0.1
    probabilities[3, 0] = 1.0
    logits = np.log(probabilities / probabilities.sum(1, keepdims=True))[None]
    lm = CharacterNgramModel(["a cat", "the cat sat", "cat"] * 3, vocabulary, order=3)
    alpha, beta, grid = asr.tune_fusion(logits, ["cat"], vocabulary, lm)
    assert sorted(grid) == sorted(f"{a},{b}" for a in asr.ALPHAS for b in asr.BETAS)
    assert grid[f"{alpha},{beta}"] == min(grid.values()) == 0.0
    # ... and error_rates reports the three decodings.
    rates, decoded = asr.error_rates(logits, ["cat"], vocabulary, lm, alpha, beta)
    assert decoded["greedy"] == ["cot"] and decoded["beam_lm"] == ["cat"]
    assert rates["greedy"] == {"cer": round(1 / 3, 4), "wer": 1.0}
    assert rates["beam_lm"] == {"cer": 0.0, "wer": 0.0}


def test_summarize_means_over_seeds():
    def run(seed, value):
        decodings = {d: {"cer": value, "wer": 2 * value} for d in ("greedy", "beam")}
        return {"seed": seed, "seconds": 10.0 * (seed + 1), "real": decodings,
                "synthetic": decodings, "real_time_factor": {"greedy": value}}

    summary = asr.summarize([run(0, 0.2), run(1, 0.4)])
    assert summary["seconds"] == {"mean": 15.0, "std": 5.0}
    assert summary["real"]["beam"]["wer"] == {"mean": 0.6, "std": 0.2}
    assert summary["real_time_factor"]["greedy"]["mean"] == 0.3


@pytest.mark.large
def test_quick_run(tmp_path):
    root = os.path.dirname(scripts.BENCHMARKS)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    process = subprocess.run(
        [sys.executable, os.path.join(scripts.BENCHMARKS, "asr_quality.py"), "--quick"],
        capture_output=True, text=True, cwd=root, env=env, timeout=3600)
    assert process.returncode == 0, process.stderr[-3000:]
    result = json.loads(process.stdout)
    assert result["quick"] and result["seeds"] == [0]
    assert result["data"]["real"]["clips"] == 5
    assert sorted(result["methods"]) == sorted(asr.METHODS)
    for info in result["methods"].values():
        for test_set in ("real", "synthetic"):
            for decoding in ("greedy", "beam", "beam_lm"):
                assert 0.0 <= info[test_set][decoding]["cer"]["mean"] <= 5.0
        assert info["real_time_factor"]["greedy"]["mean"] > 0
        assert info["fusion"]["alpha"] in asr.ALPHAS
    assert set(result["goal"]) == {f"{m} {d}" for m in ("whisper_ctc", "speech_embedding_ctc")
                                   for d in ("greedy", "beam_lm")}
