"""`build_detections_figure`: predicted and true boxes drawn on test photos."""

import numpy as np

from keras_transfer.report import common

# Photos shown at most, side by side in rows of this many.
MAX_IMAGES = 8
COLUMNS = 4


def build_detections_figure(images, ground_truth, predictions, score_threshold=0.25):
    """Draws test photos with their true boxes and the predicted ones.

    True boxes are dashed green outlines; predictions scoring at least
    `score_threshold` are solid red outlines labelled `class score`.

    Args:
        images: list of `[height, width, 3]` uint8 arrays.
        ground_truth: list of `keras_transfer.data.ImageBoxes`, one per photo.
        predictions: list of `ImageBoxes` with `scores`, one per photo.
        score_threshold: float. Defaults to 0.25.

    Returns:
        A `matplotlib.figure.Figure` of the first `MAX_IMAGES` photos, or
        `None` without photos. Predicted outlines have the gid
        `"predicted-box"`, true ones `"true-box"`.

    Raises:
        ImportError: if matplotlib is not installed.
    """
    count = min(len(images), MAX_IMAGES)
    if not count:
        return None
    columns = min(count, COLUMNS)
    rows = -(-count // columns)
    figure = common.new_figure((3.0 * columns, 3.0 * rows), "build_detections_figure")
    for index in range(count):
        axes = figure.add_subplot(rows, columns, index + 1)
        image = np.asarray(images[index])
        axes.imshow(image)
        axes.set_axis_off()
        truth, found = ground_truth[index], predictions[index]
        for x0, y0, x1, y1 in truth.boxes:
            axes.add_patch(_rectangle(x0, y0, x1, y1, "#2ca02c", "--", "true-box"))
        shown = 0
        for (x0, y0, x1, y1), class_id, score in zip(found.boxes, found.class_ids,
                                                     found.scores):
            if score < score_threshold:
                continue
            shown += 1
            axes.add_patch(_rectangle(x0, y0, x1, y1, "#d62728", "-", "predicted-box"))
            axes.text(x0, y0, f"{found.class_names[class_id]} {score:.2f}", color="white",
                      fontsize=7, va="bottom",
                      bbox={"facecolor": "#d62728", "edgecolor": "none", "pad": 1})
        axes.set_title(common.shorten(f"{truth.image_id}: {shown} found, "
                                      f"{len(truth.boxes)} true", 40), fontsize=8)
    return figure


def _rectangle(x0, y0, x1, y1, colour, style, gid):
    from matplotlib.patches import Rectangle

    patch = Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, edgecolor=colour,
                      linestyle=style, linewidth=1.5)
    patch.set_gid(gid)
    return patch
