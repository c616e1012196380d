"""Test helpers for keras_transfer and for tests of your own layers.

`TestCase` is keras_transfer's test base class (on `tf.test.TestCase`), with
`run_layer_test`, `run_serialization_test` and `run_fit_smoke`; `require`
skips a test whose resource (weights wheel, system package, dataset) is
missing, and fails it instead when `CI=true`; `run_workers` runs a script as
a local multi-worker cluster (one process per `TF_CONFIG` task on 127.0.0.1).

Import it explicitly: `keras_transfer.testing` is not imported by
`import keras_transfer`, and `require` needs pytest only when it is called.
"""

from keras_transfer.testing.resources import require
from keras_transfer.testing.test_case import TestCase
from keras_transfer.testing.workers import run_workers
