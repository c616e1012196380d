"""Speech recognition transfer: CER and WER of CTC recognizers, with and without an LM.

    python benchmarks/asr_quality.py [--quick] [--seeds 3]

Issue #18. Three character CTC recognizers, all built by
`keras_transfer.build_speech_recognizer` with the same `CTCHead` (dropout
0.1 + one Dense layer, float32 logits over blank, space, apostrophe, a-z),
trained on synthetic speech (`keras_transfer.data.load_synthetic_speech`:
rotten_tomatoes train sentences said by espeak-ng) and scored on

- `real`: the five real LibriVox recordings of Debian's
  `pocketsphinx-testdata` (one reader, Jane Austen, 3.0-7.1 s,
  `read_pocketsphinx_librivox`): another domain (human voice, 19th-century
  prose), 24.7 s of audio;
- `synthetic`: held-out synthetic speech (the test split: other sentences,
  other voices).

Methods:

- `whisper_ctc`: Whisper base's pretrained encoder (`whisper_base`), frozen,
  + the CTC head trained on its 512-d frames (50/s). Its frames are
  computed once (`keras_transfer.HubBackbone`, the layer the model holds;
  0.21 CPU-seconds per 7.5 s clip, measured) and the seeds share them. The
  encoder is not fine-tuned: with a backward pass at about twice the
  forward (an estimate), 200 clips x 15 epochs would add about 1,900
  CPU-seconds per seed, 5,700 for three seeds: more than this benchmark's
  whole budget.
- `speech_embedding_ctc`: `speech_embedding` (a pretrained convolutional
  keyword-spotting encoder, 96-d every 80 ms), fine-tuned end to end with
  the head (upsampled to 5 frames per encoder frame).
- `scratch_ctc`: the same network as `speech_embedding_ctc`, same head,
  `pretrained=False` (trainable weights re-drawn), trained the same way.
  A from-scratch Whisper-size encoder would cost what fine-tuning Whisper
  does (see above), out of this benchmark's budget.

Each is decoded three ways: greedy, beam search (width 16, no LM) and beam
search with shallow fusion of a character 5-gram Kneser-Ney LM
(`keras_transfer.speech.CharacterNgramModel`) counted from the
rotten_tomatoes train snippets (no test sentence; nothing from Austen, so
on `real` the LM is out of domain). The LM weight `alpha` and character
bonus `beta` are picked per method on the first seed from a small grid,
by CER on `validation`: more held-out synthetic test-split clips with
sentences not in `synthetic`.

Recorded per run: CER and WER (corpus rates, `transcript_error_rates`)
per test set and decoding; `seconds` (training wall time, Whisper's frame
extraction included); and the real-time factor of inference (`transcribe`
on the real recordings: padding, the model, decoding; wall time over audio
duration) greedy and with the LM, on this machine's CPUs.

Goal (issue #18): the pretrained encoder at least halves scratch's CER on
the real recordings; `goal` reports it from mean CERs (greedy and LM).

Full mode: 200 training clips (padded to 7.5 s: the longest real
recording is 7.1 s), 50 test and 20 validation clips, batch 8, Adam 1e-3;
the Whisper head 15 epochs (375 steps), the speech_embedding networks 12
epochs (300 steps); 3 seeds (a seed changes initialization, shuffling and
dropout; the data are fixed). These are short trainings, chosen for the
budget, not for the best CER. The first full run (2026-12-02, 1 seed)
trained the speech_embedding networks 6 epochs (150 steps: 148 s and
168 s against the Whisper head's 256 s); both still emitted only blanks
(greedy CER 1.000), which made "pretrained halves scratch" an easy
target. 12 epochs give them about the Whisper head's training time.
Expected cost from that run (649 s for 1 seed: Whisper frames 33 s;
training 256 s Whisper head, 148 s speech_embedding, 168 s scratch; the
rest decoding, the alpha/beta grid, real-time factors, builds): with 12
epochs about 970 s per seed, so about 50 minutes for three seeds;
`train_cpu_seconds` in each run lets the next run check the estimate.
Quick mode (a smoke run; its numbers say nothing): 16 training clips, 4
test and 4 validation clips, 1 epoch (2 for the Whisper head), 1 seed.
"""

import argparse
import logging
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

import harness  # noqa: E402

logger = logging.getLogger("benchmarks.asr_quality")

FULL = {"seeds": 3, "train": 200, "test": 50, "validation": 20, "max_seconds": 7.5,
        "head_epochs": 15, "epochs": 12, "batch_size": 8}
