"""Coordinate descent on a sparse design: the residual form reads each column through
``columns.column_step`` (columns padded to a static width, one loop per width class); it must
reach the dense residual form's solution, whatever the columns' lengths."""

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import scipy.sparse as sp  # noqa: E402

from jaxlogreg.core.columns import (  # noqa: E402
    class_order,
    column_classes,
    column_step,
    columns,
)
from jaxlogreg.core.design import SparseDesign  # noqa: E402
from jaxlogreg.engine.functional import make_problem  # noqa: E402
from jaxlogreg.losses import BINARY, MULTINOMIAL  # noqa: E402
from jaxlogreg.solvers import CoordinateDescent, iterative_solve  # noqa: E402
from jaxlogreg.solvers._sweeps import coordinate_descent, per_output  # noqa: E402

TOL = 1e-11


def uneven_csr(n=150, p=30, seed=0):
    """Columns of every length: full, dense-ish, a few values, one value, and empty ones."""
    rng = np.random.default_rng(seed)
    densities = np.concatenate([[1.0, 0.7, 0.4], np.geomspace(0.25, 0.01, p - 5), [0.0, 0.0]])
    mask = rng.random((n, p)) < densities
    mask[rng.integers(n), p - 3] = True  # a column of one value
    X = np.where(mask, rng.standard_normal((n, p)), 0.0)
    return sp.csr_matrix(X)


def targets(X, K, seed=1):
    rng = np.random.default_rng(seed)
    n, p = X.shape
    W = np.zeros((max(K, 1), p))
    W[:, :6] = rng.standard_normal((max(K, 1), 6))
    Z = X @ W.T + 0.2 * rng.standard_normal((n, max(K, 1)))
    if K == 1:
        return (rng.random(n) < 1 / (1 + np.exp(-Z[:, 0]))).astype(float)[:, None]
    return np.eye(K)[np.argmax(Z + rng.gumbel(size=Z.shape), axis=1)]


def problem(X, T, *, lam, l1_ratio, grouped=False):
    n, p = X.shape
    loss = BINARY if T.shape[1] == 1 else MULTINOMIAL
    return make_problem(
        X,
        jnp.asarray(T),
        jnp.ones(n),
        lam,
        l1_ratio,
        jnp.ones(p),
        loss=loss,
        fit_intercept=True,
        grouped=grouped,
    )


def design(X):
    return SparseDesign.from_csr(X.data, X.indices, X.indptr, X.shape, max_row_nnz=X.shape[1])


@jax.jit
def residual_cd(problem):
    solution = iterative_solve(
        CoordinateDescent(form="residual"), problem, problem.zeros(), max_iter=100, tol=TOL
    )
    return solution.coef, solution.kkt_violation


@pytest.mark.parametrize("K", [1, 3])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_sparse_coordinate_descent_equals_the_dense_one(K, l1_ratio):
    X = uneven_csr()
    T = targets(X.toarray(), K)
    kwargs = dict(lam=0.01, l1_ratio=l1_ratio)
    sparse_coef, sparse_kkt = residual_cd(problem(design(X), T, **kwargs))
    dense_coef, dense_kkt = residual_cd(problem(jnp.asarray(X.toarray()), T, **kwargs))
    assert sparse_kkt <= TOL and dense_kkt <= TOL
    assert np.count_nonzero(dense_coef[:, :-1]) > 3  # some features enter, some do not
    assert np.any(dense_coef[:, :-1] == 0)
    np.testing.assert_allclose(sparse_coef, dense_coef, atol=1e-8, rtol=0)
    np.testing.assert_array_equal(sparse_coef[:, -3:-1], 0.0)  # the empty columns


def test_grouped_sparse_coordinate_descent_equals_the_dense_one():
    X = uneven_csr(seed=2)
    T = targets(X.toarray(), 3, seed=3)
    kwargs = dict(lam=0.01, l1_ratio=0.8, grouped=True)
    sparse_coef, sparse_kkt = residual_cd(problem(design(X), T, **kwargs))
    dense_coef, dense_kkt = residual_cd(problem(jnp.asarray(X.toarray()), T, **kwargs))
    assert sparse_kkt <= TOL and dense_kkt <= TOL
    zero_columns = np.all(dense_coef[:, :-1] == 0, axis=0)
    assert 0 < np.sum(zero_columns) < X.shape[1]
    np.testing.assert_allclose(sparse_coef, dense_coef, atol=1e-8, rtol=0)


