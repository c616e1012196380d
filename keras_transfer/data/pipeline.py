"""The preprocessing and batching that every `from_*` loader shares.

Whatever the source, a loader yields `(inputs, labels)` batches in one layout
per modality:

- image: float32 `(batch, height, width, 3)` pixel values in 0..255, as
  `keras.utils.image_dataset_from_directory` yields and keras_transfer's image
  models expect (grayscale repeated to RGB; float inputs already in [0, 1]
  are scaled up when `scale=True`),
- text: string `(batch,)`,
- audio: float32 mono waveforms `(batch, samples)` in [-1, 1],

with int32 labels `(batch,)`. With `drop_remainder=True` and a fixed
`image_size` / `output_sequence_length`, every dimension is static, as TPUs
need.
"""

import numpy as np
import tensorflow as tf

from keras_transfer.data.audio import pad_or_trim
from keras_transfer.data.audio import resample
from keras_transfer.utils.argument_validation import check_int, check_one_of

MODALITIES = ("image", "text", "audio")


def check_modality(modality):
    check_one_of(modality, "modality", MODALITIES)


def check_common(batch_size, image_size, sample_rate, output_sequence_length):
    """Validates the options all loaders share; returns image_size as (h, w)."""
    check_int(batch_size, "batch_size", minimum=1, allow_none=True, note="no batching")
    check_int(sample_rate, "sample_rate", minimum=1, allow_none=True)
    check_int(output_sequence_length, "output_sequence_length", minimum=1, allow_none=True)
    return normalize_image_size(image_size)


def normalize_image_size(image_size):
    if image_size is None:
        return None
    size = (image_size, image_size) if np.ndim(image_size) == 0 else image_size
    size = tuple(size)
    if len(size) != 2 or any(
        isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s <= 0
        for s in size
    ):
        raise ValueError(
            "`image_size` must be a positive integer or a (height, width) "
            f"pair of them. Received: image_size={image_size!r}"
        )
    return tuple(int(s) for s in size)


def check_unused(modality, **options):
    """Rejects options that do not apply to `modality`."""
    used = {
        "image": {"image_size"},
        "text": set(),
        "audio": {"sample_rate", "input_sample_rate", "output_sequence_length"},
    }[modality]
    wrong = sorted(k for k, v in options.items() if v is not None and k not in used)
    if wrong:
        raise ValueError(
            f"{wrong} do not apply to modality={modality!r}; its options are "
            f"{sorted(used) or 'none'}. Received: "
            + ", ".join(f"{k}={options[k]!r}" for k in wrong)
        )


def prepare_images(images, image_size, scale):
    """Makes float32 RGB images with 0..255 pixel values of `image_size` (rank 3 or 4).

    uint8 images are cast; float images are taken as 0..255 values, or as
    [0, 1] values multiplied by 255 when `scale` is true; one channel is
    repeated to three. This is the layout of Keras' directory loader and
    the input of keras_transfer's image models (which rescale inside).
    """
    images = tf.cast(images, tf.float32)
    if scale:
        images = images * 255.0
    if images.shape[-1] == 1:
        images = tf.image.grayscale_to_rgb(images)
    if image_size is not None:
        images = tf.image.resize(images, image_size, antialias=True)
        images = tf.clip_by_value(images, 0.0, 255.0)
    return images


def prepare_audio(waveform, rate_in, sample_rate, output_sequence_length):
    """Floats, resamples to `sample_rate` and pads/trims (rank 1 or 2)."""
    if waveform.dtype.is_integer:
        waveform = tf.cast(waveform, tf.float32) / 32768.0
    else:
        waveform = tf.cast(waveform, tf.float32)
    if sample_rate is not None:
        waveform = resample(waveform, rate_in, sample_rate)
    if output_sequence_length is not None:
        waveform = pad_or_trim(waveform, output_sequence_length)
    return waveform


def batch(ds, batch_size, drop_remainder, padded=False):
    """Batches, padding ragged waveforms to the longest when `padded`."""
    if batch_size is None:
        return ds
    if padded:
        return ds.padded_batch(batch_size, drop_remainder=drop_remainder)
    return ds.batch(batch_size, drop_remainder=drop_remainder)


def shard_by_file(ds):
    """Sets the auto-shard policy `FILE`: under a multi-worker strategy each
    worker reads its own files (TensorFlow raises an error when there are
    fewer files than workers)."""
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = (
        tf.data.experimental.AutoShardPolicy.FILE)
    return ds.with_options(options)
