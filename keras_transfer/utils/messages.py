"""User-facing progress messages, the way Keras callbacks print theirs."""

import logging
import sys

logger = logging.getLogger("keras_transfer")


def say(message, verbose=1):
    """Logs `message`; with `verbose`, also writes it to stdout (as Keras' callbacks do)."""
    logger.info(message)
    if verbose:
        sys.stdout.write(message + "\n")
        sys.stdout.flush()
