"""TF Serving warmup files: a TFRecord of `PredictionLog` requests.

TF Serving replays `assets.extra/tf_serving_warmup_requests` when it loads a
version, before the version serves traffic, so the first real request does
not pay for graph initialization. The protos come from the
`tensorflow-serving-api` package (the `serving` extra of keras_transfer).
"""

import os

import tensorflow as tf

WARMUP_DIR = "assets.extra"
WARMUP_FILE = "tf_serving_warmup_requests"


def import_serving_apis():
    """Returns `(predict_pb2, prediction_log_pb2)`, or raises a clear ImportError."""
    try:
        from tensorflow_serving.apis import predict_pb2
        from tensorflow_serving.apis import prediction_log_pb2
    except ImportError as error:
        raise ImportError(
            "Writing a TF Serving warmup file needs the `tensorflow-serving-api` "
            "package. Install it with `pip install 'keras-transfer[serving]'` "
            "(or `pip install tensorflow-serving-api`), or pass `warmup=False`."
        ) from error
    return predict_pb2, prediction_log_pb2


def write_warmup_requests(version_dir, model_name, requests):
    """Writes one `PredictionLog` record per request.

    Args:
        version_dir: str. The SavedModel folder; the file is written to
            `version_dir/assets.extra/tf_serving_warmup_requests`.
        model_name: str. The model name put in each request's `model_spec`.
        requests: list of `(signature_name, {input_name: value})`, where each
            value is a NumPy array or a list (a batch).

    Returns:
        The path of the warmup file, as a str.
    """
    predict_pb2, prediction_log_pb2 = import_serving_apis()
    folder = os.path.join(version_dir, WARMUP_DIR)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, WARMUP_FILE)
    with tf.io.TFRecordWriter(path) as writer:
        for signature_name, inputs in requests:
            request = predict_pb2.PredictRequest()
            request.model_spec.name = model_name
            request.model_spec.signature_name = signature_name
            for key, value in inputs.items():
                request.inputs[key].CopyFrom(tf.make_tensor_proto(value))
            log = prediction_log_pb2.PredictionLog(
                predict_log=prediction_log_pb2.PredictLog(request=request)
            )
            writer.write(log.SerializeToString())
    return path
