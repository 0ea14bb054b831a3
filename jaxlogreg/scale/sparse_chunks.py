"""Sparse row sources for the out-of-core fits: row blocks as CSR matrices, never densified.

Sources: an in-memory ``scipy.sparse`` matrix (sliced by rows); a ``.npz`` file written by
``scipy.sparse.save_npz`` (``scipy.sparse.load_npz`` reads it whole: the file must fit in
memory, only the passes are chunked); a libsvm/svmlight text file (``.svm``, ``.svmlight``,
``.libsvm``), read a block of lines at a time and never whole. A first pass over the text file
records where every data line starts and how many values it stores (16 bytes a row); each block
is then parsed by ``sklearn.datasets.load_svmlight_file``, with the index base and the number of
features of the whole file (as ``load_svmlight_file`` on the whole file finds them: zero-based
when some index is 0, else one-based). Its labels are the targets ``y``. Every pass parses the
text anew, about as long as ``load_svmlight_file`` on the whole file takes (2 s for 23 MB, 10⁶
values, on a shared 2-core CPU): an L-BFGS fit of some 30 passes took 66 s where the same fit of
the matrix in memory took 8 s. For many passes, prefer ``"newton"`` (few passes, up to
``NEWTON_MAX_PARAMS`` coefficients) or a format read without parsing (``.npz`` where it fits).

A chunk becomes a ``core.design.SparseDesign`` of one shape for every chunk: ``rows`` rows (empty
rows appended), ``capacity`` stored values (the most any chunk stores; explicit zeros appended
in its last row) and the row-gather capacity of the whole data rounded up to a power of two.
Every product with ``X`` is linear in the stored values, so the padding changes nothing.
"""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import jax.numpy as jnp
import numpy as np
import scipy.sparse

from ..core.design import SparseDesign, is_sparse, take_rows
from ..solvers.auto import NEWTON_MAX_PARAMS

__all__ = [
    "SVMLIGHT_SUFFIXES",
    "CsrRows",
    "SvmlightLabels",
    "SvmlightRows",
    "check_sparse_newton",
    "chunk_design",
    "in_dtype",
    "is_sparse_path",
    "nnz_capacity",
    "row_gather_capacity",
    "rows_in_dtype",
    "sparse_sources",
]

SVMLIGHT_SUFFIXES = (".svm", ".svmlight", ".libsvm")
#: Lines the first pass over a libsvm/svmlight file parses at a time.
SCAN_LINES = 1 << 16


def is_sparse_path(X) -> bool:
    """Whether ``X`` names a ``.npz`` or libsvm/svmlight file."""
    return isinstance(X, str | Path) and Path(X).suffix.lower() in (".npz", *SVMLIGHT_SUFFIXES)


class CsrRows:
    """Rows of an in-memory sparse matrix, as canonical CSR (sorted indices, no duplicates)."""

    sparse = True

    def __init__(self, X):
        matrix = scipy.sparse.csr_matrix(X, dtype=np.result_type(X.dtype, np.float32))
        if not matrix.has_canonical_format:  # copies: the caller's matrix is never changed
            matrix = matrix.copy()
            matrix.sum_duplicates()
        self.matrix, self.shape = matrix, matrix.shape
        self.indptr = np.asarray(matrix.indptr, np.int64)

    def read(self, start: int, stop: int) -> scipy.sparse.csr_matrix:
        return self.matrix[start:stop]


class SvmlightRows:
    """Rows of a libsvm/svmlight file, a block of lines at a time (module docstring).

    ``offsets (n + 1,)``: the byte where each data line starts (then the file's size);
    ``indptr (n + 1,)``: the cumulated stored values of the rows.
    """

    sparse = True

    def __init__(self, path: Path):
        if not path.is_file():
            raise FileNotFoundError(f"data file not found: {path}")
        self.path = path
        offsets, counts, low, high = [], [], None, -1
        with open(path, "rb") as file:
            position, block = 0, []
            for line in file:
                if line.split(b"#", 1)[0].strip():
                    offsets.append(position)
                    block.append(line)
                position += len(line)
                if len(block) == SCAN_LINES:
                    low, high = self._scan(block, counts, low, high)
                    block = []
            if block:
                low, high = self._scan(block, counts, low, high)
        self.zero_based = low == 0
        self.offsets = np.array([*offsets, position], np.int64)
        self.indptr = np.concatenate([[0], np.cumsum(counts, dtype=np.int64)])
        self.shape = (len(offsets), high + 1 - int(not self.zero_based and high >= 0))
        self.cached: tuple[int, int, scipy.sparse.csr_matrix, np.ndarray] | None = None

    def _scan(self, block, counts, low, high):
        """Counts of ``block``'s rows appended to ``counts``; the least and largest index."""
        X, _ = _parse(self.path, b"".join(block), zero_based=True, n_features=None)
        counts.extend(np.diff(X.indptr).tolist())
        if X.nnz:
            low = int(X.indices.min()) if low is None else min(low, int(X.indices.min()))
            high = max(high, int(X.indices.max()))
        return low, high

    def block(self, start: int, stop: int) -> tuple[scipy.sparse.csr_matrix, np.ndarray]:
        """Rows ``start:stop`` and their labels (the last block kept)."""
        if self.cached is None or self.cached[:2] != (start, stop):
            with open(self.path, "rb") as file:
                file.seek(self.offsets[start])
                text = file.read(int(self.offsets[stop] - self.offsets[start]))
            options = dict(zero_based=self.zero_based, n_features=self.shape[1])
            self.cached = (start, stop, *_parse(self.path, text, **options))
        return self.cached[2], self.cached[3]

    def read(self, start: int, stop: int) -> scipy.sparse.csr_matrix:
        return self.block(start, stop)[0]


