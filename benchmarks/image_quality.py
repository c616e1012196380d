"""Transfer quality on Fashion-MNIST with EfficientNet-Lite0 at 96 px.

Prints one JSON object (same layout as text_quality.py; conventions in
harness.py). 2,000 train / 1,000 test images (stratified, fixed sample),
28x28 grayscale upsampled to 96x96 RGB by
`keras_transfer.data.from_arrays(..., image_size=96)`; the classifier is
`build_image_classifier("efficientnet_lite0", 10, image_size=(96, 96))`, so
its Resizing layer is a no-op and the backbone runs at 96x96 (the
SavedModel takes any size). 224 px would cost about
`resolution.forward_224_over_96` times as much per image (measured here on
the frozen backbone, interleaved rounds); 96 px is what this benchmark uses.

    python benchmarks/image_quality.py [--quick] [--seeds 2]

Full mode: 3 seeds; random_init and plain_fine_tune (seed 0) only with
`--references`, and plan_full for seed 0, so that `make bench` fits in
about 90 minutes.

Methods (batch 32; E = `--epochs` total epochs, 3 by default):
- majority;
- pixels_logreg: the 784 raw pixels, standardized, + logistic regression
  (C by 3-fold CV);
- frozen_logreg / frozen_head: the frozen backbone's 1280-d features (once,
  `keras_transfer.FeatureCache`) + logistic regression / the builder's head
  (Adam 1e-3, `--head-epochs`);
- random_init: the same network from random init: the provider's native
  Keras EfficientNet-Lite0 (`build_model(weights=None)`, Keras' default
  initializers) with the same rescaling and head, BatchNorm training, all
  layers trained with Adam 1e-3 for E epochs. (Re-initializing the
  HubBackbone instead would leave BatchNorm in inference mode with moving
  statistics that never update: the registry runs this backbone with
  `inference_mode=True`.)
- plain_fine_tune: the builder with `trainable=True`, Adam 1e-4 constant
  (its default), E epochs, BatchNorm in inference mode (Keras guide);
- fine_tune: `keras_transfer.fine_tune` defaults (plan "auto": a linear
  probe on cached features, then fine-tuning from it) at the same E total
  epochs; plan_full: `fine_tune(plan="full")` (a random head, then gradual
  unfreezing: the default before plans).
Sample efficiency: pixels_logreg, frozen_logreg, fine_tune and plan_full at
5, 20, 100 labels per class and all (200).
"""

import argparse
import logging
import os
import statistics

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import harness  # noqa: E402
import keras_transfer  # noqa: E402
from keras_transfer import data  # noqa: E402
from keras_transfer.backbones.providers.efficientnet_lite0 import model as efficientnet_lite0  # noqa: E402,E501

logger = logging.getLogger("benchmarks.image_quality")

BACKBONE = "efficientnet_lite0"
DATASET = "fashion_mnist"
IMAGE_SIZE = 96
PLAIN_LR = 1e-4
RANDOM_INIT_LR = 1e-3


class ImageBenchmark(harness.TransferBenchmark):
    def __init__(self, args):
        super().__init__(
            args,
            data.load_dataset(DATASET, "train", num_examples=args.train, seed=0),
            data.load_dataset(DATASET, "test", num_examples=args.test, seed=0))
        self.extra_settings = {"image_size": IMAGE_SIZE,
                               "plain_fine_tune_learning_rate": PLAIN_LR,
                               "random_init_learning_rate": RANDOM_INIT_LR}

    def dataset(self, x, y, shuffle, seed):
        return data.from_arrays(x, y, class_names=self.names, modality="image",
                                batch_size=self.batch_size, shuffle=shuffle, seed=seed,
                                image_size=IMAGE_SIZE)

    def build(self, seed, trainable, learning_rate=None):
        harness.seed_everything(seed)
        return keras_transfer.build_image_classifier(
            BACKBONE, len(self.names), image_size=(IMAGE_SIZE, IMAGE_SIZE),
            trainable=trainable, learning_rate=learning_rate)

    def pixels_logreg(self, seed, index):
        flat = lambda x: x.reshape(len(x), -1).astype("float32") / 255.0  # noqa: E731
        with harness.Timer() as t:
            predicted, info = harness.logistic_regression(
                flat(self.train.x[index]), self.train.y[index], flat(self.test.x), seed)
        return harness.run_record(seed, self.test.y, predicted, t.seconds,
                                  examples=len(index), **info)

    def random_init(self, seed):
        harness.seed_everything(seed)
        inputs = keras.Input((None, None, 3), name="images")
        x = keras.layers.Rescaling(1 / 255.0)(inputs)
        x = keras.layers.Resizing(IMAGE_SIZE, IMAGE_SIZE)(x)
        x = efficientnet_lite0.build_model(weights=None, include_top=False)(x)
        outputs = keras_transfer.ClassificationHead(len(self.names), dropout=0.2,
                                                    name="head")(x)
        model = keras.Model(inputs, outputs)
        model.compile(keras.optimizers.Adam(RANDOM_INIT_LR),
                      "sparse_categorical_crossentropy", metrics=["accuracy"])
        return self.fit_and_score(model, seed)


