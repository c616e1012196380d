"""export_for_serving: raw-input signatures, atomic versions, warmup, bad inputs."""

import json
import os
import re
import shutil
import sys
import tempfile
from unittest import mock

import keras
import numpy as np
import tensorflow as tf

from keras_transfer.export.export_for_serving import export_for_serving
from keras_transfer.export.required_custom_ops import required_custom_ops
from keras_transfer.testing import TestCase
from tests.export import tiny_classifiers as tiny

DOCS = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "serving.md")
INPUT_MODALITY = {"image_bytes": "image", "text": "text", "audio_bytes": "audio"}

# Runs in a fresh interpreter: only TensorFlow, as on a serving host.
FRESH_PROCESS = """
import json, tensorflow as tf
request = json.load(open({request!r}))
result = {{}}
for modality, path in request["paths"].items():
    fn = tf.saved_model.load(path).signatures["serving_default"]
    (name,) = fn.structured_input_signature[1]
    values = [bytes.fromhex(x) for x in request["raw"][modality]]
    out = fn(**{{name: tf.constant(values)}})
    result[modality] = {{
        k: [s.decode() for s in v.numpy()] if v.dtype == tf.string
        else v.numpy().tolist()
        for k, v in out.items()
    }}
print(json.dumps(result))
"""


