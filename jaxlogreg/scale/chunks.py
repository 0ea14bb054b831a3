"""Row chunks of data too large for memory, each of one fixed shape.

Sources of rows: a C-ordered ``.npy`` file, read through a short-lived memory map per block (the
pages read do not stay in the process's resident memory); an in-memory array or ``np.memmap``
(sliced); the columns of a ``.parquet`` file, read a row group at a time (needs ``pyarrow``);
a sparse ``X``: a ``scipy.sparse`` matrix, a ``.npz`` or a libsvm/svmlight file
(``scale.sparse_chunks``). ``Chunks`` cuts ``X``, the targets and the weights into blocks of
``rows`` rows, the last one padded with zero rows of weight zero, so that one compiled function
serves every chunk (a sparse block: a ``SparseDesign`` of one shape for all chunks).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import scipy.sparse

from ..core.losses import Loss
from . import sharding
from .sparse_chunks import (
    chunk_design,
    is_sparse_path,
    nnz_capacity,
    row_gather_capacity,
    sparse_sources,
)

__all__ = ["Chunks", "column_sum", "encoder", "find_classes", "make_chunks", "sources"]


class _Npy:
    """Rows of a C-ordered ``.npy`` file, each block read through its own memory map.

    The map is dropped after the copy, so pages read do not stay in the process's memory.
    """

    def __init__(self, path: Path):
        header = np.load(path, mmap_mode="r")  # reads the header only
        if header.flags.f_contiguous and not header.flags.c_contiguous:
            raise ValueError(f"{path} is stored in Fortran order; save it in C order (row-major)")
        self.path, self.shape, self.dtype = path, header.shape, header.dtype
        self.offset = header.offset
        self.row_bytes = self.dtype.itemsize * math.prod(self.shape[1:])

    def read(self, start: int, stop: int) -> np.ndarray:
        offset = self.offset + start * self.row_bytes
        window = np.memmap(self.path, self.dtype, "r", offset, (stop - start, *self.shape[1:]))
        return np.array(window)


def _parquet_file(path: Path):
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise ImportError("reading Parquet needs pyarrow: pip install pyarrow") from None
    if not path.is_file():
        raise FileNotFoundError(f"data file not found: {path}")
    return pq.ParquetFile(path)


class _Parquet:
    """Columns of a Parquet file (one column: 1-D), read a row group at a time (the last kept)."""

    def __init__(self, path: Path, columns: list[str], *, matrix: bool):
        self.file, self.columns, self.matrix = _parquet_file(path), columns, matrix
        sizes = [self.file.metadata.row_group(g).num_rows for g in range(self.file.num_row_groups)]
        self.starts = np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)])
        n = int(self.starts[-1])
        self.shape = (n, len(columns)) if matrix else (n,)
        self.cached: tuple[int, np.ndarray] | None = None

    def _group(self, g: int) -> np.ndarray:
        if self.cached is None or self.cached[0] != g:
            table = self.file.read_row_group(g, columns=self.columns)
            block = np.column_stack([table.column(c).to_numpy() for c in self.columns])
            self.cached = (g, block if self.matrix else block[:, 0])
        return self.cached[1]

    def read(self, start: int, stop: int) -> np.ndarray:
        first = int(np.searchsorted(self.starts, start, side="right")) - 1
        last = int(np.searchsorted(self.starts, stop, side="left"))
        parts = [self._group(g) for g in range(first, last)]
        return np.concatenate(parts)[start - self.starts[first] : stop - self.starts[first]]


class _Array:
    """Rows of an in-memory array or ``np.memmap``."""

    def __init__(self, array):
        self.array = array if isinstance(array, np.ndarray) else np.asarray(array)
        self.shape = self.array.shape

    def read(self, start: int, stop: int) -> np.ndarray:
        return np.array(self.array[start:stop])


def sources(X, y, sample_weight):
    """Row sources of ``X``, ``y`` and the weights (``None``: unit weights); a libsvm/svmlight
    ``X`` holds ``y`` itself (``y=None``)."""
    if scipy.sparse.issparse(X) or is_sparse_path(X):
        Xs, y = sparse_sources(X, y)
        return Xs, y if hasattr(y, "read") else _source(y), _source(sample_weight)
    if isinstance(X, str | Path) and Path(X).suffix.lower() == ".parquet":
        if not isinstance(y, str):
            raise ValueError("with a Parquet X, y must name its target column")
        names = _parquet_file(Path(X)).schema_arrow.names
        if y not in names:
            raise ValueError(f"{X}: no column named {y!r}; available: {', '.join(names)}")
        features = [name for name in names if name != y]
        return (
            _Parquet(Path(X), features, matrix=True),
            _Parquet(Path(X), [y], matrix=False),
            _source(sample_weight),
        )
    return _source(X), _source(y), _source(sample_weight)


def _source(data):
    if data is None:
        return None
    if isinstance(data, str | Path):
        path = Path(data)
        if not path.is_file():
            raise FileNotFoundError(f"data file not found: {path}")
        if path.suffix.lower() != ".npy":
            raise ValueError(f"{path}: expected a .npy file (or a .parquet X)")
        return _Npy(path)
    return _Array(data)


def find_classes(y, *, column: str | None = None, chunk_rows: int = 1 << 20) -> np.ndarray:
    """The sorted distinct labels of ``y`` (a ``.npy`` path or an array; with ``column``, a
    ``.parquet`` path and the column's name; a libsvm/svmlight path: its labels), one chunk at
    a time."""
    if column is None and is_sparse_path(y):
        source = sources(y, None, None)[1]
    else:
        source = _source(y) if column is None else _Parquet(Path(y), [column], matrix=False)
    found = [
        np.unique(source.read(a, min(a + chunk_rows, source.shape[0])))
        for a in range(0, source.shape[0], chunk_rows)
    ]
    return np.unique(np.concatenate(found)) if found else np.array([])


def column_sum(source, rows: int) -> float:
    """``Σᵢ vᵢ`` of a 1-D source, ``rows`` values at a time."""
    n = source.shape[0]
    return sum(float(np.sum(source.read(a, min(a + rows, n)))) for a in range(0, n, rows))


@dataclasses.dataclass
class Chunks:
    """Fixed-shape row chunks ``(X, T, s̃)``; rows past ``n`` are zero with weight zero."""

    X: object
    y: object
    weights: object
    encode: Callable[[np.ndarray], np.ndarray]
    rows: int
    dtype: np.dtype
    mesh: object

    def __post_init__(self):
        self.n = self.X.shape[0]
        self.sparse = getattr(self.X, "sparse", False)
        if self.sparse and self.mesh is not None:
            raise ValueError(
                "an out-of-core fit takes mesh= with dense chunks only: pass mesh=None to fit "
                "the sparse chunks on one device, or LogisticRegression(mesh=...) on a sparse X "
                "held in memory"
            )
        if self.sparse:  # one shape for every chunk (scale.sparse_chunks)
            self.capacity = nnz_capacity(self.X.indptr, self.rows)
            self.max_row_nnz = row_gather_capacity(self.X.indptr)
        total = self.n if self.weights is None else column_sum(self.weights, self.rows)
        if not total > 0:
            raise ValueError(
                "sample_weight sums to zero: at least one sample needs a positive weight"
            )
        self.total = total

    def __len__(self) -> int:
        return -(-self.n // self.rows)

    def __getitem__(self, c: int):
        start, stop = c * self.rows, min((c + 1) * self.rows, self.n)
        X = self.X.read(start, stop)
        values = X.data if self.sparse else X
        if not np.issubdtype(values.dtype, np.number):
            raise ValueError(f"X must be numeric, got values of dtype {values.dtype}")
        if not np.all(np.isfinite(values)):
            raise ValueError(f"X has NaN or infinite values in rows {start} to {stop - 1}")
        T = self.encode(self.y.read(start, stop)).astype(self.dtype)
        w = np.ones(stop - start) if self.weights is None else self.weights.read(start, stop)
        if np.any(~np.isfinite(w) | (w < 0)):
            raise ValueError("sample_weight must be finite and non-negative")
        w = (w / self.total).astype(self.dtype)
        pad = self.rows - (stop - start)
        dense = (T, w) if self.sparse else (X, T, w)
        blocks = [np.pad(a, [(0, pad)] + [(0, 0)] * (a.ndim - 1)) if pad else a for a in dense]
        if self.sparse:
            design = chunk_design(X, self.rows, self.capacity, self.max_row_nnz, self.dtype)
            return (design, *blocks)
        if self.mesh is None:
            return tuple(blocks)
        return tuple(sharding.shard_rows(self.mesh, a) for a in blocks)


def encoder(loss: Loss, classes, y_shape) -> tuple[Callable, int]:
    """Targets of a block of ``y`` and their number of columns ``K``."""
    if classes is None:
        if loss.shift_invariant and len(y_shape) != 2:
            raise ValueError("multinomial targets must be one-hot rows (n, K), or pass classes=")
        K = y_shape[1] if len(y_shape) == 2 else 1
        return (lambda y: y.reshape(len(y), K)), K
    classes = np.asarray(classes)
    if loss.name == "squared":
        raise ValueError("classes= is for classification losses (binary, multinomial)")
    if loss.name == "binary" and len(classes) != 2:
        raise ValueError(
            f"the binary loss needs 2 classes, got {len(classes)}; use loss='multinomial'"
        )

    def encode(y):
        index = np.clip(np.searchsorted(classes, y), 0, len(classes) - 1)
        unknown = classes[index] != y
        if np.any(unknown):
            raise ValueError(f"y holds the label {y[unknown][0].item()!r}, which is not in classes")
        return (index == 1)[:, None] if loss.name == "binary" else np.eye(len(classes))[index]

    return encode, 1 if loss.name == "binary" else len(classes)


def make_chunks(X, y, sample_weight, loss, classes, chunk_rows, dtype, mesh) -> tuple[Chunks, int]:
    """The data's row chunks (rows padded to the mesh), checked, and the target columns ``K``."""
    Xs, ys, ws = sources(X, y, sample_weight)
    if len(Xs.shape) != 2:
        raise ValueError(f"X must be 2-D (n_samples, n_features), got shape {Xs.shape}")
    n = Xs.shape[0]
    for name, source in (("y", ys), ("sample_weight", ws)):
        if source is not None and source.shape[0] != n:
            raise ValueError(f"{name} has {source.shape[0]} rows but X has {n}")
    encode, K = encoder(loss, classes, ys.shape)
    if mesh is not None:
        chunk_rows = sharding.padded_rows(chunk_rows, sharding._check_mesh(mesh))
    return Chunks(Xs, ys, ws, encode, chunk_rows, dtype, mesh), K
