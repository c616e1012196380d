"""Transfer quality on spoken digits (clean and noisy) with speech_embedding.

Prints one JSON object (same layout as text_quality.py; conventions in
harness.py), with two tasks: `spoken_words` clean and with white noise at
`--snr-db` (10 dB) in both train and test. The data are the offline
`spoken_words` set (ten digits, 40 train / 10 test clips per word,
speaker-disjoint, 1 s at 16 kHz: longer than speech_embedding's 12,512-sample
minimum); the classifier is `build_audio_classifier("speech_embedding", 10)`.

`--task spoken_commands` runs the harder offline `spoken_commands` set
instead (35 words, 40 train / 20 test clips per word, voice-disjoint): one
task in its default noise (each clip white or babble, 0-10 dB SNR in train
and test), and with `--clean` one without noise; `--snr-db` does not apply
to it.

    python benchmarks/audio_quality.py [--quick] [--seeds 3] [--snr-db 10]
    python benchmarks/audio_quality.py --task spoken_commands

The training set is small (400 clips: 13 steps per epoch), so the defaults
train longer than on text and images: E = `--epochs` = 10 total epochs for
every fine-tuning method, 60 epochs for the frozen head (quick: 4 and 20).
The backbone's 96-d embedding is not normalized (values up to about +-70,
per-dimension means far from 0): a plain Dense head learned slowly on it
(0.67 test accuracy after 20 epochs on cached features, 0.83 after 60), so
the registry gives speech_embedding a LayerNorm-first head
(`head_normalize`; `ClassificationHead(normalize=True)`).
Full mode: 3 seeds; random_init (it stays at chance) and plain_fine_tune
(seed 0) only with `--references`; plan_full for seed 0.

Methods (batch 32):
- majority;
- logmel_logreg: mean and std over time of a 40-band log-mel spectrogram
  (25 ms windows, 10 ms hop, 20-8000 Hz; 80 numbers per clip),
  standardized, + logistic regression (C by 3-fold CV);
- frozen_logreg / frozen_head: the frozen backbone's 96-d clip embedding
  (once, `keras_transfer.FeatureCache`) + logistic regression / the
  builder's head (Adam 1e-3, `--head-epochs`);
- random_init: the builder's model with every trainable backbone weight
  re-drawn (kernels Glorot uniform, biases 0; the mel front-end is not
  trainable and stays), all layers trained with Adam 1e-3 for E epochs;
- plain_fine_tune: `trainable=True`, Adam 1e-4 constant (the builder's
  default), E epochs;
- fine_tune: `keras_transfer.fine_tune` defaults (plan "auto": a linear
  probe on cached features, then fine-tuning from it) at the same E total
  epochs; plan_full: `fine_tune(plan="full")` (a random head, then gradual
  unfreezing: the default before plans).
Sample efficiency: logmel_logreg, frozen_logreg, fine_tune and plan_full at
5, 20 labels per class and all (40).
"""

import argparse
import logging
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import harness  # noqa: E402
import keras_transfer  # noqa: E402
from keras_transfer import data  # noqa: E402

logger = logging.getLogger("benchmarks.audio_quality")

BACKBONE = "speech_embedding"
TASKS = ("spoken_words", "spoken_commands")
SAMPLE_RATE = 16000
PLAIN_LR = 1e-4
RANDOM_INIT_LR = 1e-3


def logmel_statistics(waveforms, batch=256):
    """Per clip: mean and std over time of a 40-band log-mel spectrogram."""
    mel = tf.signal.linear_to_mel_weight_matrix(40, 257, SAMPLE_RATE, 20.0, 8000.0)
    out = []
    for start in range(0, len(waveforms), batch):
        stft = tf.signal.stft(waveforms[start:start + batch], 400, 160, fft_length=512)
        logmel = tf.math.log(tf.matmul(tf.abs(stft) ** 2, mel) + 1e-6)
        out.append(tf.concat([tf.reduce_mean(logmel, 1),
                              tf.math.reduce_std(logmel, 1)], -1).numpy())
    return np.concatenate(out)


def reinitialize_glorot(layer, seed):
    """Re-draws the layer's trainable weights: kernels Glorot uniform, biases 0."""
    for i, variable in enumerate(layer.trainable_weights):
        shape = tuple(variable.shape)
        if variable.path.endswith("bias") or len(shape) < 2:
            value = np.zeros(shape)
        else:
            value = keras.initializers.GlorotUniform(seed=seed * 1000 + i)(shape)
        variable.assign(np.asarray(value).astype(variable.dtype))


