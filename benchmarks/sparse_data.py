"""Deterministic sparse classification data (CSR) shaped like text and click-through sets.

Two designs, both ``scipy.sparse.csr_matrix`` in float64, the same seed always giving the same
arrays:

- ``"text"`` (bag of words, like rcv1 and news20): a row holds ``Poisson(nnz_per_row)`` word
  draws (at least one) from a power law over the columns, ``P(column of rank r) ∝ 1/(r + 10)``
  (Zipf, ranks shuffled over the column indices); repeated words add up to a count ``c``, and
  the value is the tf-idf ``(1 + log c)·idf``, ``idf = 1 + log((1 + N)/(1 + df))`` over all
  ``N`` rows, each row scaled to unit Euclidean norm;
- ``"hashed"`` (one-hot fields, like a click log): ``FIELDS = nnz_per_row`` categorical fields,
  field ``f`` with a cardinality log-spaced from 10 to 10⁶ and a Zipf law over its categories;
  each ``(field, category)`` pair is hashed (multiplicative hashing) into one of ``p`` columns
  with value 1 (two pairs of one row hashed to one column keep one entry).

Labels come from a sparse ground truth ``β`` (``n_informative`` nonzeros per class, random signs
and sizes, drawn among the ``10·n_informative`` most frequent columns so that they occur)
through the logistic or softmax model, as in ``benchmarks.data``: the problems are well posed.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .data import Dataset, draw_labels

__all__ = ["DESIGNS", "make_sparse_dataset"]

DESIGNS = ("text", "hashed")
#: Rank offset of the power law of word frequencies (Zipf–Mandelbrot).
ZIPF_OFFSET = 10.0
#: Smallest and largest cardinality of a hashed field.
CARDINALITY = (10, 10**6)
#: Odd 64-bit constant of multiplicative (Fibonacci) hashing.
HASH_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)


def _zipf_cdf(size: int) -> np.ndarray:
    """Cumulative probabilities of ``P(r) ∝ 1/(r + ZIPF_OFFSET)``, ``r = 0..size−1``."""
    weights = 1.0 / (np.arange(size) + ZIPF_OFFSET)
    cdf = np.cumsum(weights)
    return cdf / cdf[-1]


def _draw_zipf(rng: np.random.Generator, size: int, count: int) -> np.ndarray:
    """``count`` ranks in ``0..size−1`` from the Zipf law (inverse CDF)."""
    ranks = np.searchsorted(_zipf_cdf(size), rng.uniform(size=count), side="right")
    return np.minimum(ranks, size - 1)


def _text(rng: np.random.Generator, n: int, p: int, nnz_per_row: int) -> sp.csr_matrix:
    lengths = np.maximum(rng.poisson(nnz_per_row, n), 1)
    rows = np.repeat(np.arange(n), lengths)
    columns = rng.permutation(p)[_draw_zipf(rng, p, int(lengths.sum()))]
    counts = sp.csr_matrix((np.ones(len(rows)), (rows, columns)), shape=(n, p))
    counts.sum_duplicates()  # repeated words: their count
    document_frequency = np.bincount(counts.indices, minlength=p)
    idf = 1.0 + np.log((1.0 + n) / (1.0 + document_frequency))
    counts.data = (1.0 + np.log(counts.data)) * idf[counts.indices]
    norms = np.sqrt(np.asarray(counts.multiply(counts).sum(axis=1)).ravel())
    return sp.csr_matrix(sp.diags(1.0 / norms) @ counts)


def _hashed(rng: np.random.Generator, n: int, p: int, fields: int) -> sp.csr_matrix:
    cardinalities = np.geomspace(*CARDINALITY, fields).astype(np.int64)
    categories = np.stack([_draw_zipf(rng, c, n) for c in cardinalities], axis=1)  # (n, F)
    keys = (np.arange(fields, dtype=np.uint64) << np.uint64(32)) | categories.astype(np.uint64)
    bits = np.uint64(64 - int(np.log2(p)))
    columns = (keys * HASH_MULTIPLIER) >> bits  # wraps modulo 2⁶⁴: the top log₂p bits
    rows = np.repeat(np.arange(n), fields)
    X = sp.csr_matrix((np.ones(n * fields), (rows, columns.ravel())), shape=(n, p))
    X.sum_duplicates()
    X.data[:] = 1.0
    return X


def _support_scores(X: sp.csr_matrix) -> np.ndarray:
    """Columns by decreasing frequency (number of rows they occur in)."""
    return np.argsort(-np.bincount(X.indices, minlength=X.shape[1]), kind="stable")


def make_sparse_dataset(
    n: int,
    p: int,
    *,
    design: str,
    nnz_per_row: int,
    n_classes: int = 2,
    seed: int = 0,
    n_test: int | None = None,
    n_informative: int = 10,
    signal: float = 2.0,
) -> Dataset:
    """``n`` training and ``n_test`` (default ``min(n // 4, 20_000)``) CSR rows (module
    docstring); ``p`` a power of two for ``design="hashed"``."""
    if design not in DESIGNS:
        raise ValueError(f"unknown sparse design {design!r}; choose from {DESIGNS}")
    if design == "hashed" and p & (p - 1):
        raise ValueError(f"hashed features need p a power of two, got {p}")
    n_test = min(n // 4, 20_000) if n_test is None else n_test
    rng = np.random.default_rng(seed)
    make = _text if design == "text" else _hashed
    X = make(rng, n + n_test, p, nnz_per_row)
    frequent = _support_scores(X)[: min(10 * n_informative, p)]
    k = min(n_informative, len(frequent))
    rows = 1 if n_classes == 2 else n_classes
    beta = np.zeros((rows, p))
    for row in beta:
        support = rng.choice(frequent, size=k, replace=False)
        row[support] = rng.choice([-1.0, 1.0], k) * rng.uniform(0.5, 1.5, k)
    y = draw_labels(rng, np.asarray(X @ beta.T), n_classes, signal)
    return Dataset(X[:n], y[:n], X[n:], y[n:])
