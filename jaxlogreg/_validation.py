"""Input checks at the estimator boundary, with messages that name the argument and the fix.

Estimators, ``regularization_path`` and the functional ``fit`` raise only these exception types on
bad input: ``ValueError`` (bad values, shapes, mismatched lengths; ``NumericalError``, a
``ValueError``, when arithmetic overflowed), ``TypeError`` (arguments of the wrong type), and
scikit-learn's ``NotFittedError`` (a ``ValueError``) for predictions before ``fit``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import mmap
import numbers
import warnings
from collections.abc import Iterator

import jax
import jax.experimental.sparse
import jax.numpy as jnp
import numpy as np
import scipy.sparse
from sklearn.utils.validation import check_X_y, validate_data

from .precision import precise_jit

__all__ = [
    "NumericalError",
    "as_float_array",
    "as_sparse_csr",
    "check_choice",
    "check_finite_result",
    "check_fit_arrays",
    "check_l1_ratio",
    "check_penalty_factor",
    "check_positive_int",
    "check_positive_number",
    "check_sample_weight",
    "readable_here",
    "to_device",
    "unchanged_on_error",
    "validate_inputs",
    "warn_on_feature_scale",
]

#: Feature magnitudes (largest ``|x|`` of a column) outside ``[1/FEATURE_SCALE, FEATURE_SCALE]``
#: get a warning: the solvers' tolerances are absolute, so such columns stall or never move.
FEATURE_SCALE = 1e10
#: Rows per block when ``warn_on_feature_scale`` scans ``X``.
SCALE_CHUNK_ROWS = 4096


class NumericalError(FloatingPointError, ValueError):
    """A fit whose arithmetic overflowed to infinity or NaN (raised instead of returning NaN)."""


def check_choice(name: str, value, choices) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)!r}, got {value!r}")


def check_positive_number(name: str, value, *, allow_inf: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a positive number, got {value!r}")
    value = float(value)
    if not value > 0 or np.isnan(value) or (np.isinf(value) and not allow_inf):
        raise ValueError(
            f"{name} must be a positive{'' if allow_inf else ' finite'} number, got {value!r}"
        )
    return value


def check_l1_ratio(value) -> float:
    """The elastic-net mixing parameter: a real number in ``[0, 1]``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"l1_ratio must be a number in [0, 1], got {value!r}")
    if not 0 <= value <= 1:
        raise ValueError(f"l1_ratio must be in [0, 1], got {value!r}")
    return float(value)


def check_penalty_factor(penalty_factor, p: int) -> np.ndarray:
    """Per-feature penalty factors ``ϖ (p,)``, finite and non-negative; ones when ``None``."""
    if penalty_factor is None:
        return np.ones(p)
    factor = np.asarray(penalty_factor, dtype=np.float64)
    if factor.shape != (p,):
        raise ValueError(f"penalty_factor must have shape ({p},) to match X, got {factor.shape}")
    if not np.all(np.isfinite(factor)) or np.any(factor < 0):
        raise ValueError("penalty_factor must be finite and non-negative")
    return factor


def check_positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def check_sample_weight(sample_weight, n_samples: int, dtype) -> np.ndarray:
    """``(n,)`` finite non-negative weights with a positive sum; ones when ``None``."""
    if sample_weight is None:
        return np.ones(n_samples, dtype)
    if np.isscalar(sample_weight):
        sample_weight = np.full(n_samples, sample_weight)
    sample_weight = np.asarray(sample_weight, dtype=dtype)
    if sample_weight.shape != (n_samples,):
        raise ValueError(
            f"sample_weight must have shape ({n_samples},) to match X, got {sample_weight.shape}"
        )
    if not np.all(np.isfinite(sample_weight)):
        raise ValueError("sample_weight contains NaN or infinity")
    if np.any(sample_weight < 0):
        raise ValueError("sample_weight must be non-negative; got negative values")
    if not np.sum(sample_weight) > 0:
        raise ValueError("sample_weight sums to zero: at least one sample needs a positive weight")
    return sample_weight


@contextlib.contextmanager
def unchanged_on_error(estimator) -> Iterator[None]:
    """Restore ``estimator``'s attributes when the block raises: no half-fitted estimator."""
    saved = dict(vars(estimator))
    try:
        yield
    except BaseException:
        vars(estimator).clear()
        vars(estimator).update(saved)
        raise


