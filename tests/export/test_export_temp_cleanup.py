"""export_for_serving: leftover `.export-tmp-*` folders are cleaned on the next export."""

import fcntl
import importlib
import os
import time
from unittest import mock

import keras

from keras_transfer.export.export_for_serving import export_for_serving
from keras_transfer.testing import TestCase

# The package exports the function under the module's name.
module = importlib.import_module("keras_transfer.export.export_for_serving")


def _leftover(base, name, age_seconds):
    path = os.path.join(base, module.TEMP_PREFIX + name)
    os.makedirs(os.path.join(path, "variables"))
    with open(os.path.join(path, "saved_model.pb"), "wb") as f:
        f.write(b"half written")
    then = time.time() - age_seconds
    os.utime(path, (then, then))
    return path


class ExportTempCleanupTest(TestCase):
    def test_only_stale_unlocked_leftovers_are_removed(self):
        base = self.temp_dir()
        killed = _leftover(base, "killed", module.STALE_TEMP_SECONDS + 60)
        fresh = _leftover(base, "fresh", 5)  # may be an export that just started
        live = _leftover(base, "live", module.STALE_TEMP_SECONDS + 60)
        fd = os.open(live, os.O_RDONLY)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # a live export holds it
        try:
            inputs = keras.Input((3,))
            model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(inputs))
            path = export_for_serving(model, base, modality="audio", warmup=False)
        finally:
            os.close(fd)
        self.assertEqual(path, os.path.join(base, "1"))
        self.assertFalse(os.path.exists(killed))
        self.assertTrue(os.path.exists(fresh))
        self.assertTrue(os.path.exists(live))
        self.assertEqual(sorted(os.listdir(base)),
                         sorted(["1", os.path.basename(fresh), os.path.basename(live)]))

    def test_the_export_holds_a_lock_on_its_temp_folder(self):
        base = self.temp_dir()
        seen = []

        def probe(temp, *args, **kwargs):
            fd = os.open(temp, os.O_RDONLY)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                seen.append("unlocked")
            except BlockingIOError:
                seen.append("locked")
            finally:
                os.close(fd)

        with mock.patch.object(module.warmup_requests, "write_warmup_requests", probe):
            module._write_version(_Archive(), base, None, "m", requests=[])
        self.assertEqual(seen, ["locked"])
        self.assertEqual(os.listdir(base), ["1"])


class _Archive:
    def write_out(self, path, verbose=False):
        with open(os.path.join(path, "saved_model.pb"), "wb") as f:
            f.write(b"stub")