class ExportForServingTest(TestCase):
    """One export per modality, shared by the tests (exports take seconds)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.root = tempfile.mkdtemp()
        cls.addClassCleanup(shutil.rmtree, cls.root, ignore_errors=True)
        keras.utils.set_random_seed(0)
        cls.models = {
            "image": tiny.image_classifier(cls.root),
            "text": tiny.text_classifier(cls.root),
            "audio": tiny.audio_classifier(cls.root),
        }
        options = {"image": {"class_names": ["cat", "dog", "fox"]}}
        cls.paths = {
            modality: export_for_serving(
                model, os.path.join(cls.root, modality), **options.get(modality, {})
            )
            for modality, model in cls.models.items()
        }
        cls.image_dir = os.path.join(cls.root, "image_files")
        tiny.write_images(cls.image_dir)
        cls.loaded = {}

    def serving(self, modality, name="serving_default"):
        if modality not in self.loaded:
            self.loaded[modality] = tf.saved_model.load(self.paths[modality])
        return self.loaded[modality].signatures[name]

    def predict(self, modality, x):
        return self.models[modality].predict(x, verbose=0)

    def python_inputs(self):
        """Raw instances, and the model inputs training code decodes from them."""
        ds = keras.utils.image_dataset_from_directory(
            self.image_dir, image_size=tiny.IMAGE_SIZE, shuffle=False,
            batch_size=None, verbose=False)
        images = np.stack([x.numpy() for x, _ in ds])
        image_bytes = [open(p, "rb").read() for p in ds.file_paths]
        wavs = tiny.wav_files()
        waveforms = np.stack([tiny.decode_audio_like_training(w) for w in wavs])
        return {
            "image": (image_bytes, images),
            "text": ([t.encode() for t in tiny.TEXTS], tf.constant(tiny.TEXTS)),
            "audio": (wavs, waveforms),
        }

    # ------------------------------------------------------------- round trip
    def test_exports_need_no_custom_ops(self):
        for path in self.paths.values():
            self.assertEqual(required_custom_ops(path), [])

    def test_signatures_inputs_and_outputs(self):
        expected_inputs = {
            "image": ("image_bytes", "images", [None, 20, 24, 3]),
            "text": ("text", "text", [None]),
            "audio": ("audio_bytes", "waveforms", [None, tiny.CLIP_LENGTH]),
        }
        for modality, (raw, decoded, shape) in expected_inputs.items():
            self.assertEqual(os.path.basename(self.paths[modality]), "1")
            serve = self.serving(modality)
            predict = self.serving(modality, "predict_tensors")
            ((name, spec),) = serve.structured_input_signature[1].items()
            self.assertEqual((name, spec.dtype, spec.shape.as_list()),
                             (raw, tf.string, [None]))
            ((name, spec),) = predict.structured_input_signature[1].items()
            self.assertEqual((name, spec.shape.as_list()), (decoded, shape))
            for fn in (serve, predict):
                outputs = fn.structured_outputs
                self.assertEqual(
                    sorted(outputs),
                    ["class_index", "class_name", "probabilities", "score"])
                self.assertEqual(outputs["class_index"].dtype, tf.int64)
                self.assertEqual(outputs["class_name"].dtype, tf.string)

    def test_fresh_process_raw_predictions_equal_python_predictions(self):
        inputs = self.python_inputs()
        expected = {m: self.predict(m, x) for m, (_, x) in inputs.items()}
        raw = {m: [x.hex() for x in r] for m, (r, _) in inputs.items()}
        request = os.path.join(self.temp_dir(), "raw.json")
        with open(request, "w") as f:
            json.dump({"paths": self.paths, "raw": raw}, f)
        out = self.run_in_subprocess(FRESH_PROCESS.format(request=request))
        served = json.loads(out.strip().splitlines()[-1])
        diffs = {}
        for modality, want in expected.items():
            got = np.array(served[modality]["probabilities"])
            self.assertEqual(got.shape, want.shape)
            diffs[modality] = float(np.abs(got - want).max())
            self.assertLess(diffs[modality], 1e-5, modality)
            self.assertAllEqual(served[modality]["class_index"], want.argmax(-1))
            self.assertAllClose(served[modality]["score"], want.max(-1), atol=1e-5)
            # Predictions differ between instances: the inputs reach the model.
            self.assertGreater(float(np.ptp(want[:, 0])), 1e-3, modality)
        names = ["cat", "dog", "fox"]
        self.assertEqual(served["image"]["class_name"],
                         [names[i] for i in expected["image"].argmax(-1)])
        self.assertEqual(served["audio"]["class_name"],
                         [str(i) for i in expected["audio"].argmax(-1)])
        sys.stderr.write(f"max abs diff per modality: {diffs}\n")

    def test_predict_tensors_equals_model(self):
        for modality, (_, x) in self.python_inputs().items():
            fn = self.serving(modality, "predict_tensors")
            (name,) = fn.structured_input_signature[1]
            got = fn(**{name: tf.convert_to_tensor(x)})["probabilities"]
            self.assertAllClose(got, self.predict(modality, x), atol=1e-6, rtol=0)

    def test_rest_json_bodies_feed_the_signature(self):
        for modality, (raw, x) in self.python_inputs().items():
            body = tiny.rest_body(raw if modality != "text" else tiny.TEXTS)
            fn = self.serving(modality, json.loads(body)["signature_name"])
            got = fn(**tiny.tensors_from_rest_body(body, fn))["probabilities"]
            self.assertAllClose(got, self.predict(modality, x), atol=1e-5, rtol=0)
        # The columnar "inputs" format, naming the input, works too.
        fn = self.serving("text")
        body = json.dumps({"signature_name": "serving_default",
                           "inputs": {"text": tiny.TEXTS[:2]}})
        got = fn(**tiny.tensors_from_rest_body(body, fn))["probabilities"]
        want = self.predict("text", tf.constant(tiny.TEXTS[:2]))
        self.assertAllClose(got, want, atol=1e-6, rtol=0)

    def test_docs_rest_bodies_run_through_the_signatures(self):
        with open(DOCS) as f:
            blocks = re.findall(r"```json\n(.*?)```", f.read(), re.S)
        seen = []
        for block in blocks:
            body = json.loads(block)
            if "inputs" in body:
                ((name, instances),) = body["inputs"].items()
            else:
                instances = body["instances"]
                first = instances[0]
                if isinstance(first, str):
                    name = "text"
                elif first["b64"].startswith("UklGR"):  # base64 of "RIFF"
                    name = "audio_bytes"
                else:
                    name = "image_bytes"
            modality = INPUT_MODALITY[name]
            fn = self.serving(modality, body["signature_name"])
            self.assertIn(name, fn.structured_input_signature[1])
            out = fn(**tiny.tensors_from_rest_body(block, fn))
            self.assertEqual(out["probabilities"].shape[0], len(instances))
            self.assertAllClose(tf.reduce_sum(out["probabilities"], -1),
                                np.ones(len(instances)), atol=1e-5)
            seen.append(modality)
        self.assertEqual(sorted(seen), ["audio", "image", "text"])

    def test_any_size_image_model_resizes_to_the_training_image_size(self):
        model = tiny.image_classifier(self.temp_dir(), any_size=True)
        base = os.path.join(self.temp_dir(), "any_size")
        with self.assertRaisesRegex(ValueError, r"Pass `image_size=`"):
            export_for_serving(model, base)
        path = export_for_serving(model, base, image_size=tiny.IMAGE_SIZE,
                                  warmup=False)
        fn = tf.saved_model.load(path).signatures["serving_default"]
        raw, images = self.python_inputs()["image"]
        got = fn(image_bytes=tf.constant(raw))["probabilities"]
        self.assertAllClose(got, model.predict(images, verbose=0), atol=1e-5, rtol=0)
        self.assertEqual(fn.structured_outputs["probabilities"].shape.as_list(),
                         [None, 3])

    # ------------------------------------------------------------------ warmup
    def test_warmup_file_holds_prediction_logs_that_replay(self):
        from tensorflow_serving.apis import prediction_log_pb2

        for modality, path in self.paths.items():
            warmup = os.path.join(path, "assets.extra", "tf_serving_warmup_requests")
            logs = []
            for record in tf.data.TFRecordDataset(warmup):
                log = prediction_log_pb2.PredictionLog()
                log.ParseFromString(record.numpy())
                logs.append(log)
            requests = [log.predict_log.request for log in logs]
            self.assertEqual([r.model_spec.signature_name for r in requests],
                             ["serving_default", "predict_tensors"])
            self.assertEqual(requests[0].model_spec.name, modality)
            for request in requests:  # replayed as TF Serving does at load time
                fn = self.serving(modality, request.model_spec.signature_name)
                kwargs = {k: tf.make_ndarray(v) for k, v in request.inputs.items()}
                self.assertEqual(sorted(kwargs),
                                 sorted(fn.structured_input_signature[1]))
                out = fn(**kwargs)
                self.assertEqual(out["probabilities"].shape[0], 1)
                self.assertAllClose(tf.reduce_sum(out["probabilities"]), 1.0,
                                    atol=1e-5)
        raw = tf.make_ndarray(requests[0].inputs["audio_bytes"])
        self.assertEqual(raw[0][:4], b"RIFF")  # a real WAV file

    # -------------------------------------------------------------- bad inputs
    def assert_invalid(self, modality, values, pattern):
        fn = self.serving(modality)
        (name,) = fn.structured_input_signature[1]
        with self.assertRaisesRegex(tf.errors.InvalidArgumentError, pattern):
            fn(**{name: tf.constant(values, tf.string)})

    def test_bad_images_fail_with_clear_errors(self):
        pixels = np.full((20, 24, 3), 120, np.uint8)
        jpeg = tf.io.encode_jpeg(pixels).numpy()
        png = tf.io.encode_png(pixels).numpy()
        self.assert_invalid("image", [jpeg, b""],
                            r"Invalid `image_bytes`: empty image.*index\(es\):\] \[1\]")
        self.assert_invalid("image", [jpeg, b"hello, not an image"],
                            r"not an encoded image \(JPEG, PNG.*index\(es\):\] \[1\]"
                            r".*\[hello, not an im\]")
        self.assert_invalid("image", [b"abc"], r"not an encoded image")
        self.assert_invalid("image", [jpeg[: len(jpeg) // 2]], r"JPEG data")
        self.assert_invalid("image", [png[: len(png) // 2]], r"Invalid PNG data")
        # The model still serves after the errors.
        out = self.serving("image")(image_bytes=tf.constant([jpeg]))
        self.assertEqual(out["probabilities"].shape, (1, 3))

    def test_bad_text_fails_with_clear_errors(self):
        self.assert_invalid("text", ["fine", ""],
                            r"Invalid `text`: empty text.*\[1\]")
        self.assert_invalid("text", ["  \t\n"], r"only whitespace.*\[0\]")

    def test_bad_audio_fails_with_clear_errors(self):
        wav = tiny.wav_bytes(0.03, 16000)
        self.assert_invalid("audio", [wav, b""],
                            r"Invalid `audio_bytes`: empty audio.*\[1\]")
        self.assert_invalid("audio", [b"ID3 an mp3 file"], r"Not a WAV file")
        self.assert_invalid("audio", [wav[:-200]], r"Truncated WAV file")
        self.assert_invalid("audio", [tiny.wav_bytes(0.0, 16000)],
                            r"holds no samples")
        eight_bit = bytearray(wav)
        eight_bit[34:36] = (8).to_bytes(2, "little")  # bits per sample
        self.assert_invalid("audio", [bytes(eight_bit)], r"16-bit")

    def test_request_without_instances_is_rejected(self):
        for modality in ("image", "text", "audio"):
            self.assert_invalid(modality, np.array([], dtype=object),
                                r"the request holds no instances; send at least one")

    def test_other_sample_rates_are_resampled_by_default(self):
        wav8k = tiny.wav_bytes(0.05, 8000, seed=3)
        got = self.serving("audio")(audio_bytes=tf.constant([wav8k]))
        want = self.predict("audio", tiny.decode_audio_like_training(wav8k)[None])
        self.assertAllClose(got["probabilities"], want, atol=1e-5, rtol=0)

    def test_long_files_are_cut_before_resampling_and_match_training(self):
        # The served input is cut to what the 800-sample clip needs before it
        # is resampled; predictions equal resampling the whole file, as
        # training does (before: the whole file was resampled first).
        wavs = [tiny.wav_bytes(3.0, 8000, seed=5), tiny.wav_bytes(2.0, 44100, seed=6),
                tiny.wav_bytes(1.0, 191999, seed=7)]
        got = self.serving("audio")(audio_bytes=tf.constant(wavs))["probabilities"]
        want = self.predict("audio", np.stack(
            [tiny.decode_audio_like_training(w) for w in wavs]))
        self.assertAllClose(got, want, atol=1e-5, rtol=0)
        self.assert_invalid("audio", [wavs[0], tiny.wav_bytes(0.1, 192001)],
                            r"sample rate out of range.*\] \[1\].*\[192001\]")

    def test_variable_length_model_with_strict_sample_rate(self):
        model = tiny.audio_classifier(self.temp_dir(), clip_length=None)
        path = export_for_serving(model, os.path.join(self.temp_dir(), "strict"),
                                  resample_audio=False, warmup=False)
        fn = tf.saved_model.load(path).signatures["serving_default"]
        with self.assertRaisesRegex(
                tf.errors.InvalidArgumentError,
                r"sample rate \(Hz\)\] \[8000\].*expected_sample_rate=16000"):
            fn(audio_bytes=tf.constant([tiny.wav_bytes(0.05, 8000)]))
        # Clips keep their length; a batch is zero-padded to its longest clip.
        wavs = [tiny.wav_bytes(0.05, 16000, seed=1), tiny.wav_bytes(0.08, 16000)]
        got = fn(audio_bytes=tf.constant(wavs))["probabilities"]
        padded = np.stack([tiny.decode_audio_like_training(w, clip_length=1280)
                           for w in wavs])
        self.assertAllClose(got, model.predict(padded, verbose=0), atol=1e-6, rtol=0)
        single = fn(audio_bytes=tf.constant(wavs[:1]))["probabilities"]
        short = tiny.decode_audio_like_training(wavs[0], clip_length=800)[None]
        self.assertAllClose(single, model.predict(short, verbose=0), atol=1e-6, rtol=0)
        self.assertFalse(os.path.exists(os.path.join(path, "assets.extra")))

    # ---------------------------------------------------------------- versions
    def test_versions_count_up_and_are_never_overwritten(self):
        base = self.temp_dir()
        model = self.models["audio"]
        os.makedirs(os.path.join(base, "notes"))
        open(os.path.join(base, "README"), "w").close()

        def export(**kwargs):
            path = export_for_serving(model, base, warmup=False, **kwargs)
            return os.path.basename(path)

        self.assertEqual([export(), export(version=5)], ["1", "5"])
        with self.assertRaisesRegex(FileExistsError,
                                    r"Version 5 already exists: .*/5\b"):
            export(version=5)
        self.assertEqual(export(), "6")  # after the highest, not the first gap
        self.assertEqual(sorted(os.listdir(base)), ["1", "5", "6", "README", "notes"])
        # Not private like a temp folder: as readable as any new folder.
        self.assertEqual(os.stat(os.path.join(base, "6")).st_mode,
                         os.stat(os.path.join(base, "notes")).st_mode)

    def test_failed_export_leaves_no_version_and_no_temp_folder(self):
        base = self.temp_dir()
        model = self.models["audio"]
        archive_class = type(keras.export.ExportArchive())
        real_write_out = archive_class.write_out

        def write_then_fail(archive, filepath, **kwargs):
            real_write_out(archive, filepath, **kwargs)
            self.assertTrue(os.path.exists(os.path.join(filepath, "saved_model.pb")))
            raise OSError("No space left on device")

        with mock.patch.object(archive_class, "write_out", write_then_fail):
            with self.assertRaisesRegex(OSError, "No space left"):
                export_for_serving(model, base, warmup=False)
        self.assertEqual(os.listdir(base), [])
        # An interrupted warmup write is cleaned up the same way.
        with mock.patch(
                "keras_transfer.export.warmup_requests.write_warmup_requests",
                side_effect=KeyboardInterrupt):
            with self.assertRaises(KeyboardInterrupt):
                export_for_serving(model, base)
        self.assertEqual(os.listdir(base), [])

    # -------------------------------------------------------------- arguments
    def test_missing_serving_api_names_the_extra_and_warmup_false_works(self):
        base = self.temp_dir()
        hidden = {"tensorflow_serving": None, "tensorflow_serving.apis": None}
        with mock.patch.dict(sys.modules, hidden):
            with self.assertRaisesRegex(ImportError, r"keras-transfer\[serving\]"):
                export_for_serving(self.models["audio"], base)
            self.assertEqual(os.listdir(base), [])
            path = export_for_serving(self.models["audio"], base, warmup=False)
        self.assertNotIn("assets.extra", os.listdir(path))

    def test_argument_and_model_errors(self):
        base = self.temp_dir()
        audio = self.models["audio"]
        cases = [
            ({"version": 0},
             r"`version` must be a positive integer.*Received: version=0"),
            ({"modality": "video"}, r"Received: modality='video'"),
            ({"modality": "image"}, r"modality='image' does not fit.*'audio'"),
            ({"class_names": ["a"]}, r"4 classes. Received: class_names=\['a'\]"),
            ({"sample_rate": -1}, r"Received: sample_rate=-1"),
            ({"image_size": 224}, r"only applies to image models"),
            ({"interpolation": "cubic"}, r"Received: interpolation='cubic'"),
        ]
        for kwargs, pattern in cases:
            with self.assertRaisesRegex(ValueError, pattern):
                export_for_serving(audio, base, **kwargs)
        inputs = keras.Input((5, 5))
        odd = keras.Model(inputs, keras.layers.Softmax()(inputs))
        with self.assertRaisesRegex(ValueError,
                                    r"Cannot infer the modality.*\(None, 5, 5\)"):
            export_for_serving(odd, base)
        logits = keras.Sequential([keras.Input((tiny.CLIP_LENGTH,)),
                                   keras.layers.Dense(3)])
        with self.assertRaisesRegex(ValueError,
                                    r"softmax probabilities.*keras.layers.Softmax"):
            export_for_serving(logits, base, warmup=False)
        anysize = keras.Sequential([keras.Input((None, None, 3)),
                                    keras.layers.GlobalAveragePooling2D(),
                                    keras.layers.Softmax()])
        with self.assertRaisesRegex(ValueError, r"Pass `image_size=`"):
            export_for_serving(anysize, base)
        with self.assertRaisesRegex(ValueError, r"differs from the model's input size"):
            export_for_serving(self.models["image"], base, image_size=(16, 16))
        self.assertEqual(os.listdir(base), [])


class MultiOutputExportTest(TestCase):
    """A model with named outputs (classification and regression) exports them all."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.root = tempfile.mkdtemp()
        cls.addClassCleanup(shutil.rmtree, cls.root, ignore_errors=True)
        keras.utils.set_random_seed(0)
        base = tiny.text_classifier(cls.root)
        features = base.layers[-1].input
        outputs = {
            "sentiment": keras.layers.Dense(2, activation="softmax", name="sentiment")(features),
            "rating": keras.layers.Dense(1, name="rating")(features),
        }
        cls.model = keras.Model(base.inputs, outputs)

    def test_every_output_is_served(self):
        path = export_for_serving(self.model, os.path.join(self.root, "multi"),
                                  class_names={"sentiment": ["neg", "pos"]}, warmup=False)
        fn = tf.saved_model.load(path).signatures["serving_default"]
        served = fn(text=tf.constant(tiny.TEXTS))
        self.assertEqual(sorted(served), ["rating", "sentiment_class_index",
                                          "sentiment_class_name", "sentiment_probabilities",
                                          "sentiment_score"])
        expected = self.model(tf.constant(tiny.TEXTS))
        self.assertAllClose(served["sentiment_probabilities"], expected["sentiment"], atol=1e-6)
        self.assertAllClose(served["rating"], expected["rating"], atol=1e-6)
        names = np.array(["neg", "pos"])[np.argmax(expected["sentiment"], -1)]
        self.assertEqual([n.decode() for n in served["sentiment_class_name"].numpy()],
                         names.tolist())

    def test_class_names_must_name_softmax_outputs(self):
        with self.assertRaisesRegex(ValueError, "pass `class_names` as a dict"):
            export_for_serving(self.model, os.path.join(self.root, "bad1"),
                               class_names=["neg", "pos"], warmup=False)
        with self.assertRaisesRegex(ValueError, r"entries for \['rating'\], which are not softmax"):
            export_for_serving(self.model, os.path.join(self.root, "bad2"),
                               class_names={"rating": ["a"]}, warmup=False)