@pytest.mark.parametrize("fit_intercept", [False, True])
def test_column_step_reads_each_column_at_its_width(fit_intercept):
    X = uneven_csr(n=70, p=12, seed=4)
    D = design(X)
    A = X.toarray()
    if fit_intercept:
        A = np.hstack([A, np.ones((70, 1))])
    sparse_columns = columns(D, fit_intercept)
    n_classes, by_class = column_classes(sparse_columns)
    classes = sparse_columns.width_class
    np.testing.assert_array_equal(by_class.order, np.argsort(classes, kind="stable"))
    np.testing.assert_array_equal(
        by_class.ends, np.cumsum(np.bincount(classes, minlength=n_classes))
    )
    lengths = np.count_nonzero(A, axis=0)
    widths = np.asarray(sparse_columns.widths)[np.asarray(classes)]
    assert n_classes == len(sparse_columns.widths) > 1
    assert np.all(lengths <= widths) and np.all((widths == widths.min()) | (widths < 2 * lengths))
    R = np.random.default_rng(5).standard_normal((70, 2))

    def solve(rows, a, R_rows):
        return a @ R_rows, 3.0 * a[:, None] * jnp.ones(2)

    for j in range(A.shape[1]):
        dot, updated = column_step(sparse_columns, j, jnp.asarray(R), solve, int(classes[j]))
        np.testing.assert_allclose(dot, A[:, j] @ R, atol=1e-12)
        np.testing.assert_allclose(updated, R + 3.0 * A[:, j][:, None], atol=1e-12)


def test_column_lengths_do_not_change_the_compiled_program():
    """The width classes depend on the shapes only: designs of one shape and one number of
    stored values, whatever their columns' lengths, share one compiled solve."""
    n, p, nnz = 120, 25, 600
    rng = np.random.default_rng(6)
    T = targets(np.zeros((n, p)), 1)
    flat = [rng.choice(n * p, nnz, replace=False), rng.choice(n * 5, nnz, replace=False)]
    residual_cd.clear_cache()
    for positions in flat:  # spread over all columns, then all in the first five
        X = sp.csr_matrix((rng.standard_normal(nnz), np.unravel_index(positions, (n, p))), (n, p))
        X.sort_indices()
        residual_cd(problem(design(X), T, lam=0.01, l1_ratio=1.0))
    assert residual_cd._cache_size() == 1


def test_sweeps_visit_neither_fixed_coordinates_nor_leave_the_class_order():
    """A sweep visits the movable coordinates once each, class by class in the order of
    ``classes`` (stable); fixed ones never."""
    classes = jnp.asarray([2, 0, 1, 0, 2, 1, 0, 1])
    fixed = jnp.asarray([False, True, False, False, True, False, False, False])

    def update(i, old, visits):  # minimizes nothing: records the order of the visits
        return old, visits.at[jnp.sum(visits >= 0)].set(i.astype(visits.dtype)), jnp.zeros(())

    visits = -jnp.ones(16, jnp.int32)
    theta = jnp.zeros(8)
    updates = tuple(update for _ in range(3))
    by_class = class_order(classes, 3)
    _, visits, sweeps = coordinate_descent(updates, theta, visits, 1.0, 1, by_class, fixed)
    assert int(sweeps) == 1
    np.testing.assert_array_equal(np.asarray(visits)[:6], [3, 6, 2, 5, 7, 0])
    assert np.all(np.asarray(visits)[6:] == -1)


@pytest.mark.parametrize("K", [1, 3])
def test_classes_per_output_are_a_stable_sort_of_the_repeated_labels(K):
    """Coefficient ``i = k·d + j`` takes column ``j``'s class; the order extended to ``K``
    outputs is the stable sort of those labels, empty classes included."""
    labels = np.asarray([2, 0, 4, 0, 2, 4, 0, 4, 4])  # classes 1 and 3 empty
    extended = per_output(class_order(jnp.asarray(labels), 5), K)
    repeated = np.tile(labels, K)
    np.testing.assert_array_equal(extended.order, np.argsort(repeated, kind="stable"))
    np.testing.assert_array_equal(extended.ends, np.cumsum(np.bincount(repeated, minlength=5)))


