"""`TaggedSplit`: what a token-classification (NER) dataset loader returns."""

from typing import NamedTuple

import numpy as np

from keras_transfer.api_export import keras_transfer_export


@keras_transfer_export("keras_transfer.data.TaggedSplit")
class TaggedSplit(NamedTuple):
    """One split of a token-classification dataset: words and their tags.

    A named tuple, so it unpacks (`sentences, tags, tag_names = split`).
    Sentences have different lengths, so they are lists, not arrays.

    Args:
        sentences: list of lists of str. The words of each sentence.
        tags: list of lists of str. One BIO tag per word (`"O"`,
            `"B-<type>"`, `"I-<type>"`).
        tag_names: tuple of str. Every tag of the dataset: `"O"` first, then
            `"B-<type>"` and `"I-<type>"` for each entity type in sorted
            order; `tag_names[i]` is tag id `i`.

    Example:

    ```python
    split = keras_transfer.data.load_dataset("wnut16", split="test")
    split.sentences[0][:3], split.tags[0][:3], split.tag_names[:3]
    ```
    """

    sentences: list
    tags: list
    tag_names: tuple

    def tag_ids(self):
        """Returns the tags as int32 ids into `tag_names`, one array per sentence."""
        index = {name: i for i, name in enumerate(self.tag_names)}
        return [np.array([index[tag] for tag in tags], np.int32)
                for tags in self.tags]

    def entity_types(self):
        """Returns the entity types of `tag_names`, in their order."""
        return tuple(name[2:] for name in self.tag_names if name.startswith("B-"))
