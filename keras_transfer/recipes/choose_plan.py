"""`choose_plan`: which training plan fits a label budget."""

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.recipes import defaults
from keras_transfer.utils.argument_validation import check_int, check_one_of

PLANS = ("auto", "linear_probe", "lp_ft", "full")


@keras_transfer_export("keras_transfer.choose_plan")
def choose_plan(examples_per_class, plan="auto"):
    """Picks `fine_tune`'s plan from the number of labelled examples per class.

    The plans:

    - `"linear_probe"`: train only the head, on frozen backbone features
      computed once (`keras_transfer.FeatureCache`); the backbone is never
      updated.
    - `"lp_ft"`: that linear probe first, then fine-tuning of the whole model
      from the probed head (LP-FT, Kumar et al. 2022: fine-tuning from a
      random head distorts the pretrained features).
    - `"full"`: `fine_tune`'s original ULMFiT path: a random head trained for
      `head_epochs` through the frozen backbone, then gradual unfreezing.

    `"auto"` chooses by the size of the smallest class: at most
    `LINEAR_PROBE_MAX_PER_CLASS` (2) examples, `"linear_probe"` (too few to
    update the backbone without distorting its features); up to
    `LP_FT_MAX_PER_CLASS` (100), `"lp_ft"`; more, `"full"` (the
    measurements behind it: `keras_transfer.recipes.defaults` and
    docs/concepts.md, "Choosing a strategy by label budget"). An explicit plan is returned as
    given, with the reason "chosen by the caller".

    Args:
        examples_per_class: int. Labelled training examples in the smallest
            class.
        plan: str. `"auto"`, `"linear_probe"`, `"lp_ft"` or `"full"`.
            Defaults to `"auto"`.

    Returns:
        A dict: `plan` (never `"auto"`), `reason` (one sentence) and
        `examples_per_class`.

    Raises:
        ValueError: if `examples_per_class` is not an integer >= 1 or `plan`
            is unknown.

    Example:

    >>> keras_transfer.choose_plan(8)["plan"]
    'lp_ft'
    """
    check_one_of(plan, "plan", PLANS)
    check_int(examples_per_class, "examples_per_class", minimum=1)
    if plan != "auto":
        reason = f"plan={plan!r} chosen by the caller ({examples_per_class} examples per class)"
    elif examples_per_class <= defaults.LINEAR_PROBE_MAX_PER_CLASS:
        plan = "linear_probe"
        reason = (f"{examples_per_class} examples per class <= "
                  f"{defaults.LINEAR_PROBE_MAX_PER_CLASS}: too few to update the backbone "
                  "without distorting its features; the head alone trains on frozen "
                  "features")
    elif examples_per_class <= defaults.LP_FT_MAX_PER_CLASS:
        plan = "lp_ft"
        reason = (f"{examples_per_class} examples per class > "
                  f"{defaults.LINEAR_PROBE_MAX_PER_CLASS}: linear probe first, then "
                  "fine-tuning from that head (LP-FT)")
    else:
        plan = "full"
        reason = (f"{examples_per_class} examples per class > "
                  f"{defaults.LP_FT_MAX_PER_CLASS}: a head phase, then gradual "
                  "unfreezing (measured better than LP-FT with every label)")
    return {"plan": plan, "reason": reason, "examples_per_class": examples_per_class}
