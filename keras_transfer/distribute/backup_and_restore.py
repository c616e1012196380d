"""`BackupAndRestore`: Keras' fault-tolerance callback with chief-only writes under multi-worker training."""

import os
import keras
import tensorflow as tf

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.distribute.chief import is_chief, worker_write_path


@keras_transfer_export(["keras_transfer.BackupAndRestore",
                        "keras_transfer.distribute.BackupAndRestore"])
class BackupAndRestore(keras.callbacks.Callback):
    """`keras.callbacks.BackupAndRestore` that also works under `MultiWorkerMirroredStrategy`.

    On one process it is Keras' callback, unchanged: the training state
    (weights, optimizer state and step, metric state) is saved to
    `backup_dir` at the end of every epoch (or every `save_freq` batches),
    and a later `fit` with the same callback starts from the epoch after the
    last backup.

    Keras 3's callback knows nothing of workers: every worker would write the
    same `backup_dir/latest.weights.h5`. Here, with several workers, the
    backup follows the per-worker layout of
    `keras_transfer.distribute.worker_write_path`:

    - the chief writes `backup_dir/latest.weights.h5` and
      `backup_dir/training_metadata.json` (Keras' two files);
    - every other worker writes the same save to its own temporary folder,
      `<parent of backup_dir>/workertemp_<task id>/<name of backup_dir>`, and
      deletes it right after (the save must run on every worker: reading
      metric variables takes part in collective ops);
    - when `fit` starts, EVERY worker restores from the chief's `backup_dir`,
      so all workers resume from the same epoch with the same state. The
      folder must therefore be readable by all workers (one machine, NFS, a
      bucket).

    Only the chief deletes `backup_dir` when `fit` ends (`delete_checkpoint`).

    keras_transfer's training callbacks resume correctly with it:
    `ProgressiveUnfreezing`'s stage is a function of the epoch (or global
    step), and learning rates (`DiscriminativeLR` / `DiscriminativeOptimizer`,
    `SlantedTriangular`, `OneCycle`) are functions of the optimizer's step or
    held in optimizer variables, which the backup holds. Keras resumes at
    epoch granularity: a backup written mid-epoch (`save_freq=<int>`) is
    restored, but the epoch it was written in is replayed from its first
    batch, so only `save_freq="epoch"` resumes to exactly the weights of an
    uninterrupted run.

    Under MultiWorkerMirroredStrategy, a worker that dies stops the whole
    cluster (the others wait in collective ops): restart ALL workers with
    the same `TF_CONFIG` (ports may change), and `fit` resumes. See
    docs/distributed.md, "Fault tolerance".

    Args:
        backup_dir: str. The chief's backup folder; used by nothing else.
        save_freq: `"epoch"` or int. Save at the end of every epoch, or every
            this many batches. Defaults to `"epoch"`.
        double_checkpoint: bool. Keep the previous backup too, and fall back
            to it when the latest cannot be read (a worker killed while the
            chief was writing). Defaults to `False`.
        delete_checkpoint: bool. Delete `backup_dir` when `fit` completes.
            Defaults to `True`.

    Raises:
        ValueError: on an empty `backup_dir` or a `save_freq` that is neither
            `"epoch"` nor an int.

    Example:

    ```python
    strategy = keras_transfer.get_strategy("auto")  # MWMS from TF_CONFIG
    model = keras_transfer.build_image_classifier("efficientnet_lite0", 10, strategy=strategy)
    model.fit(train, epochs=5, callbacks=[
        keras_transfer.ProgressiveUnfreezing(every=1),
        keras_transfer.distribute.BackupAndRestore("gs://bucket/run1/backup")])
    ```
    """

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False,
                 delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ValueError(f"`backup_dir` must be a folder path. Received: "
                             f"backup_dir={backup_dir!r}")
        if save_freq != "epoch" and (not isinstance(save_freq, int)
                                     or isinstance(save_freq, bool) or save_freq < 1):
            raise ValueError("`save_freq` must be 'epoch' or an int >= 1. "
                             f"Received: save_freq={save_freq!r}")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = bool(double_checkpoint)
        self.delete_checkpoint = bool(delete_checkpoint)
        self._restore = keras.callbacks.BackupAndRestore(
            self.backup_dir, save_freq, self.double_checkpoint, self.delete_checkpoint)
        self._write = self._restore
        self.write_dir = self.backup_dir

    def set_model(self, model):
        super().set_model(model)
        strategy = getattr(model, "distribute_strategy", None)
        self.write_dir = worker_write_path(self.backup_dir, strategy)
        if is_chief(strategy):
            self._write = self._restore
        else:
            self._write = keras.callbacks.BackupAndRestore(
                self.write_dir, self.save_freq, double_checkpoint=False,
                delete_checkpoint=True)
        for callback in self._callbacks():
            callback.set_model(model)

    def set_params(self, params):
        super().set_params(params)
        for callback in self._callbacks():
            callback.set_params(params)

    def _callbacks(self):
        return (self._restore,) if self._write is self._restore else (self._restore, self._write)

    def on_train_begin(self, logs=None):
        # Every worker reads the chief's backup: one state, one initial epoch.
        self._restore.on_train_begin(logs)

    def on_epoch_end(self, epoch, logs=None):
        self._write.on_epoch_end(epoch, logs)
        self._drop_worker_copy()

    def on_train_batch_end(self, batch, logs=None):
        self._write.on_train_batch_end(batch, logs)
        self._drop_worker_copy()

    def on_train_end(self, logs=None):
        if self._write is self._restore:
            self._restore.on_train_end(logs)
        self._drop_worker_copy()

    def _drop_worker_copy(self):
        """Deletes a non-chief worker's copy, and its `workertemp_<id>` folder once empty."""
        if self._write is self._restore or not tf.io.gfile.exists(self.write_dir):
            return
        tf.io.gfile.rmtree(self.write_dir)
        parent = os.path.dirname(self.write_dir)
        if tf.io.gfile.exists(parent) and not tf.io.gfile.listdir(parent):
            tf.io.gfile.rmtree(parent)  # kept when it holds the worker's other temp files

    def get_config(self):
        return {"backup_dir": self.backup_dir, "save_freq": self.save_freq,
                "double_checkpoint": self.double_checkpoint,
                "delete_checkpoint": self.delete_checkpoint}

    @classmethod
    def from_config(cls, config):
        return cls(**config)