class SvmlightLabels:
    """The labels of a ``SvmlightRows`` file, a 1-D source."""

    def __init__(self, rows: SvmlightRows):
        self.rows, self.shape = rows, (rows.shape[0],)

    def read(self, start: int, stop: int) -> np.ndarray:
        return self.rows.block(start, stop)[1]


def _parse(path, text: bytes, *, zero_based, n_features):
    from sklearn.datasets import load_svmlight_file

    try:
        X, y = load_svmlight_file(
            io.BytesIO(text), n_features=n_features, zero_based=zero_based, dtype=np.float64
        )
    except ValueError as error:
        raise ValueError(f"{path}: not a valid libsvm/svmlight file ({error})") from None
    X.sum_duplicates()
    return X, y


def sparse_sources(X, y):
    """``(X source, y source)`` of a sparse matrix, a ``.npz`` or a libsvm/svmlight file."""
    if scipy.sparse.issparse(X):
        return CsrRows(X), y
    path = Path(X)
    if path.suffix.lower() == ".npz":
        if not path.is_file():
            raise FileNotFoundError(f"data file not found: {path}")
        return CsrRows(scipy.sparse.load_npz(path)), y
    if y is not None:
        raise ValueError(
            f"{path} holds its labels (the first value of each line): pass y=None, not y={y!r}"
        )
    rows = SvmlightRows(path)
    return rows, SvmlightLabels(rows)


def nnz_capacity(indptr: np.ndarray, rows: int) -> int:
    """The most stored values of a chunk of ``rows`` rows (at least 1)."""
    bounds = indptr[np.minimum(np.arange(0, len(indptr) - 1 + rows, rows), len(indptr) - 1)]
    return max(int(np.max(np.diff(bounds), initial=0)), 1)


def row_gather_capacity(indptr: np.ndarray) -> int:
    """The most stored values of a row, rounded up to a power of two."""
    most = int(np.max(np.diff(indptr), initial=0))
    return 1 << max(most - 1, 0).bit_length()


def chunk_design(block, rows: int, capacity: int, max_row_nnz: int, dtype) -> SparseDesign:
    """The CSR ``block`` as a ``SparseDesign`` of ``rows`` rows and ``capacity`` stored values
    (explicit zeros appended in its last row)."""
    n, p = block.shape
    extra = capacity - block.nnz
    data = np.concatenate([block.data, np.zeros(extra)]).astype(dtype)
    indices = np.concatenate([block.indices, np.arange(extra) % max(p, 1)])
    indptr = np.concatenate([block.indptr, np.full(rows - n, block.indptr[-1])]).astype(np.int64)
    indptr[-1] += extra
    shape = (rows, p)  # read by rows only
    return SparseDesign.from_csr(
        data, indices, indptr, shape, max_row_nnz=max_row_nnz, columns=False
    )


def in_dtype(X, dtype):
    """A dense or sparse (``SparseDesign``) chunk with its values in ``dtype``."""
    if is_sparse(X):
        return dataclasses.replace(X, data=X.data.astype(dtype))
    return jnp.asarray(X).astype(dtype)


def rows_in_dtype(X, rows, dtype):
    """The rows ``rows`` of a dense or sparse chunk (a minibatch), values in ``dtype``."""
    return in_dtype(take_rows(X, rows), dtype)


def check_sparse_newton(solver, chunks, n_params: int) -> None:
    """Refuse Newton on sparse chunks beyond ``NEWTON_MAX_PARAMS`` coefficients ``K·d``, as the
    in-memory Newton does (``solvers.newton.check_sparse_size``): a chunk's Hessian costs
    ``2·nnz·K·d`` operations and ``(K·d)²`` memory."""
    if solver == "newton" and chunks.sparse and n_params > NEWTON_MAX_PARAMS:
        raise ValueError(
            f"out-of-core Newton builds a Hessian of {n_params}² entries, which sparse chunks "
            f"allow up to {NEWTON_MAX_PARAMS} coefficients (K·(p + fit_intercept)); use "
            "solver='lbfgs' (the same exact solution)"
        )