def _first_non_numeric(values) -> str | None:
    """Where ``values`` first holds something that is not a number, e.g. ``"column 2 holds 'a'
    (str)"``; ``None`` when every entry is a number."""
    columns = getattr(values, "columns", None)
    array = np.asarray(values, dtype=object)
    array = array.reshape(len(array), -1) if array.ndim else array.reshape(1, 1)
    for j in range(array.shape[1]):
        with contextlib.suppress(TypeError, ValueError):
            array[:, j].astype(np.float64)  # whole columns first: element by element is slow
            continue
        for value in array[:, j]:
            try:
                float(value)
            except (TypeError, ValueError):
                label = repr(columns[j]) if columns is not None else str(j)
                return f"column {label} holds {value!r} ({type(value).__name__})"
    return None


def _not_numbers(error: Exception, X, y, name: str = "X") -> Exception:
    """The error of a failed float conversion, naming the argument and where it failed."""
    where = _first_non_numeric(X)
    if where is None and y is not None:
        name, where = "y", _first_non_numeric(y)
    fix = (
        "encode categorical or text columns as numbers first, e.g. with "
        "sklearn.preprocessing.OneHotEncoder or OrdinalEncoder"
        if name == "X"
        else "targets must be numeric (class labels: use LogisticRegression, or one-hot rows)"
    )
    where = where or "a value is not a number"
    return type(error)(f"{name} must hold numbers only ({error}; {where}): {fix}")


#: Alignment in bytes at which a CPU device uses a NumPy array's memory as it is.
HOST_ALIGNMENT = 64
#: Smallest unaligned array that ``to_device`` lays out in aligned memory: a device copy against
#: the aligned one took 14 against 17 ms at 16 MiB, 41 against 27 at 32 MiB, 79 against 49 at 64.
HOST_COPY_MIN_BYTES = 2**25


def aligned_empty(shape: tuple[int, ...], dtype) -> np.ndarray:
    """An uninitialized C-contiguous NumPy array whose data start ``HOST_ALIGNMENT``-aligned.

    With anonymous memory maps (POSIX), a page-aligned map of its own, populated at once
    (``MAP_POPULATE``, Linux): NumPy's huge pages took 225–300 ms on first touch for 80 MB on a
    virtual machine, a populated map 50 ms (13–27 ms once warm)."""
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape)) * dtype.itemsize
    if nbytes and hasattr(mmap, "MAP_ANONYMOUS"):
        flags = mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | getattr(mmap, "MAP_POPULATE", 0)
        return np.frombuffer(mmap.mmap(-1, nbytes, flags=flags), dtype).reshape(shape)
    raw = np.empty(nbytes + HOST_ALIGNMENT, np.uint8)
    start = -raw.ctypes.data % HOST_ALIGNMENT
    return raw[start : start + nbytes].view(dtype).reshape(shape)


def to_device(X, *, transposed: bool = False) -> jax.Array:
    """``X`` (``Xᵀ`` when ``transposed``) as a JAX array on the default device, in one copy of a
    NumPy array at most. On a CPU the device uses host memory that is C-contiguous and
    ``HOST_ALIGNMENT``-aligned as it is: such an ``X`` is not copied; any other ``X`` of at
    least ``HOST_COPY_MIN_BYTES`` (and every ``Xᵀ``) is laid out by NumPy in aligned memory
    (``aligned_empty``) that the device then uses. A device copy of an unaligned 10⁵ × 1,000
    float64 ``X`` took 1.1–1.5 s, the aligned copy 0.5 s; ``Xᵀ`` of 10⁵ × 100, 50 ms against
    100–130 ms for a device copy and XLA's transposition."""
    if isinstance(X, jax.Array):
        return X.T if transposed else X
    X = np.asarray(X)
    if jax.default_backend() != "cpu":  # an accelerator transposes faster than the host
        X = jax.device_put(X)
        return X.T if transposed else X
    if not transposed and (X.nbytes < HOST_COPY_MIN_BYTES or _device_uses_as_is(X)):
        return jax.device_put(X)
    host = aligned_empty(X.shape[::-1] if transposed else X.shape, X.dtype)
    np.copyto(host, X.T if transposed else X)
    return jax.device_put(host)


def _device_uses_as_is(X: np.ndarray) -> bool:
    return X.flags.c_contiguous and X.ctypes.data % HOST_ALIGNMENT == 0


