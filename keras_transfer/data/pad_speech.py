"""`pad_speech`: variable-length waveforms to a padded batch with its mask."""

import numpy as np

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.utils.argument_validation import check_int


@keras_transfer_export("keras_transfer.data.pad_speech")
def pad_speech(waveforms, max_samples):
    """Zero-pads mono waveforms to `max_samples` and marks the real samples.

    The input of `keras_transfer.build_speech_recognizer` models.

    Args:
        waveforms: list of 1-D float arrays.
        max_samples: int. The padded length.

    Returns:
        dict: `"waveform"` float32 `[n, max_samples]` and `"padding_mask"`
        bool `[n, max_samples]` (True on real samples).

    Raises:
        ValueError: if a waveform is not 1-D, is empty, or is longer than
            `max_samples` (cut or split long audio first).

    Example:

    ```python
    inputs = keras_transfer.data.pad_speech([np.zeros(8000), np.zeros(12000)], 16000)
    ```
    """
    check_int(max_samples, "max_samples", minimum=1)
    waveforms = list(waveforms)
    x = np.zeros((len(waveforms), max_samples), np.float32)
    mask = np.zeros((len(waveforms), max_samples), bool)
    for i, waveform in enumerate(waveforms):
        waveform = np.asarray(waveform, np.float32)
        if waveform.ndim != 1 or not len(waveform):
            raise ValueError(f"Waveform {i} must be 1-D and non-empty. "
                             f"Received shape {waveform.shape}")
        if len(waveform) > max_samples:
            raise ValueError(
                f"Waveform {i} has {len(waveform)} samples, more than "
                f"max_samples={max_samples}; cut or split it, or build the model "
                "with a larger `max_seconds`.")
        x[i, :len(waveform)] = waveform
        mask[i, :len(waveform)] = True
    return {"waveform": x, "padding_mask": mask}