def test_a_vectorized_check_visits_only_the_coordinates_that_move():
    """With ``moves`` (every coordinate's would-be change at once) coordinate descent reaches
    the minimizer of a lasso model ``gᵀθ + ½θᵀHθ + w‖θ‖₁`` that full sweeps reach, and that
    proximal gradient reaches independently, with fewer updates: a zero coordinate that would
    not move is never visited."""
    rng = np.random.default_rng(7)
    B = rng.standard_normal((600, 300))
    H = jnp.asarray(B.T @ B / 600)
    g = jnp.asarray(B.T @ rng.standard_normal(600) / 600)
    w, h = 0.5 * float(jnp.max(jnp.abs(g))), jnp.diag(H)

    def minimizer(i, old, q):
        return jnp.sign(h[i] * old - q) * jnp.maximum(jnp.abs(h[i] * old - q) - w, 0.0) / h[i]

    def update(i, old, aux):
        q, visits = aux
        new = minimizer(i, old, q[i])
        return new, (q + H[i] * (new - old), visits + 1), h[i] * jnp.abs(new - old)

    def moves(theta, aux):
        return h * jnp.abs(minimizer(slice(None), theta, aux[0]) - theta)

    start, aux = jnp.zeros(300), (g, jnp.zeros((), jnp.int32))
    full, (_, full_visits), _ = coordinate_descent(update, start, aux, 1e-13, 1000)
    checked, (_, visits), _ = coordinate_descent(update, start, aux, 1e-13, 1000, moves=moves)
    theta, step = np.zeros(300), 1.0 / float(jnp.linalg.eigvalsh(H)[-1])
    for _ in range(20_000):  # proximal gradient, the reference
        z = theta - step * (np.asarray(g) + np.asarray(H) @ theta)
        theta = np.sign(z) * np.maximum(np.abs(z) - step * w, 0.0)
    assert 0 < np.count_nonzero(theta) < 100
    np.testing.assert_allclose(checked, theta, atol=1e-10, rtol=0)
    np.testing.assert_allclose(full, theta, atol=1e-10, rtol=0)
    assert int(visits) < int(full_visits) / 2


def test_the_inner_solve_stops_at_a_tenth_of_the_outer_tolerance(monkeypatch):
    """Near the solution the inexact-Newton level ``√opt·opt`` falls far below the outer ``tol``;
    the sweeps then stop at ``tol/10`` instead (``OUTER_TOL_FRACTION``), and the fit still
    meets ``tol``."""
    from jaxlogreg.solvers import coordinate

    levels = []

    def recorded(update, theta, aux, tol, *args, **kwargs):
        jax.debug.callback(lambda t: levels.append(float(t)), tol)
        return coordinate_descent(update, theta, aux, tol, *args, **kwargs)

    monkeypatch.setattr(coordinate, "coordinate_descent", recorded)
    X = uneven_csr(n=300, p=40)
    lasso = problem(design(X), targets(X, 1), lam=0.02, l1_ratio=1.0)
    outer = 1e-8

    @jax.jit
    def fit(lasso):
        method = CoordinateDescent(form="residual")
        return iterative_solve(method, lasso, lasso.zeros(), max_iter=100, tol=outer)

    solution = fit(lasso)
    jax.effects_barrier()
    assert bool(solution.converged) and float(solution.kkt_violation) <= outer
    assert len(levels) >= 2
    assert min(levels) == pytest.approx(coordinate.OUTER_TOL_FRACTION * outer, rel=1e-12)


def test_layout_of_a_padded_design_with_more_padding_values_than_rows_per_column():
    """A padded design repeats explicit zeros in its last row (``engine.shapes``): with few
    columns a column holds more stored values than rows; its layout sums them and still holds
    ``[X | 1]``."""
    from jaxlogreg.engine.shapes import bucket_rows, padded_sparse_design

    X = sp.csr_matrix(np.array([[1.0, 0.0], [0.0, 2.0], [3.0, 4.0]]))
    D = padded_sparse_design(X, bucket_rows(X))
    assert D.data.shape[0] > D.shape[0] * D.shape[1]  # more stored values than cells
    A = columns(D, True)
    dense = np.zeros((D.shape[0], 3))
    for j, width_class in enumerate(np.asarray(A.width_class)):
        start, width = int(A.start[j]), A.widths[width_class]
        np.add.at(
            dense[:, j], np.asarray(A.rows[start : start + width]), A.values[start : start + width]
        )
    expected = np.hstack([X.toarray(), np.ones((3, 1))])
    np.testing.assert_allclose(dense[:3], expected)
    np.testing.assert_allclose(
        dense[3:], np.hstack([np.zeros((D.shape[0] - 3, 2)), np.ones((D.shape[0] - 3, 1))])
    )
