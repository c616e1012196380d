"""`read_bounded`: read a file from outside, refusing it above a size bound."""

import os


def read_bounded(path, max_bytes, what="file"):
    """Returns the bytes of `path`, refusing files larger than `max_bytes`.

    The size is checked before reading and again while reading (a file that
    grows in between is still refused), so memory use stays within the bound.

    Args:
        path: str or path. The file.
        max_bytes: int. The largest size accepted.
        what: str. What the file is, for the message (`"VOC XML file"`).

    Returns:
        bytes.

    Raises:
        ValueError: if the file is larger than `max_bytes`.
        OSError: if it cannot be read.
    """
    size = os.path.getsize(path)
    if size > max_bytes:
        raise ValueError(
            f"The {what} {os.fspath(path)!r} has {size} bytes, more than the "
            f"{max_bytes} allowed (pass a larger `max_bytes` if it is trusted).")
    with open(path, "rb") as f:
        data = f.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ValueError(
            f"The {what} {os.fspath(path)!r} is larger than the {max_bytes} bytes allowed.")
    return data
