"""The shared test base class now lives in `keras_transfer.testing`; import it from there.

Kept so that tests written against the old location still import.
"""

from keras_transfer.testing import TestCase  # noqa: F401
