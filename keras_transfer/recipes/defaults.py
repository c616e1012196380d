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
  `fine_tune`'s run (ULMFiT's schedule; `HEAD_EPOCHS` is the `"full"`
  plan's random-head phase through the frozen backbone); the command line
  uses `EPOCHS` too.
- `SLANTED_TRIANGULAR_CUT_FRAC = 0.1`, `SLANTED_TRIANGULAR_RATIO = 32`:
  ULMFiT's values (Howard & Ruder 2018).
- `ONE_CYCLE_WARMUP_FRAC = 0.25`, `ONE_CYCLE_DIV_FACTOR = 25.0`,
  `ONE_CYCLE_FINAL_DIV_FACTOR = 1e5`: fastai's `fit_one_cycle`.
- `BATCH_SIZE = 32`: the command line's batch size (Keras' own default).

- `PLAN = "full"`: `fine_tune`'s default plan stays today's path (a head
  epoch, then gradual unfreezing). On Rotten Tomatoes with MiniLM-L6 (one
  seed, 1,000 test reviews) it beat the budget-aware `"auto"` plan at 8
  labels per class (0.705 vs 0.663) and at 100 (0.689 vs 0.674), and beat
  frozen features + logistic regression at both (0.660, 0.677); `"auto"`
  becomes the default only if the multi-seed benchmark says so.
- `CLI_PLAN = "auto"`: the command line always trained a frozen baseline
  on cached features first and fine-tuned from that head; `"auto"` keeps
  that path (LP-FT) for more than `HOLDOUT_MAX_PER_CLASS` labels per class
  and adds a held-out split for early stopping below.
- `LINEAR_PROBE_MAX_PER_CLASS`, `HOLDOUT_MAX_PER_CLASS`: the `"auto"`
  plan by label budget (`keras_transfer.choose_plan`; the
  measurements behind the thresholds are in docs/concepts.md, "Choosing a
  strategy by label budget"). At most `LINEAR_PROBE_MAX_PER_CLASS` labelled
  examples in the smallest class: linear probe only (no backbone update);
  above: linear probe, then fine-tuning from that head (LP-FT, Kumar et al.
  2022). At most `HOLDOUT_MAX_PER_CLASS`: `HOLDOUT_FRACTION` of the training
  data (stratified) is held out for early stopping with best-weights
  restore (`PROBE_PATIENCE` epochs for the probe, `FINE_TUNING_PATIENCE`
  for fine-tuning), and fine-tuning is kept only if it lowers the held-out
  loss below the probe's.
- `PROBE_EPOCHS = 20`, `PROBE_MIN_STEPS = 200`: the linear probe (the command
  line's `--baseline-epochs`; 20 epochs on cached features cost about one
  forward pass) trains on
  cached features (`keras_transfer.FeatureCache`) at `HEAD_LEARNING_RATE`
  for `PROBE_EPOCHS` epochs, raised so that it takes at least
  `PROBE_MIN_STEPS` optimizer steps (16 examples are one batch: 20 epochs
  would be 20 steps, far from converged; cached epochs cost almost nothing).
- `L2_SP_ALPHA = 0.01`: the L2-SP strength (Li et al. 2018: alpha/2 *
  ||w - w0||^2 on the backbone) used when `fine_tune(l2_sp=True)`; off by
  default.

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
BATCH_SIZE = 32

SLANTED_TRIANGULAR_CUT_FRAC = 0.1
SLANTED_TRIANGULAR_RATIO = 32

ONE_CYCLE_WARMUP_FRAC = 0.25
ONE_CYCLE_DIV_FACTOR = 25.0
ONE_CYCLE_FINAL_DIV_FACTOR = 1e5

PLAN = "full"
CLI_PLAN = "auto"
LINEAR_PROBE_MAX_PER_CLASS = 2
HOLDOUT_MAX_PER_CLASS = 100
HOLDOUT_FRACTION = 0.2
PROBE_EPOCHS = 20
PROBE_MIN_STEPS = 200
PROBE_PATIENCE = 20
FINE_TUNING_PATIENCE = 2
L2_SP_ALPHA = 0.01
