"""Tests of `register_adapted_backbone`: the record is read back, checked, and
registered with handles inside the folder actually given."""

import json
import os

from keras_transfer.backbones import registry
from keras_transfer.backbones.register_adapted_backbone import (
    MAX_RECORD_BYTES, is_adapted_folder, register_adapted_backbone)
from keras_transfer.testing import TestCase

ENTRY = {"modality": "text", "description": "minilm_l6 adapted on 12 texts.",
         "output_key": "pooled_output", "input": {"dtype": "string"},
         "groups": [["stem", ["embeddings"]]],
         "handles": {"encoder": "/elsewhere/encoder", "preprocessor": "/elsewhere/pre"},
         "provider": "os.system"}


class RegisterAdaptedBackboneTest(TestCase):
    def setUp(self):
        super().setUp()
        self.folder = os.path.join(self.temp_dir(), "minilm rt")
        for part in ("encoder", "preprocessor"):
            os.makedirs(os.path.join(self.folder, part))
            open(os.path.join(self.folder, part, "saved_model.pb"), "wb").close()
        self.write({"entry": ENTRY, "history": {"loss": [1.0]}})
        self.names = []

    def tearDown(self):
        for name in ("adapted_minilm_rt", "mine", "taken"):
            registry.BACKBONES.pop(name, None)
        super().tearDown()

    def write(self, record, raw=None):
        with open(os.path.join(self.folder, "adapted.json"), "wb") as f:
            f.write(raw if raw is not None else json.dumps(record).encode())

    def test_registers_with_handles_in_the_given_folder(self):
        self.assertTrue(is_adapted_folder(self.folder))
        self.assertFalse(is_adapted_folder(os.path.dirname(self.folder)))
        name = register_adapted_backbone(self.folder)
        self.assertEqual(name, "adapted_minilm_rt")
        entry = registry.BACKBONES[name]
        root = os.path.abspath(self.folder)
        # The stored absolute handles and the provider are not trusted.
        self.assertEqual(entry["handles"], {
            "encoder": os.path.join(root, "encoder"),
            "preprocessor": os.path.join(root, "preprocessor")})
        self.assertIsNone(entry["provider"])
        self.assertEqual(entry["variant"], "encoder")
        self.assertEqual(entry["output_key"], "pooled_output")
        self.assertEqual(entry["groups"], [["stem", ["embeddings"]]])
        # Registering the same folder again is fine; the name is returned.
        self.assertEqual(register_adapted_backbone(self.folder), name)
        self.assertEqual(register_adapted_backbone(self.folder, name="mine"), "mine")

    def test_name_of_another_backbone_is_refused(self):
        registry.register_backbone("taken", {"modality": "text", "description": "x",
                                             "handles": {"a": "/x"}})
        with self.assertRaisesRegex(ValueError, "'taken' is already registered for another"):
            register_adapted_backbone(self.folder, name="taken")
        with self.assertRaisesRegex(ValueError, "already registered for another"):
            register_adapted_backbone(self.folder, name="minilm_l6")
        self.assertNotEqual(registry.BACKBONES["minilm_l6"]["handles"].get("encoder"),
                            os.path.join(os.path.abspath(self.folder), "encoder"))

    def test_bad_records_are_one_line_errors(self):
        cases = [
            (None, b"{not json", "is not valid UTF-8 JSON"),
            (None, b"\xff\xfe", "is not valid UTF-8 JSON"),
            ([1, 2], None, "has no `entry` object"),
            ({"entry": dict(ENTRY, modality="image")}, None,
             "the entry's modality is 'image'; adapted encoders are text"),
            ({"entry": dict(ENTRY, output_key=["x"])}, None, "`output_key` has type list"),
            ({"entry": dict(ENTRY, groups="all")}, None, "`groups` has type str"),
        ]
        for record, raw, message in cases:
            self.write(record, raw)
            with self.assertRaisesRegex(ValueError, message):
                register_adapted_backbone(self.folder)
        self.write(None, b" " * (MAX_RECORD_BYTES + 1))
        with self.assertRaisesRegex(ValueError, "an adapted-encoder record is at most"):
            register_adapted_backbone(self.folder)

    def test_missing_parts(self):
        with self.assertRaisesRegex(ValueError, "holds no adapted.json"):
            register_adapted_backbone(os.path.dirname(self.folder))
        os.remove(os.path.join(self.folder, "preprocessor", "saved_model.pb"))
        with self.assertRaisesRegex(ValueError, "preprocessor is not a SavedModel folder"):
            register_adapted_backbone(self.folder)
