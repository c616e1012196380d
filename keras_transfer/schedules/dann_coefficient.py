"""DANN's schedule of the gradient reversal coefficient, as a pure function of progress."""

import math

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.utils.argument_validation import check_number

DANN_GAMMA = 10.0


@keras_transfer_export("keras_transfer.dann_coefficient")
def dann_coefficient(progress, gamma=DANN_GAMMA):
    """The adaptation factor λ of DANN at a point of training.

    Ganin et al. (2016, "Domain-Adversarial Training of Neural Networks",
    section 5.2.2) raise the gradient reversal coefficient from 0 to 1 so
    that the domain classifier's noisy early gradients do not disturb the
    feature extractor:

    ```
    λ(p) = 2 / (1 + exp(-gamma * p)) - 1
    ```

    with `p` the training progress, linear from 0 (first step) to 1 (last).
    λ(0) = 0, λ(0.5) = 0.9866 and λ(1) = 0.99991 with `gamma=10`.

    Args:
        progress: float. `p`, in [0, 1].
        gamma: float. How fast λ rises, > 0. Defaults to `10.0` (the paper's
            value).

    Returns:
        float. λ(p), in [0, 1).

    Raises:
        ValueError: if `progress` is not in [0, 1] or `gamma` is not a
            finite number > 0.

    Example:

    ```python
    keras_transfer.dann_coefficient(0.5)  # 0.9866142981514305
    ```
    """
    check_number(progress, "progress", 0, 1)
    check_number(gamma, "gamma", 0, min_open=True, finite=True)
    return 2.0 / (1.0 + math.exp(-gamma * progress)) - 1.0
