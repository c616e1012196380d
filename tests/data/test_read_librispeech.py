import os
import tempfile
from pathlib import Path

from keras_transfer.data.read_librispeech import read_librispeech
from keras_transfer.testing import TestCase


def tree(root, lines, audio=("84-121-0000", "84-121-0001")):
    chapter = Path(root, "84", "121")
    chapter.mkdir(parents=True)
    (chapter / "84-121.trans.txt").write_text("\n".join(lines) + "\n")
    for name in audio:
        (chapter / f"{name}.wav").write_bytes(b"RIFF")
    return chapter


class ReadLibriSpeechTest(TestCase):
    def test_reads_pairs_beside_each_transcript(self):
        root = tempfile.mkdtemp()
        chapter = tree(root, ["84-121-0000 HE WAS NOT AN ILL DISPOSED YOUNG MAN",
                              "", "84-121-0001 HAD HE MARRIED"])
        pairs = read_librispeech(root)
        self.assertEqual(pairs, [
            (str((chapter / "84-121-0000.wav").resolve()),
             "HE WAS NOT AN ILL DISPOSED YOUNG MAN"),
            (str((chapter / "84-121-0001.wav").resolve()), "HAD HE MARRIED")])

    def test_hostile_ids_links_and_missing_files(self):
        root = tempfile.mkdtemp()
        tree(root, ["../../etc/passwd SOME TEXT"])
        with self.assertRaisesRegex(ValueError, "line 1 is not"):
            read_librispeech(root)
        root = tempfile.mkdtemp()
        chapter = tree(root, ["84-121-0000 TEXT"], audio=())
        outside = Path(tempfile.mkdtemp(), "secret.wav")
        outside.write_bytes(b"RIFF")
        os.symlink(outside, chapter / "84-121-0000.wav")
        with self.assertRaisesRegex(ValueError, "outside"):
            read_librispeech(root)
        root = tempfile.mkdtemp()
        tree(root, ["84-121-0002 TEXT"])
        with self.assertRaisesRegex(FileNotFoundError, "no audio file"):
            read_librispeech(root)
        with self.assertRaisesRegex(FileNotFoundError, "No \\*.trans.txt"):
            read_librispeech(tempfile.mkdtemp())
        with self.assertRaisesRegex(ValueError, "larger than|more than"):
            read_librispeech(root, max_bytes=4)