def as_sparse_csr(X, name: str = "X"):
    """A ``scipy.sparse`` or ``jax.experimental.sparse.BCOO`` ``X`` as a float CSR copy (dtype as
    ``as_float_array``), indices sorted, duplicates summed, never dense; else ``None``."""
    if isinstance(X, jax.experimental.sparse.BCOO):
        if isinstance(X.data, jax.core.Tracer) or X.n_batch or X.n_dense:
            raise TypeError(f"{name}: a BCOO must be concrete (not traced), 2-D, unbatched")
        X = scipy.sparse.coo_matrix((np.asarray(X.data), tuple(np.asarray(X.indices).T)), X.shape)
    elif not scipy.sparse.issparse(X):
        return None
    dtype = X.dtype if X.dtype in (np.float32, np.float64) else jnp.result_type(float)
    canonical = X.format == "csr" and X.has_canonical_format  # a copy forgets it: sorted again
    X = scipy.sparse.csr_matrix(X, dtype=jax.dtypes.canonicalize_dtype(dtype), copy=True)
    if not canonical:
        X.sum_duplicates()
    return X


def as_float_array(X, name: str = "X"):
    """``X`` for the functional API as a float32 or float64 array where it is: a JAX array stays
    one (traced too), else a NumPy array (``to_device`` moves it after the checks read it here).

    ``scipy.sparse`` is refused (the callers keep a sparse ``X`` sparse); integers, booleans,
    numeric objects and float16 are cast to the default float dtype; float64 becomes float32
    unless JAX has float64 enabled.
    """
    default = jax.numpy.result_type(float)
    if isinstance(X, jax.Array):
        return X if X.dtype in (np.float32, np.float64) else X.astype(default)
    if scipy.sparse.issparse(X):
        raise TypeError(f"{name} must be a dense array here, got a scipy.sparse matrix")
    X = np.asarray(X)
    if X.dtype not in (np.float32, np.float64):
        try:
            X = X.astype(default)
        except (TypeError, ValueError) as error:
            raise _not_numbers(error, X, None, name) from None
    return X.astype(jax.dtypes.canonicalize_dtype(X.dtype), copy=False)


def validate_inputs(estimator, X, y, **check_params):
    """scikit-learn's ``validate_data`` (``check_X_y`` when ``estimator`` is ``None``), with
    messages that say what to fix; a sparse ``X`` becomes a CSR matrix (a BCOO too) of sorted
    indices without duplicates, never a dense one."""
    # a BCOO holds a dtype JAX computes in: as_sparse_csr keeps it
    X = as_sparse_csr(X) if isinstance(X, jax.experimental.sparse.BCOO) else X
    check_params["accept_sparse"] = "csr"
    try:
        if estimator is None:
            X, y = check_X_y(X, y, **check_params)
        else:
            X, y = validate_data(estimator, X, y, **check_params)
        if check_params.get("y_numeric") and y.dtype.kind not in "biuf":
            y = y.astype(np.float64)  # text targets: scikit-learn converts only object arrays
    except (TypeError, ValueError) as error:
        message = str(error)
        if "could not convert" in message or "argument must be" in message:
            raise _not_numbers(error, X, y) from None
        if "contains infinity" in message:
            raise ValueError(
                f"{message} Remove or clip the infinite values (e.g. np.clip), or set them to "
                "NaN and impute them"
            ) from None
        if "Found array with dim" in message:
            raise ValueError(
                f"{message} X must be 2-D (n_samples, n_features): reshape it, e.g. "
                "X.reshape(len(X), -1)"
            ) from None
        if "y contains NaN" in message:
            raise ValueError(
                f"{message} Drop the samples whose label is missing (y is not imputed)"
            ) from None
        raise
    _check_range(X.data if scipy.sparse.issparse(X) else X)
    if scipy.sparse.issparse(X) and not X.has_canonical_format:  # never the caller's X changed
        X = X.copy()
        X.sum_duplicates()
    return X, y


def _check_range(X: np.ndarray) -> None:
    """Refuse values that overflow the dtype jaxlogreg computes in (float32 without x64)."""
    compute = np.dtype(jax.numpy.result_type(float))
    if X.dtype.itemsize > compute.itemsize and X.size:
        largest = float(np.max(np.abs(X)))
        if largest > float(np.finfo(compute).max):
            raise ValueError(
                f"X has values up to {largest:.3g}, beyond the range of {compute} (jaxlogreg "
                f"computes in {compute}, max {np.finfo(compute).max:.3g}): rescale X, or enable "
                "float64 with jax.config.update('jax_enable_x64', True)"
            )


