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

- `PLAN = "auto"`: `fine_tune` and the command line choose the plan by
  the label budget (`keras_transfer.choose_plan`): at most
  `LINEAR_PROBE_MAX_PER_CLASS` labelled examples in the smallest class,
  the linear probe alone (no backbone update); up to
  `LP_FT_MAX_PER_CLASS`, the linear probe and then fine-tuning from that
  head (LP-FT, Kumar et al. 2022); above, `"full"` (a head phase through
  the frozen backbone, then gradual unfreezing). Measured: on 35 spoken
  commands (clean, seed 0) LP-FT beat `"full"` at 5 labels per class
  (0.491 vs 0.237) and 20 (0.779 vs 0.691); with every label (1,000 per
  class) `"full"` beat LP-FT on Rotten Tomatoes (0.782 ± 0.006 vs 0.773 ±
  0.007, 3 seeds, 2,000 / 1,000 reviews) and on Fashion-MNIST (0.860 vs
  0.820 and 0.834, 200 per class), where LP-FT fell below frozen features +
  logistic regression (0.845). The switch at 100 lies between the budgets
  measured (20 and 200); it is not tuned. Below it, images lose: on
  Fashion-MNIST at 100 per class (`make bench`, 3 seeds) LP-FT reached
  0.785 ± 0.003 against 0.819 for logistic regression on frozen features;
  at seed 0 the probe alone gave 0.810, LP-FT with a 1e-4 fine-tuning peak
  0.808, at 1e-3 0.784, and `"full"` 0.841. A per-modality switch is the
  open question (docs/benchmarks.md).
- `HOLDOUT_FRACTION = 0.2`: the share of the training data held out for
  early stopping when `fine_tune(holdout=True)`. Off by default: holding
  out cost more than early stopping saved at every budget measured (35
  spoken commands, seeds 0 and 1: 0.364 / 0.383 with a held-out split vs
  0.454 / 0.427 without at 5 per class, 0.707 / 0.727 vs 0.779 / 0.769 at
  20; Rotten Tomatoes, 8 per class: 0.663 vs 0.677). With it,
  `PROBE_PATIENCE` epochs bound the probe and `FINE_TUNING_PATIENCE` the
  fine-tuning, and fine-tuning is kept only if it lowers the held-out loss
  below the probe's.
- `PROBE_LEARNING_RATE = 1e-2`, `PROBE_EPOCHS = 20`, `PROBE_MIN_STEPS = 200`:
  the linear probe (the command line's `--baseline-epochs`) trains on
  cached features (`keras_transfer.FeatureCache`) with Adam at
  `PROBE_LEARNING_RATE` for `PROBE_EPOCHS` epochs, raised so that it takes
  at least `PROBE_MIN_STEPS` optimizer steps (16 examples are one batch:
  20 epochs would be 20 steps; cached epochs cost almost nothing). At
  Adam's 1e-3 the probe was far from converged after 200 steps on 35
  spoken commands (training loss 2.5 at 5 per class; test accuracy 0.234
  against 0.453 for logistic regression on the same features); at 1e-2 it
  reached loss 0.30 and 0.436, and LP-FT from it 0.491 (0.454 from the
  1e-3 probe). At 20 per class: probe 0.617 vs 0.449, LP-FT 0.766 vs 0.779
  (logistic regression 0.626). On Fashion-MNIST at 5 per class the 1e-2
  probe reached 0.672 (logistic regression 0.616) and LP-FT 0.715.
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

PLAN = "auto"
LINEAR_PROBE_MAX_PER_CLASS = 2
LP_FT_MAX_PER_CLASS = 100
HOLDOUT_FRACTION = 0.2
PROBE_LEARNING_RATE = 1e-2
PROBE_EPOCHS = 20
PROBE_MIN_STEPS = 200
PROBE_PATIENCE = 20
FINE_TUNING_PATIENCE = 2
L2_SP_ALPHA = 0.01
