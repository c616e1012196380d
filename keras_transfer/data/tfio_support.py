"""Feature detection for the optional tensorflow-io package.

tensorflow-io is not a requirement of keras_transfer. Its wheels can install
on a TensorFlow version they were not built for (tensorflow-io 0.37.1 on
TensorFlow 2.21 imports fine) while its native kernels fail to load, which
only shows up when an op runs. A plain `import tensorflow_io` (what
`keras.utils.audio_dataset_from_directory(sampling_rate=...)` relies on) is
therefore not a reliable test; this module runs one native op.
"""

import functools
import logging
import warnings

logger = logging.getLogger(__name__)


def tensorflow_io_available(return_reason=False):
    """Says whether tensorflow-io is installed and its native ops run.

    `tensorflow_io` is imported and one of its native ops
    (`tfio.audio.resample` on a short buffer) is run. The answer is computed
    once per process. keras_transfer never needs tensorflow-io: WAV decoding
    and resampling use `keras_transfer.data.decode_wav` and
    `keras_transfer.data.resample`, written with core TensorFlow ops.

    Args:
        return_reason: bool. Whether to also return a sentence that explains
            the answer (why the import or the op failed). Defaults to `False`.

    Returns:
        bool, or a tuple `(bool, str)` when `return_reason` is `True`.

    Example:

    ```python
    ok, why = keras_transfer.data.tensorflow_io_available(return_reason=True)
    ```
    """
    available, reason = _probe_tensorflow_io()
    if return_reason:
        return available, reason
    return available


@functools.lru_cache(maxsize=None)
def _probe_tensorflow_io():
    """Imports tensorflow_io and runs one native op; returns (ok, reason)."""
    import tensorflow as tf

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            import tensorflow_io as tfio
        except ImportError as error:
            return False, (
                f"tensorflow_io is not installed ({error}). It is optional: "
                "keras_transfer decodes and resamples audio with core "
                "TensorFlow ops."
            )
        except Exception as error:  # A broken wheel can raise anything.
            return False, (
                f"importing tensorflow_io failed with {type(error).__name__}: "
                f"{_first_line(error)}"
            )
    version = getattr(tfio, "__version__", "unknown")
    try:
        out = tfio.audio.resample(
            tf.zeros([32, 1], tf.float32), rate_in=16000, rate_out=8000
        )
        if int(out.shape[0]) != 16:
            raise RuntimeError(f"resample returned shape {tuple(out.shape)}")
    except Exception as error:
        reason = (
            f"tensorflow_io {version} is installed but its native ops do not "
            f"load on TensorFlow {tf.__version__}: {type(error).__name__}: "
            f"{_native_error(error)}"
        )
        if caught:
            logger.debug("tensorflow_io import warnings: %s", caught)
        logger.info(reason)
        return False, reason
    return True, (
        f"tensorflow_io {version} native ops run on TensorFlow {tf.__version__}."
    )


def _first_line(error):
    text = str(error).strip()
    return text.splitlines()[0] if text else repr(error)


def _native_error(error):
    """The informative part of a tensorflow_io library-loading error."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    for line in lines:
        if line.startswith(("NotImplementedError:", "unable to open file")):
            detail = line.split("NotImplementedError:", 1)[-1].strip()
            rest = [
                other for other in lines if "undefined symbol" in other
            ]
            if rest:
                detail += f" ({rest[0].strip('[]')[:300]})"
            return detail
    return lines[0] if lines else repr(error)