def warn_on_feature_scale(X: np.ndarray, stacklevel: int = 5) -> None:
    """Warn when a column's largest ``|x|`` is above ``FEATURE_SCALE`` or below its inverse
    (of a ``scipy.sparse`` ``X``: of its stored values, never densified).

    The iterative solvers stop on an absolute gradient tolerance, and the gradient of column
    ``j`` scales with its magnitude: huge columns never reach ``tol``, tiny ones never leave zero.
    """
    scale = np.zeros(X.shape[1])
    if scipy.sparse.issparse(X):
        X = scipy.sparse.coo_array(X)
        np.maximum.at(scale, X.col, np.abs(X.data))
    else:
        for start in range(0, X.shape[0], SCALE_CHUNK_ROWS):  # no temporary as large as X
            np.maximum(scale, np.abs(X[start : start + SCALE_CHUNK_ROWS]).max(axis=0), out=scale)
    odd = np.flatnonzero((scale > FEATURE_SCALE) | ((scale > 0) & (scale < 1 / FEATURE_SCALE)))
    if odd.size:
        j = odd[0]
        warnings.warn(
            f"X has badly scaled features: column {j} has magnitude {scale[j]:.3g} "
            f"({odd.size} column(s) outside [{1 / FEATURE_SCALE:g}, {FEATURE_SCALE:g}]). The "
            "solvers' tolerances are absolute, so such a fit may stall or leave those "
            "coefficients at zero: standardize X (e.g. sklearn.preprocessing.StandardScaler)",
            UserWarning,
            stacklevel=stacklevel,
        )


def check_finite_result(*arrays) -> None:
    """Raise ``NumericalError`` when a fitted array holds NaN or infinity (never store NaN)."""
    if not all(np.all(np.isfinite(np.asarray(a))) for a in arrays):
        raise NumericalError(
            "the fit overflowed: the solver produced non-finite coefficients. Standardize X "
            "(e.g. sklearn.preprocessing.StandardScaler), increase the penalty (smaller C or "
            "larger alpha/lam), or enable float64 with jax.config.update('jax_enable_x64', True)"
        )


def _is_sparse_design(x) -> bool:
    """Whether ``x`` is a sparse design laid out for the solvers (``core.design.SparseDesign``:
    a dataclass whose stored values are the JAX array ``data``)."""
    return dataclasses.is_dataclass(x) and isinstance(getattr(x, "data", None), jax.Array)


def readable_here(x) -> bool:
    """Whether ``x``'s values can be read here: not traced, and (a multi-process global array
    is not) held by this process's devices."""
    if _is_sparse_design(x):
        x = x.data
    if x is None or isinstance(x, jax.core.Tracer):
        return False
    return not isinstance(x, jax.Array) or x.is_fully_addressable


@precise_jit
def _all_finite(x):
    """Whether every value of ``x`` is finite: one fused pass where ``x`` lives (on a GPU, no
    copy of ``X`` back to the host)."""
    return jnp.all(jnp.isfinite(x))


def _is_finite(x) -> bool:
    """Whether every value of the concrete array ``x`` is finite: a NumPy array on the host (its
    sum is finite exactly when every value is, unless the sum overflows: then value by value), a
    JAX array where it lives, also while a caller's function is traced (``x`` a constant of it)."""
    if scipy.sparse.issparse(x) or _is_sparse_design(x):
        x = x.data
    if isinstance(x, np.ndarray):
        return bool(np.isfinite(np.sum(x)) or np.all(np.isfinite(x)))
    with jax.ensure_compile_time_eval():
        return bool(_all_finite(x))


def check_fit_arrays(X, targets, sample_weight, penalty_factor, init, d: int) -> None:
    """The functional ``fit``'s array checks, on the arrays that are concrete (not traced).

    Shapes: ``X (n, p)``, ``targets (n, K)``, ``sample_weight (n,)``, ``penalty_factor (p,)``,
    ``init (K, d)``; values finite, weights non-negative with a positive sum.
    """
    n, p = X.shape
    if n == 0:
        raise ValueError("X has no samples (shape (0, p)); fit needs at least one sample")
    for name, value in (("X", X), ("y", targets)):
        if readable_here(value) and not _is_finite(value):
            raise ValueError(f"{name} contains NaN or infinity: remove or impute those values")
    if readable_here(sample_weight):
        check_sample_weight(np.asarray(sample_weight), n, np.float64)
    elif sample_weight is not None and np.shape(sample_weight) != (n,):
        raise ValueError(f"sample_weight must have shape ({n},), got {np.shape(sample_weight)}")
    if readable_here(penalty_factor):
        check_penalty_factor(np.asarray(penalty_factor), p)
    if init is not None and np.shape(init) != (targets.shape[1], d):
        raise ValueError(
            f"init must have shape {(targets.shape[1], d)} (K, p + fit_intercept), got "
            f"{np.shape(init)}"
        )
