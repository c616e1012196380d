"""Recipe defaults: the numbers every entry point starts from.

The builders (`keras_transfer.models`), `keras_transfer.fine_tune`, the
discriminative optimizer and callback, the schedules and the `keras-transfer`
command line all take their default learning rates, decay and schedule
settings from here, so that one number has one home. The README's first
examples are checked against these values (`tests/recipes/test_defaults.py`).

Where each number comes from (measurements in docs/concepts.md, "What each
part of the recipe bought", and docs/benchmarks.md):

- `HEAD_LEARNING_RATE = 1e-3`: Adam's own default; trains a new head on a
  frozen backbone (the builders with `trainable=False`) and is
  `fine_tune`'s peak rate, used for the audio (spoken digits) and image
  (Fashion-MNIST) benchmarks.
- `FINE_TUNING_LEARNING_RATE = 1e-4`: the builders with `trainable=True`
  (every layer trains from the start); "plain fine-tuning, Adam 1e-4
  constant" in the benchmarks (0.907 on spoken digits, 0.868 on
  Fashion-MNIST).
- `TEXT_LEARNING_RATE = 2e-4`: the command line's peak rate for text
  (MiniLM-L6 on Rotten Tomatoes; 0.824 with a cached head and `DECAY`,
  against 0.816 for the Keras guide's plain fine-tuning at 2e-5).
- `DECAY = 1.0`: `fine_tune` and the command line give every group the same
  rate. ULMFiT's 2.6 (set for a 3-layer LSTM) lost to 1.0 on all three
  benchmarks: text -4.7 points already at 1.5, audio -26 points, image -1.4
  points.
- `DISCRIMINATIVE_DECAY = 2.6`: ULMFiT's per-group factor, the default of
  `keras_transfer.discriminative_optimizer` and `keras_transfer.DiscriminativeLR`
  when no other way (`learning_rates`, `lr_range`) is given. These two exist
  only to make the groups' rates differ, so their default is not `DECAY`
  (1.0 would make `DiscriminativeLR()` a no-op): discriminative rates are
  opt-in, and this is the value the literature uses when one opts in.
- `EPOCHS = 3`, `HEAD_EPOCHS = 1`, `SCHEDULE = "slanted_triangular"`:
  `fine_tune`'s run (ULMFiT's schedule); the command line uses `EPOCHS` too,
  but trains the head for `BASELINE_EPOCHS = 20` epochs on cached features
  instead of `HEAD_EPOCHS` through the frozen backbone (20 epochs on cached
  features cost about one forward pass).
- `SLANTED_TRIANGULAR_CUT_FRAC = 0.1`, `SLANTED_TRIANGULAR_RATIO = 32`:
  ULMFiT's values (Howard & Ruder 2018).
- `ONE_CYCLE_WARMUP_FRAC = 0.25`, `ONE_CYCLE_DIV_FACTOR = 25.0`,
  `ONE_CYCLE_FINAL_DIV_FACTOR = 1e5`: fastai's `fit_one_cycle`.
- `BATCH_SIZE = 32`: the command line's batch size (Keras' own default).

Not public API: read by keras_transfer's modules; users pass their own
values as arguments.
"""

HEAD_LEARNING_RATE = 1e-3
FINE_TUNING_LEARNING_RATE = 1e-4
TEXT_LEARNING_RATE = 2e-4

DECAY = 1.0
DISCRIMINATIVE_DECAY = 2.6

EPOCHS = 3
HEAD_EPOCHS = 1
SCHEDULE = "slanted_triangular"
BASELINE_EPOCHS = 20
BATCH_SIZE = 32

SLANTED_TRIANGULAR_CUT_FRAC = 0.1
SLANTED_TRIANGULAR_RATIO = 32

ONE_CYCLE_WARMUP_FRAC = 0.25
ONE_CYCLE_DIV_FACTOR = 25.0
ONE_CYCLE_FINAL_DIV_FACTOR = 1e5