def resolution_speed(rounds, batches=2):
    """Frozen-backbone forward examples/s at 96 and 224 px, interleaved rounds."""
    import time

    model = keras_transfer.build_image_classifier(BACKBONE, 10, trainable=False)
    backbone = model.get_layer("backbone")
    rng = np.random.default_rng(0)
    images = {size: rng.random((32, size, size, 3)).astype("float32")
              for size in (96, 224)}
    seconds = {size: [] for size in images}
    for size, x in images.items():  # trace
        backbone(x)
    for _ in range(rounds):
        for size, x in images.items():
            start = time.perf_counter()
            for _ in range(batches):
                np.asarray(backbone(x))
            seconds[size].append((time.perf_counter() - start) / batches)
    rate = {size: 32 / statistics.median(s) for size, s in seconds.items()}
    return {"batch": 32, "rounds": rounds,
            "forward_examples_per_second": {str(k): round(v, 1)
                                            for k, v in rate.items()},
            "forward_224_over_96": round(rate[96] / rate[224], 2)}


def run(args):
    bench = ImageBenchmark(args)
    with harness.Timer() as total:
        resolution = resolution_speed(rounds=2 if args.quick else 5)
        bench.extract_features()
        main = [
            ("majority", "most frequent training label",
             lambda s: harness.majority(s, bench.train.y, bench.test.y)),
            ("pixels_logreg", "raw pixels + logistic regression",
             lambda s: bench.pixels_logreg(s, bench.everything)),
            ("frozen_logreg",
             "frozen EfficientNet-Lite0 features + logistic regression",
             lambda s: bench.frozen_logreg(s, bench.everything)),
            ("frozen_head", "frozen EfficientNet-Lite0 + Keras head on cached features",
             bench.frozen_head),
            ("random_init", "native EfficientNet-Lite0, random init, all layers, "
             "Adam 1e-3", bench.random_init, 1),
            ("plain_fine_tune", "all layers from the start, Adam 1e-4 constant",
             lambda s: bench.plain_fine_tune(s, PLAIN_LR), 1),
        ] + harness.recipe_methods(bench, args.ablations)
        curve = [("pixels_logreg", bench.pixels_logreg),
                 ("frozen_logreg", bench.frozen_logreg),
                 ] + harness.curve_recipe_methods(bench)
        methods, points = harness.run_task(bench, args.seeds, main, curve,
                                           args.labels_per_class)
    return {
        "benchmark": "image_quality",
        "mode": harness.mode_name(args.quick),
        "seeds": list(range(args.seeds)),
        "tasks": [bench.task_json(DATASET, methods, points, dataset=DATASET,
                                  backbone=BACKBONE)],
        "resolution": resolution,
        "total_seconds": round(total.seconds, 1),
        "environment": harness.environment(),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    harness.add_common_arguments(
        parser, "200 train / 200 test, 2 epochs, 1 seed: checks the machinery only")
    parser.add_argument("--train", type=int, default=None,
                        help="default 2000 (quick: 200)")
    parser.add_argument("--test", type=int, default=None,
                        help="default 1000 (quick: 200)")
    args = harness.apply_defaults(
        parser.parse_args(),
        {**harness.COMMON_QUICK, "train": 200, "test": 200,
         "labels_per_class": [5, "all"]},
        {**harness.COMMON_FULL, "train": 2000, "test": 1000,
         "labels_per_class": [5, 20, 100, "all"]})
    harness.setup_logging()
    harness.quiet_warnings()
    harness.emit(run(args))


if __name__ == "__main__":
    main()