QUICK = {"seeds": 1, "train": 16, "test": 4, "validation": 4, "max_seconds": 7.5,
         "head_epochs": 2, "epochs": 1, "batch_size": 8}
METHODS = {
    "whisper_ctc": "whisper_base encoder (pretrained, frozen) + CTC head",
    "speech_embedding_ctc": "speech_embedding (pretrained) + CTC head, fine-tuned end to end",
    "scratch_ctc": "speech_embedding's network from scratch + the same CTC head",
}
LM_ORDER = 5
BEAM_WIDTH = 16
ALPHAS = (0.3, 0.6, 1.0)
BETAS = (0.5, 1.5)
HEAD_LEARNING_RATE = 1e-3
FINE_TUNE_LEARNING_RATE = 1e-3


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seeds", type=int, default=None)
    parser.add_argument("--methods", default=",".join(METHODS))
    return parser.parse_args(argv)


def load_data(settings):
    """Train, held-out synthetic (test and validation: distinct sentences), real."""
    import keras_transfer

    vocabulary = keras_transfer.speech.CharacterVocabulary()
    max_seconds = settings["max_seconds"]
    train = keras_transfer.data.load_synthetic_speech(
        "train", num_examples=settings["train"], max_seconds=max_seconds)
    held_out = keras_transfer.data.load_synthetic_speech(
        "test", num_examples=settings["test"] + settings["validation"],
        max_seconds=max_seconds)
    split = settings["test"]
    real_audio, real_text = keras_transfer.data.load_transcribed_audio(
        keras_transfer.data.read_pocketsphinx_librivox())
    data = {"train": train,
            "synthetic": (held_out[0][:split], held_out[1][:split]),
            "validation": (held_out[0][split:], held_out[1][split:]),
            "real": (real_audio, [vocabulary.normalize(t) for t in real_text])}
    longest = max(len(w) for w in real_audio) / 16000
    if longest > max_seconds:
        raise ValueError(f"A real recording lasts {longest:.2f} s, more than "
                         f"max_seconds={max_seconds}.")
    return vocabulary, data


def language_model(vocabulary):
    import keras_transfer

    sentences = list(keras_transfer.data.load_dataset("rotten_tomatoes", split="train").x)
    with harness.Timer() as timer:
        lm = keras_transfer.speech.CharacterNgramModel(sentences, vocabulary, order=LM_ORDER)
    info = {"sentences": lm.num_sentences, "order": LM_ORDER,
            "characters": sum(len(vocabulary.normalize(s)) for s in sentences),
            "seconds": round(timer.seconds, 2)}
    return lm, info


class Recognizer:
    """One method's model; `logits(split)` gives frame logits of a data split."""

    def __init__(self, method, vocabulary, settings, seed, cache):
        import keras

        import keras_transfer

        self.method = method
        self.settings = settings
        self.samples = int(round(16000 * settings["max_seconds"]))
        keras.utils.set_random_seed(seed)
        if method == "whisper_ctc":
            self.model = keras_transfer.build_speech_recognizer(
                "whisper_base", vocabulary, max_seconds=settings["max_seconds"],
                trainable=False, learning_rate=HEAD_LEARNING_RATE, seed=seed)
            self.frames = cache
        else:
            self.model = keras_transfer.build_speech_recognizer(
                "speech_embedding", vocabulary, max_seconds=settings["max_seconds"],
                trainable=True, pretrained=method != "scratch_ctc",
                learning_rate=FINE_TUNE_LEARNING_RATE, seed=seed)

    def _inputs(self, waveforms):
        import keras_transfer

        return keras_transfer.data.pad_speech(waveforms, self.samples)

    def encoder_frames(self, data):
        """Whisper's frames of every split, computed once (the seeds share them)."""
        import keras

        backbone = self.model.get_layer("backbone")
        encoder = keras.Model(self.model.input, backbone.output)
        frames = {}
        cpu = time.process_time()
        with harness.Timer() as timer:
            for split, (waveforms, _) in data.items():
                outputs = []
                for start in range(0, len(waveforms), 8):
                    batch = self._inputs(waveforms[start:start + 8])
                    outputs.append(np.asarray(encoder.predict_on_batch(batch)))
                frames[split] = np.concatenate(outputs)
        logger.info("whisper frames of %d clips: %.1f s wall, %.1f s CPU",
                    sum(len(w) for w, _ in data.values()), timer.seconds,
                    time.process_time() - cpu)
        return frames, timer.seconds

    def _head_model(self):
        import keras

        import keras_transfer

        head = self.model.get_layer("head")
        features = keras.Input(self.frames["train"].shape[1:], name="features")
        mask = keras.Input((self.samples,), dtype="bool", name="padding_mask")
        model = keras.Model({"features": features, "padding_mask": mask},
                            head(features, padding_mask=mask))
        model.compile(optimizer=keras.optimizers.Adam(HEAD_LEARNING_RATE),
                      loss=keras_transfer.CTCLoss())
        return model

    def fit(self, waveforms, texts, vocabulary):
        labels = vocabulary.encode(texts)
        inputs = self._inputs(waveforms)
        if self.method == "whisper_ctc":
            self.head_model = self._head_model()
            history = self.head_model.fit(
                {"features": self.frames["train"], "padding_mask": inputs["padding_mask"]},
                labels, batch_size=self.settings["batch_size"],
                epochs=self.settings["head_epochs"], verbose=0)
            return history.history["loss"], self.settings["head_epochs"]
        history = self.model.fit(inputs, labels, batch_size=self.settings["batch_size"],
                                 epochs=self.settings["epochs"], verbose=0)
        return history.history["loss"], self.settings["epochs"]

    def logits(self, split, waveforms):
        inputs = self._inputs(waveforms)
        if self.method == "whisper_ctc":
            return np.asarray(self.head_model.predict(
                {"features": self.frames[split], "padding_mask": inputs["padding_mask"]},
                batch_size=8, verbose=0))
        return np.asarray(self.model.predict(inputs, batch_size=8, verbose=0))