class AudioBenchmark(harness.TransferBenchmark):
    def __init__(self, args, dataset, **noise):
        per_word = {"train": args.train_per_word, "test": args.test_per_word}
        train, test = (data.load_dataset(dataset, split, seed=0,
                                         examples_per_word=per_word[split], **noise)
                       for split in ("train", "test"))
        super().__init__(args, train, test)
        self.extra_settings = {**noise,
                               "plain_fine_tune_learning_rate": PLAIN_LR,
                               "random_init_learning_rate": RANDOM_INIT_LR}

    def dataset(self, x, y, shuffle, seed):
        return data.from_arrays(x, y, class_names=self.names, modality="audio",
                                batch_size=self.batch_size, shuffle=shuffle, seed=seed)

    def build(self, seed, trainable, learning_rate=None):
        harness.seed_everything(seed)
        return keras_transfer.build_audio_classifier(
            BACKBONE, len(self.names), sample_rate=SAMPLE_RATE, clip_seconds=1.0,
            trainable=trainable, learning_rate=learning_rate)

    def logmel_logreg(self, seed, index):
        with harness.Timer() as t:
            predicted, info = harness.logistic_regression(
                logmel_statistics(self.train.x[index]), self.train.y[index],
                logmel_statistics(self.test.x), seed)
        return harness.run_record(seed, self.test.y, predicted, t.seconds,
                                  examples=len(index), **info)

    def random_init(self, seed):
        model = self.build(seed, trainable=True, learning_rate=RANDOM_INIT_LR)
        reinitialize_glorot(model.get_layer("backbone"), seed)
        return self.fit_and_score(model, seed)


def run_condition(args, name, dataset, **noise):
    bench = AudioBenchmark(args, dataset, **noise)
    bench.extract_features()
    main = [
        ("majority", "most frequent training label",
         lambda s: harness.majority(s, bench.train.y, bench.test.y)),
        ("logmel_logreg", "log-mel statistics + logistic regression",
         lambda s: bench.logmel_logreg(s, bench.everything)),
        ("frozen_logreg", "frozen speech_embedding + logistic regression",
         lambda s: bench.frozen_logreg(s, bench.everything)),
        ("frozen_head", "frozen speech_embedding + Keras head on cached features",
         bench.frozen_head),
        ("random_init", "speech_embedding architecture, random init, all layers, "
         "Adam 1e-3", bench.random_init, 1),
        ("plain_fine_tune", "all layers from the start, Adam 1e-4 constant",
         lambda s: bench.plain_fine_tune(s, PLAIN_LR), 1),
    ] + harness.recipe_methods(bench, args.ablations)
    curve = [("logmel_logreg", bench.logmel_logreg),
             ("frozen_logreg", bench.frozen_logreg),
             ] + harness.curve_recipe_methods(bench)
    methods, points = harness.run_task(bench, args.seeds, main, curve,
                                       args.labels_per_class)
    return bench.task_json(name, methods, points, dataset=dataset, backbone=BACKBONE,
                           **noise)


def run(args):
    with harness.Timer() as total:
        if args.task == "spoken_words":
            tasks = [run_condition(args, "spoken_words clean", args.task, snr_db=None),
                     run_condition(args, f"spoken_words noisy {args.snr_db:g} dB",
                                   args.task, snr_db=args.snr_db)]
        else:
            tasks = [run_condition(args, "spoken_commands white/babble 0-10 dB",
                                   args.task, noise="mixed", snr_db=[0.0, 10.0])]
            if args.clean:
                tasks.append(run_condition(args, "spoken_commands clean", args.task,
                                           noise=None))
    return {
        "benchmark": "audio_quality",
        "mode": harness.mode_name(args.quick),
        "seeds": list(range(args.seeds)),
        "tasks": tasks,
        "total_seconds": round(total.seconds, 1),
        "environment": harness.environment(),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    harness.add_common_arguments(
        parser, "10 train / 5 test clips per word, 4 epochs, 1 seed: machinery check")
    parser.add_argument("--task", choices=TASKS, default="spoken_words",
                        help="dataset: the ten digits (default) or 35 noisy commands")
    parser.add_argument("--clean", action="store_true",
                        help="spoken_commands: also run the clean condition")
    parser.add_argument("--snr-db", type=float, default=10.0,
                        help="SNR of the noisy digits task. Default 10")
    parser.add_argument("--train-per-word", type=int, default=None,
                        help="default 40 (quick: 10)")
    parser.add_argument("--test-per-word", type=int, default=None,
                        help="default 10, spoken_commands 20 (quick: 5)")
    args = harness.apply_defaults(
        parser.parse_args(),
        {**harness.COMMON_QUICK, "epochs": 4, "head_epochs": 20,
         "train_per_word": 10, "test_per_word": 5,
         "labels_per_class": [5, "all"]},
        {**harness.COMMON_FULL, "epochs": 10, "head_epochs": 60,
         "train_per_word": 40,
         "labels_per_class": [5, 20, "all"]})
    if args.test_per_word is None:
        args.test_per_word = 20 if args.task == "spoken_commands" else 10
    harness.setup_logging()
    harness.quiet_warnings()
    harness.emit(run(args))


if __name__ == "__main__":
    main()
