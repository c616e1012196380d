import tempfile
from pathlib import Path

from keras_transfer.data.read_pocketsphinx_librivox import (
    DEFAULT_FOLDER, read_pocketsphinx_librivox)
from keras_transfer.testing import TestCase, require


class ReadPocketsphinxLibrivoxTest(TestCase):
    def test_debian_package(self):
        require(Path(DEFAULT_FOLDER).is_dir(), "pocketsphinx-testdata is not installed")
        pairs = read_pocketsphinx_librivox()
        self.assertEqual(len(pairs), 5)
        self.assertEqual(pairs[1][1], "he was not an ill disposed young man")
        self.assertTrue(pairs[1][0].endswith("sense_and_sensibility_01_austen_64kb-0880.wav"))

    def test_malformed_lines_and_missing_folder(self):
        folder = Path(tempfile.mkdtemp())
        (folder / "transcription").write_text("<s> hi </s> (../x)\n")
        with self.assertRaisesRegex(ValueError, "line 1"):
            read_pocketsphinx_librivox(folder)
        with self.assertRaisesRegex(FileNotFoundError, "pocketsphinx-testdata"):
            read_pocketsphinx_librivox(tempfile.mkdtemp())
