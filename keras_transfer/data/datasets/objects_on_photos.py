"""Shared parts of the synthetic detection sets: photo crops and free places to paste.

`digits_on_photos` and `faces_on_photos` build their images the same way:
a random square crop of one of the split's real photos, split by photo,
with objects pasted where they do not overlap each other. The photos are
scikit-image's bundled colour photos and the photographs in Debian's
`opencv-doc` (`/usr/share/doc/opencv-doc/examples/data`; no download):
scikit-image's five training photos alone are too few backgrounds
(docs/detection.md). Both sets draw from one NumPy
generator in the order these helpers use it, so a set is reproducible
from its seed.
"""

import numpy as np

# Real colour photos, split by photo: a test image never shares its
# background with a training image. Plain names are `skimage.data`
# functions; `opencv:` names are files of Debian's opencv-doc. Left out:
# photos with printed digits or letters (board, box, box_in_scene, cards,
# rubberwhale), people (basketball, messi), drawings of shapes and photos
# under 240 pixels (HappyFish).
PHOTOS = {
    "train": ("astronaut", "chelsea", "coffee", "rocket", "motorcycle_left",
              "opencv:aero1.jpg", "opencv:aloeL.jpg",
              "opencv:apple.jpg", "opencv:building.jpg", "opencv:butterfly.jpg",
              "opencv:chicky_512.png", "opencv:ela_original.jpg", "opencv:fruits.jpg",
              "opencv:graf1.png", "opencv:home.jpg", "opencv:leuvenA.jpg",
              "opencv:orange.jpg", "opencv:smarties.png", "opencv:squirrel_cls.jpg",
              "opencv:stuff.jpg", "opencv:Blender_Suzanne1.jpg", "opencv:pca_test1.jpg"),
    "test": ("hubble_deep_field", "immunohistochemistry", "retina",
             "opencv:aero3.jpg", "opencv:baboon.jpg", "opencv:starry_night.jpg"),
}
OPENCV_PREFIX = "opencv:"
# Where Debian's opencv-doc puts its sample photos.
OPENCV_DATA = "/usr/share/doc/opencv-doc/examples/data"
# Photos that are one part of what a `skimage.data` function returns:
# name -> (function, index).
PHOTO_PARTS = {"motorcycle_left": ("stereo_motorcycle", 0)}
# Tries at a random place before an object that does not fit is left out.
PLACEMENT_TRIES = 20


def skimage_data(dataset):
    """`skimage.data`, or an ImportError naming the extra to install."""
    try:
        import skimage.data
    except ImportError:
        raise ImportError(
            f"{dataset} needs scikit-image's sample data: "
            "`pip install scikit-image`.") from None
    return skimage.data


def load_photos(dataset, split):
    """The split's photos as uint8 RGB arrays."""
    data = skimage_data(dataset)
    photos = []
    for name in PHOTOS[split]:
        if name.startswith(OPENCV_PREFIX):
            photos.append(_opencv_photo(dataset, name[len(OPENCV_PREFIX):]))
            continue
        function, part = PHOTO_PARTS.get(name, (name, None))
        photo = getattr(data, function)()
        photos.append(np.asarray(photo if part is None else photo[part])[..., :3])
    return photos


def _opencv_photo(dataset, file_name):
    """One photo of Debian's opencv-doc as a uint8 RGB array, or a clear error."""
    import os

    from PIL import Image

    path = os.path.join(OPENCV_DATA, file_name)
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"{dataset} needs the sample photos of Debian's opencv-doc ({path} is "
            "missing): `sudo apt-get install opencv-doc`.")
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def resize(image, height, width):
    """Antialiased bilinear resize of a float `[h, w, c]` array."""
    import tensorflow as tf

    return tf.image.resize(image, (height, width), antialias=True).numpy()


def random_crop(photos, image_size, rng):
    """A float32 `image_size` square crop of a random photo, resized first so
    that its short side is 1 to 2 times `image_size`."""
    photo = photos[rng.integers(len(photos))]
    short = image_size * rng.uniform(1.0, 2.0)
    factor = short / min(photo.shape[:2])
    height = max(image_size, round(photo.shape[0] * factor))
    width = max(image_size, round(photo.shape[1] * factor))
    top, left = rng.integers(height - image_size + 1), rng.integers(width - image_size + 1)
    return resize(photo.astype(np.float32), height, width)[
        top:top + image_size, left:left + image_size]


def free_place(rng, image_size, side, extent, placed):
    """A random top-left corner for a `side` square patch whose box does not
    overlap any box in `placed`.

    Args:
        rng: `np.random.Generator`.
        image_size: int. Side of the image.
        side: int. Side of the patch.
        extent: `(x_min, y_min, x_max, y_max)` of the object inside the
            patch, in patch pixels.
        placed: list of xyxy boxes already on the image.

    Returns:
        `(y, x, box)` with `box` in image pixels, or `None` when
        `PLACEMENT_TRIES` random places all overlapped.
    """
    for _ in range(PLACEMENT_TRIES):
        y, x = rng.integers(image_size - side + 1, size=2)
        box = [x + extent[0], y + extent[1], x + extent[2], y + extent[3]]
        if all(box[2] <= b[0] or b[2] <= box[0] or box[3] <= b[1] or b[3] <= box[1]
               for b in placed):
            return y, x, box
    return None
