"""The `keras-transfer` console script: quiets TensorFlow's start-up, then runs the CLI.

TensorFlow's native libraries log to file descriptor 2 while they load
(oneDNN notices, CUDA probing) before any Python setting applies, and
importing `keras_transfer` imports TensorFlow. This launcher therefore points
stderr at a temporary file while TensorFlow starts, shows those lines only if
the start fails, and then hands over to `keras_transfer.cli.main`. It lives
outside the package because importing anything inside `keras_transfer`
starts TensorFlow first.
"""

import os
import sys
import tempfile


def _start_tensorflow_quietly():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        saved = os.dup(2)
    except OSError:  # no stderr to protect
        return
    with tempfile.TemporaryFile() as sink:
        sys.stderr.flush()
        os.dup2(sink.fileno(), 2)
        try:
            import tensorflow as tf

            tf.constant(0)  # the first op probes devices (CUDA), which logs too
        except BaseException:
            os.dup2(saved, 2)
            sink.seek(0)
            sys.stderr.write(sink.read().decode("utf-8", "replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def main():
    """Entry point of the `keras-transfer` console script; returns the exit code."""
    _start_tensorflow_quietly()
    from keras_transfer.cli.main import main as run

    return run()


if __name__ == "__main__":
    sys.exit(main())
