"""The three Pascal VOC annotation files of labelme 7.9.1's bbox_detection example."""

from keras_transfer.backbones.sdists import fetch_sdist_members
from keras_transfer.testing import require

REQUIREMENT = "labelme==7.9.1"
FOLDER = "labelme-7.9.1/examples/bbox_detection/data_dataset_voc"
IMAGE_IDS = ("2011_000003", "2011_000006", "2011_000025")
MEMBERS = {f"{FOLDER}/class_names.txt": 1 << 12,
           **{f"{FOLDER}/Annotations/{i}.xml": 1 << 14 for i in IMAGE_IDS}}


def labelme_voc_folder():
    """Returns the cached folder holding `FOLDER` (skips, or fails in CI, if unavailable)."""
    try:
        return fetch_sdist_members(REQUIREMENT, MEMBERS) / FOLDER
    except RuntimeError as error:
        require(False, f"needs the {REQUIREMENT} sdist ({error})")
