"""Data-parallel training: pick a `tf.distribute` strategy (`get_strategy`), make
Keras 3 `model.fit` work under `MultiWorkerMirroredStrategy`
(`enable_multi_worker_fit`), write files from the chief only (`is_chief`,
`worker_write_path`), and back up / resume a killed run (`BackupAndRestore`).
See docs/distributed.md."""

from keras_transfer.distribute.backup_and_restore import BackupAndRestore
from keras_transfer.distribute.chief import is_chief
from keras_transfer.distribute.chief import worker_write_path
from keras_transfer.distribute.multi_worker import enable_multi_worker_fit
from keras_transfer.distribute.strategy import get_strategy