def error_rates(logits, texts, vocabulary, lm, alpha, beta):
    """CER/WER per decoding: greedy, beam search, beam search + LM."""
    from keras_transfer.evaluation import transcript_error_rates
    from keras_transfer.speech import decode_ctc

    decoded = {
        "greedy": decode_ctc(logits, vocabulary, "greedy"),
        "beam": decode_ctc(logits, vocabulary, "beam_search", BEAM_WIDTH),
        "beam_lm": decode_ctc(logits, vocabulary, "beam_search", BEAM_WIDTH,
                              language_model=lm, alpha=alpha, beta=beta),
    }
    rates = {name: {k: round(float(v), 4) for k, v in
                    transcript_error_rates(texts, hypotheses).items() if k in ("cer", "wer")}
             for name, hypotheses in decoded.items()}
    return rates, decoded


def tune_fusion(logits, texts, vocabulary, lm):
    """(alpha, beta) with the lowest validation CER, and the grid's CERs."""
    from keras_transfer.evaluation import transcript_error_rates
    from keras_transfer.speech import decode_ctc

    grid = {}
    for alpha in ALPHAS:
        for beta in BETAS:
            hypotheses = decode_ctc(logits, vocabulary, "beam_search", BEAM_WIDTH,
                                    language_model=lm, alpha=alpha, beta=beta)
            grid[f"{alpha},{beta}"] = round(float(
                transcript_error_rates(texts, hypotheses)["cer"]), 4)
    best = min(grid, key=grid.get)
    alpha, beta = (float(v) for v in best.split(","))
    return alpha, beta, grid


def real_time_factors(recognizer, waveforms, vocabulary, lm, alpha, beta):
    """Wall time of `transcribe` over audio seconds: greedy and beam search + LM."""
    import keras_transfer

    seconds = sum(len(w) for w in waveforms) / 16000
    factors = {}
    for name, options in (("greedy", {"strategy": "greedy"}),
                          ("beam_lm", {"strategy": "beam_search", "language_model": lm,
                                       "alpha": alpha, "beta": beta})):
        keras_transfer.speech.transcribe(recognizer.model, waveforms[:1], vocabulary,
                                         **options)  # warm-up: tracing
        cpu = time.process_time()
        with harness.Timer() as timer:
            keras_transfer.speech.transcribe(recognizer.model, waveforms, vocabulary,
                                             beam_width=BEAM_WIDTH, **options)
        factors[name] = round(timer.seconds / seconds, 4)
        factors[name + "_cpu"] = round((time.process_time() - cpu) / seconds, 4)
    return factors


def summarize(runs):
    """Mean and std over seeds of every rate, the seconds and the factors."""
    summary = {"seconds": harness._mean_std([r["seconds"] for r in runs])}
    for test_set in ("real", "synthetic"):
        summary[test_set] = {
            decoding: {k: harness._mean_std([r[test_set][decoding][k] for r in runs])
                       for k in ("cer", "wer")}
            for decoding in runs[0][test_set]}
    summary["real_time_factor"] = {
        k: harness._mean_std([r["real_time_factor"][k] for r in runs])
        for k in runs[0]["real_time_factor"]}
    return summary


