"""Read CTranslate2 `model.bin` files into NumPy arrays, without CTranslate2.

A CTranslate2 model (binary format version 6, the one
`ctranslate2.specs.ModelSpec.save` writes) is a little-endian stream:

```
uint32  binary version (6)
string  spec name ("WhisperSpec")
uint32  spec revision
uint32  number of variables
  per variable:
  string  name ("encoder/conv1/weight")
  uint8   rank, then rank x uint32 dimensions
  uint8   dtype code (0 float32, 1 int8, 2 int16, 3 int32, 4 float16,
          5 bfloat16)
  uint32  byte count, then that many bytes (row-major)
uint32  number of aliases
  per alias: string alias, string target variable
```

where a string is a uint16 byte count followed by that many UTF-8 bytes, the
last of which is a NUL. The file is treated as hostile: every count, length
and dimension is checked against fixed bounds and against the bytes left in
the file before anything is read or allocated, every byte count must equal
the element count times the dtype's size, names must be NUL-terminated
UTF-8, and the stream must end exactly at the end of the file. bfloat16
variables are refused (NumPy has no such dtype).
"""

import os
import struct

import numpy as np

# dtype code -> NumPy dtype (CTranslate2's `DataType` enum order).
DTYPES = {
    0: np.dtype("<f4"),
    1: np.dtype("i1"),
    2: np.dtype("<i2"),
    3: np.dtype("<i4"),
    4: np.dtype("<f2"),
}
_BFLOAT16 = 5
SUPPORTED_VERSIONS = (6,)
MAX_NAME_BYTES = 1024
MAX_RANK = 8
MAX_VARIABLES = 100_000
MAX_ALIASES = 100_000


class _Stream:
    """Bounded sequential reads from an open file of known size."""

    def __init__(self, f, size, path):
        self.f = f
        self.size = size
        self.path = path

    @property
    def left(self):
        return self.size - self.f.tell()

    def fail(self, what):
        return ValueError(
            f"{self.path!r} is not a valid CTranslate2 model.bin: {what} "
            f"(at byte {self.f.tell()} of {self.size}).")

    def read(self, count, what):
        if count > self.left:
            raise self.fail(f"{what} needs {count} bytes, only {self.left} left")
        data = self.f.read(count)
        if len(data) != count:
            raise self.fail(f"short read of {what}")
        return data

    def unpack(self, fmt, what):
        return struct.unpack("<" + fmt, self.read(struct.calcsize("<" + fmt), what))

    def string(self, what):
        (length,) = self.unpack("H", f"{what} length")
        if not 1 <= length <= MAX_NAME_BYTES:
            raise self.fail(f"{what} length {length} is outside [1, {MAX_NAME_BYTES}]")
        raw = self.read(length, what)
        if raw[-1:] != b"\0" or b"\0" in raw[:-1]:
            raise self.fail(f"{what} {raw[:64]!r} is not NUL-terminated")
        try:
            return raw[:-1].decode("utf-8")
        except UnicodeDecodeError:
            raise self.fail(f"{what} {raw[:64]!r} is not UTF-8") from None


def read_ctranslate2_model(path, names=None, max_bytes=1 << 31):
    """Reads the variables of a CTranslate2 `model.bin` (format version 6).

    Args:
        path: str or path. The `model.bin` file.
        names: callable or None. `names(name) -> bool` selects the variables
            whose data is read; the others are checked and skipped. Defaults
            to `None` (read all).
        max_bytes: int. Largest file accepted. Defaults to 2 GiB.

    Returns:
        dict with `"spec"` (str, e.g. `"WhisperSpec"`), `"revision"` (int),
        `"variables"` (dict name -> NumPy array, in file order, selected ones
        only), `"shapes"` (dict name -> (tuple shape, dtype) of every
        variable) and `"aliases"` (dict alias -> variable name).

    Raises:
        ValueError: if the file is larger than `max_bytes`, has another
            binary version, or any count, name, dtype, shape or byte size is
            inconsistent with the format or the file size.

    Example:

    ```python
    model = keras_transfer.backbones.ctranslate2_model.read_ctranslate2_model(
        "model.bin", names=lambda name: name.startswith("encoder/"))
    model["variables"]["encoder/conv1/weight"].shape  # (512, 80, 3)
    ```
    """
    path = os.fspath(path)
    size = os.path.getsize(path)
    if size > max_bytes:
        raise ValueError(
            f"{path!r} is {size} bytes, more than `max_bytes`={max_bytes}.")
    with open(path, "rb") as f:
        s = _Stream(f, size, path)
        (version,) = s.unpack("I", "binary version")
        if version not in SUPPORTED_VERSIONS:
            raise s.fail(f"binary version {version} is not one of {SUPPORTED_VERSIONS}")
        spec = s.string("spec name")
        (revision,) = s.unpack("I", "spec revision")
        (count,) = s.unpack("I", "variable count")
        # Each variable takes at least 2 + 1 + 1 + 1 + 4 bytes.
        if count > MAX_VARIABLES or count * 9 > s.left:
            raise s.fail(f"variable count {count} cannot fit")
        variables, shapes = {}, {}
        for _ in range(count):
            name = s.string("variable name")
            if name in shapes:
                raise s.fail(f"variable {name!r} appears twice")
            (rank,) = s.unpack("B", f"rank of {name!r}")
            if rank > MAX_RANK:
                raise s.fail(f"rank {rank} of {name!r} is over {MAX_RANK}")
            shape = s.unpack(f"{rank}I", f"shape of {name!r}") if rank else ()
            (code,) = s.unpack("B", f"dtype of {name!r}")
            if code not in DTYPES:
                what = "bfloat16 (unsupported)" if code == _BFLOAT16 else "unknown"
                raise s.fail(f"dtype code {code} of {name!r} is {what}")
            dtype = DTYPES[code]
            (num_bytes,) = s.unpack("I", f"byte count of {name!r}")
            elements = 1
            for dim in shape:
                elements *= dim  # Python ints: no overflow
            if elements * dtype.itemsize != num_bytes:
                raise s.fail(
                    f"{name!r} declares {num_bytes} bytes for shape {shape} "
                    f"of {dtype.name} ({elements * dtype.itemsize} expected)")
            if num_bytes > s.left:
                raise s.fail(f"{name!r} needs {num_bytes} bytes, only {s.left} left")
            shapes[name] = (tuple(shape), dtype)
            if names is None or names(name):
                raw = s.read(num_bytes, f"data of {name!r}")
                variables[name] = np.frombuffer(raw, dtype).reshape(shape)
            else:
                f.seek(num_bytes, os.SEEK_CUR)
        (num_aliases,) = s.unpack("I", "alias count")
        if num_aliases > MAX_ALIASES or num_aliases * 6 > s.left:
            raise s.fail(f"alias count {num_aliases} cannot fit")
        aliases = {}
        for _ in range(num_aliases):
            alias = s.string("alias")
            target = s.string("alias target")
            if target not in shapes:
                raise s.fail(f"alias {alias!r} names unknown variable {target!r}")
            aliases[alias] = target
        if s.left:
            raise s.fail(f"{s.left} unexpected trailing bytes")
    return {"spec": spec, "revision": revision, "variables": variables,
            "shapes": shapes, "aliases": aliases}
