import os
import tempfile
from pathlib import Path

from keras_transfer.testing import TestCase
from keras_transfer.utils.paths import resolve_inside


class ResolveInsideTest(TestCase):
    def test_inside_outside_and_links(self):
        root = Path(tempfile.mkdtemp())
        (root / "a").mkdir()
        self.assertEqual(resolve_inside(root, "a/b.wav"), (root / "a/b.wav").resolve())
        for bad in ("", "../x", "a/../../x", "/etc/passwd", "~/x", "C:\\x", "a\x00b",
                    "a\\..\\..\\x"):
            with self.assertRaisesRegex(ValueError, "relative path inside"):
                resolve_inside(root, bad)
        os.symlink(tempfile.mkdtemp(), root / "out")
        with self.assertRaisesRegex(ValueError, "outside"):
            resolve_inside(root, "out/x.wav")