def goal(methods):
    """Whether the pretrained encoders at least halve scratch's real CER."""
    if "scratch_ctc" not in methods:
        return None
    out = {}
    for decoding in ("greedy", "beam_lm"):
        scratch = methods["scratch_ctc"]["real"][decoding]["cer"]["mean"]
        for method in ("whisper_ctc", "speech_embedding_ctc"):
            if method in methods:
                mine = methods[method]["real"][decoding]["cer"]["mean"]
                out[f"{method} {decoding}"] = {
                    "cer": mine, "scratch_cer": scratch,
                    "ratio": round(mine / scratch, 4) if scratch else None,
                    "met": bool(mine <= scratch / 2)}
    return out


def main(argv=None):
    harness.setup_logging()
    args = parse_args(argv)
    settings = dict(QUICK if args.quick else FULL)
    if args.seeds is not None:
        settings["seeds"] = args.seeds
    methods = [m for m in args.methods.split(",") if m]
    unknown = sorted(set(methods) - set(METHODS))
    if unknown:
        raise SystemExit(f"unknown method(s) {unknown}; available: {list(METHODS)}")
    vocabulary, data = load_data(settings)
    lm, lm_info = language_model(vocabulary)
    logger.info("LM: %s", lm_info)
    results, frames, fusion = {}, None, {}
    for method in methods:
        runs = []
        for seed in range(settings["seeds"]):
            start = time.perf_counter()
            recognizer = Recognizer(method, vocabulary, settings, seed, frames)
            extraction = 0.0
            if method == "whisper_ctc":
                if frames is None:
                    frames, extraction = recognizer.encoder_frames(data)
                    frames_seconds = extraction
                recognizer.frames = frames
                extraction = frames_seconds
            build_seconds = time.perf_counter() - start
            cpu = time.process_time()
            with harness.Timer() as timer:
                losses, epochs = recognizer.fit(*data["train"], vocabulary)
            record = {"seed": seed, "seconds": round(timer.seconds + extraction, 2),
                      "train_seconds": round(timer.seconds, 2),
                      "train_cpu_seconds": round(time.process_time() - cpu, 2),
                      "frame_extraction_seconds": round(extraction, 2),
                      "build_seconds": round(build_seconds, 2), "epochs": epochs,
                      "loss": [round(float(losses[0]), 4), round(float(losses[-1]), 4)]}
            if method not in fusion:
                logits = recognizer.logits("validation", data["validation"][0])
                cpu = time.process_time()
                fusion[method] = tune_fusion(logits, data["validation"][1], vocabulary, lm)
                logger.info("%s: fusion grid on %d clips, %.1f s CPU: %s", method,
                            len(logits), time.process_time() - cpu, fusion[method])
            alpha, beta, _ = fusion[method]
            for test_set in ("real", "synthetic"):
                waveforms, texts = data[test_set]
                logits = recognizer.logits(test_set, waveforms)
                record[test_set], decoded = error_rates(logits, texts, vocabulary, lm,
                                                        alpha, beta)
                if test_set == "real":
                    record["real_examples"] = [
                        {"reference": texts[i], **{k: v[i] for k, v in decoded.items()}}
                        for i in range(min(2, len(texts)))]
            record["real_time_factor"] = real_time_factors(
                recognizer, data["real"][0], vocabulary, lm, alpha, beta)
            logger.info("%s seed %d: %s", method, seed,
                        {k: record[k] for k in ("seconds", "loss", "real", "synthetic",
                                                "real_time_factor")})
            runs.append(record)
        alpha, beta, grid = fusion[method]
        results[method] = {"description": METHODS[method], **summarize(runs),
                           "fusion": {"alpha": alpha, "beta": beta,
                                      "validation_cer": grid},
                           "runs": runs}
    harness.emit({
        "benchmark": "asr_quality", "quick": bool(args.quick), "settings": settings,
        "seeds": list(range(settings["seeds"])), "environment": harness.environment(),
        "data": {name: {"clips": len(texts), "seconds": round(sum(len(w) for w in wav)
                                                              / 16000, 1)}
                 for name, (wav, texts) in data.items()},
        "language_model": lm_info, "methods": results, "goal": goal(results)})


if __name__ == "__main__":
    sys.exit(main())
