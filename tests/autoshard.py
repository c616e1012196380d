"""What each worker of a multi-worker strategy reads of a dataset (tests only).

`worker_view(dataset, num_workers, index)` applies TensorFlow's own auto-shard
rewrite, the one `tf.distribute.MultiWorkerMirroredStrategy` applies to every
worker's copy of a dataset, with the policy of the dataset's options. There is
no public entry point to it outside a running multi-worker cluster, so this
imports TensorFlow's private `_AutoShardDataset` (tests only; a TensorFlow
that moves it fails these tests at the import, visibly).
"""

import numpy as np
from tensorflow.python.data.experimental.ops.distribute import _AutoShardDataset


def worker_view(dataset, num_workers, index):
    """The dataset as worker `index` of `num_workers` (one replica each) sees it."""
    return _AutoShardDataset(dataset, num_workers, index, num_replicas=num_workers)


def labels_per_worker(dataset, num_workers, label_of=lambda element: element[1]):
    """For each worker, the concatenated labels of its elements."""
    return [np.concatenate([np.asarray(label_of(e)).reshape(-1)
                            for e in worker_view(dataset, num_workers, i)])
            for i in range(num_workers)]
