import tempfile
from pathlib import Path

from keras_transfer.data.read_transcript_csv import read_transcript_csv
from keras_transfer.testing import TestCase


def manifest(rows, files=("a.wav", "sub/b.wav")):
    root = Path(tempfile.mkdtemp())
    for name in files:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(b"RIFF")
    (root / "m.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return root


class ReadTranscriptCsvTest(TestCase):
    def test_reads_rows_relative_to_the_csv(self):
        root = manifest(["path,speaker,transcript", "a.wav,x,hello there",
                         'sub/b.wav,y,"well, hello"'])
        self.assertEqual(read_transcript_csv(root / "m.csv"), [
            (str((root / "a.wav").resolve()), "hello there"),
            (str((root / "sub/b.wav").resolve()), "well, hello")])

    def test_refuses_traversal_absolute_paths_and_bad_headers(self):
        for path in ("../a.wav", "/etc/passwd", "sub/../../a.wav", "~/a.wav"):
            root = manifest(["path,transcript", f"{path},text"])
            with self.assertRaisesRegex(ValueError, "must be a relative path inside"):
                read_transcript_csv(root / "m.csv")
        root = manifest(["file,text", "a.wav,hi"])
        with self.assertRaisesRegex(ValueError, "'path' and 'transcript'"):
            read_transcript_csv(root / "m.csv")
        root = manifest(["path,transcript", "c.wav,hi"])
        with self.assertRaisesRegex(FileNotFoundError, "row 2"):
            read_transcript_csv(root / "m.csv")
        root = manifest(["path,transcript", "a.wav,"])
        with self.assertRaisesRegex(ValueError, "lacks a path or a transcript"):
            read_transcript_csv(root / "m.csv")
