"""Fuzzing: random shapes, dtypes, weights, labels and hyperparameters thrown at every entry point
(``LogisticRegression``, ``LogisticRegressionCV``, ``regularization_path``, ``fit`` and the
least-squares estimators, then ``predict``/``predict_proba``).

The only outcomes allowed for an example are:

- a fit whose coefficients, predictions and probabilities are finite (probabilities sum to 1,
  predictions are among the classes), warnings allowed; or
- a documented exception: ``ValueError`` (including ``NumericalError`` and ``NotFittedError``) or
  ``TypeError``, raised by jaxlogreg or scikit-learn's input validation, never from inside JAX.

Anything else fails: another exception type, an exception escaping from JAX's internals, NaN or
infinity in a result, a crash of the process, or a hang: each example runs in a worker process
that must answer within ``JAXLOGREG_FUZZ_TIMEOUT`` seconds (default 120).

Default run: ``JAXLOGREG_FUZZ_EXAMPLES`` examples (default 16). Long run, e.g.::

    JAXLOGREG_FUZZ_EXAMPLES=10000 python -m pytest tests/test_fuzz.py -m fuzz -s

or ``python tests/test_fuzz.py --examples 10000`` (progress on stdout). One example, in-process
with its traceback: ``python tests/test_fuzz.py --seed SEED``.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import subprocess
import sys
import tempfile
import time
import traceback
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = int(os.environ.get("JAXLOGREG_FUZZ_EXAMPLES", "16"))
LONG_EXAMPLES = int(os.environ.get("JAXLOGREG_FUZZ_EXAMPLES", "1000"))
TIMEOUT = float(os.environ.get("JAXLOGREG_FUZZ_TIMEOUT", "120"))
SEED = int(os.environ.get("JAXLOGREG_FUZZ_SEED", "0"))
DOCUMENTED = (ValueError, TypeError)
ROOT = Path(__file__).resolve().parent.parent

# A small set of shapes keeps the number of compiled programs (the slow part) bounded.
N_SAMPLES, N_FEATURES, N_TEST = (3, 30), (1, 4), 5


# --- random examples ------------------------------------------------------------------------


def _pick(rng, options, weights=None):
    weights = None if weights is None else np.asarray(weights, float) / np.sum(weights)
    return options[rng.choice(len(options), p=weights)]


def _design(rng, n: int, p: int) -> np.ndarray:
    X = rng.normal(size=(n, p)) * _pick(rng, [1.0, 1e-6, 1e6, 1e-30, 1e30], [8, 1, 1, 0.5, 0.5])
    faults = ["none", "duplicate", "constant", "identical", "nan", "inf", "big"]
    fault = _pick(rng, faults, [10, 1, 1, 1, 0.3, 0.3, 0.3])
    if fault == "duplicate" and p > 1:
        X[:, -1] = X[:, 0]
    elif fault == "constant":
        X[:, rng.integers(p)] = rng.normal()
    elif fault == "identical":
        X[:] = X[0]
    elif fault in ("nan", "inf"):
        X[rng.integers(n), rng.integers(p)] = np.nan if fault == "nan" else -np.inf
    elif fault == "big":
        X[rng.integers(n), rng.integers(p)] = 1e300
    return X


def _as_dtype(rng, X: np.ndarray):
    kinds = ["float64", "float32", "float16", "int", "bool", "object", "sparse"]
    kind = _pick(rng, kinds, [10, 2, 1, 1, 1, 1, 1])
    with np.errstate(all="ignore"):
        if kind in ("float32", "float16"):
            return X.astype(kind)
        if kind == "int":
            return np.nan_to_num(X, posinf=1e9, neginf=-1e9).clip(-1e9, 1e9).astype(np.int64)
        if kind == "bool":
            return X > 0
    if kind == "object":
        return X.astype(object)
    if kind == "sparse":
        import scipy.sparse

        return scipy.sparse.csr_matrix(np.where(np.abs(X) < 0.5, 0.0, X))
    return X


def _labels(rng, X, n_classes: int):
    n = X.shape[0]
    score = np.nan_to_num(np.asarray(X, np.float64)[:, 0], nan=0.0, posinf=1, neginf=-1)
    mode = _pick(rng, ["signal", "random", "separable", "imbalanced"])
    if mode == "separable":
        y = np.digitize(score, np.quantile(score, np.linspace(0, 1, n_classes + 1)[1:-1]))
    elif mode == "imbalanced":
        y = np.zeros(n, int)
        y[rng.integers(n)] = 1
    else:
        noise = rng.normal(size=n) * (1.0 if mode == "signal" else 1e6)
        y = np.digitize(score + noise, np.linspace(-1, 1, n_classes - 1) if n_classes > 1 else [])
    y = np.minimum(y, n_classes - 1)
    names = _pick(rng, ["int", "str", "float", "bool", "nan"], [6, 2, 1, 1, 0.2])
    if names == "str":
        return np.array(["ant", "bee", "cat", "dog"])[y]
    if names == "float":
        return y * 0.5 - 1.0
    if names == "bool" and n_classes <= 2:
        return y.astype(bool)
    if names == "nan":
        y = y.astype(float)
        y[0] = np.nan
    return y


def _weights(rng, n: int):
    kind = _pick(rng, ["none", "ones", "random", "zeros", "int", "bad"], [5, 1, 2, 1, 1, 0.5])
    if kind == "ones":
        return np.ones(n)
    if kind == "random":
        return rng.uniform(0.01, 10.0, n)
    if kind == "zeros":
        w = rng.uniform(0.0, 2.0, n)
        w[rng.random(n) < 0.5] = 0.0
        return w
    if kind == "int":
        return rng.integers(0, 4, n)
    if kind == "bad":
        return _pick(rng, [-np.ones(n), np.zeros(n), np.full(n, np.nan), np.ones(n + 1)])
    return None


def make_example(seed: int) -> dict:
    """The example of ``seed``: what to call, with which data and hyperparameters."""
    rng = np.random.default_rng(seed)
    target = _pick(
        rng,
        ["logistic", "cv", "path", "fit", "linear", "ridge", "lasso", "elasticnet"],
        [5, 1, 2, 2, 1, 1, 1, 1],
    )
    # Data, weights, labels and run-time hyperparameters vary freely; what compiles a new program
    # (shape, solver, fit_intercept, max_iter, precision) varies one at a time from a plain
    # setting, so that the programs of a long run are compiled once and reused.
    variant = _pick(rng, ["plain", "solver", "no_intercept", "float32", "short"], [85, 6, 3, 3, 3])
    n, p = (_pick(rng, N_SAMPLES), _pick(rng, N_FEATURES)) if variant == "plain" else (30, 4)
    X = _design(rng, n, p)
    y = _labels(rng, X, _pick(rng, [1, 2, 3], [0.2, 6, 2]))
    example = dict(
        seed=seed,
        target=target,
        X=_as_dtype(rng, X),
        y=y,
        sample_weight=_weights(rng, n),
        X_test=rng.normal(size=(N_TEST, p)),
        x64=variant != "float32",
    )
    solvers = ["newton", "lbfgs", "cd", "prox", "irls", "gd", "cg", "bfgs", "newton-cg", "adam"]
    solver = _pick(rng, [*solvers, "sgd", "bogus"], [3, 3, 3, 2] + [0.5] * 6 + [0.1, 0.1])
    solver = solver if variant == "solver" else "auto"
    max_iter = 3 if variant == "short" else _pick(rng, [100, 0], [50, 1])
    fit_intercept = variant != "no_intercept"
    tol = _pick(rng, [1e-4, 1e-8, 0.0], [8, 2, 0.2])
    if target in ("logistic", "cv"):
        penalty = _pick(rng, ["l2", "l1", "elasticnet", None, "bogus"], [5, 2, 2, 2, 0.2])
        params = dict(
            penalty=penalty,
            solver=solver,
            max_iter=max_iter,
            tol=tol,
            multi_class=_pick(rng, ["auto", "multinomial", "ovr", "bogus"], [10, 2, 2, 0.2]),
            fit_intercept=fit_intercept,
            class_weight=_pick(rng, [None, "balanced"], [4, 1]),
        )
        if target == "logistic":
            params["C"] = _pick(
                rng, [1.0, 1e-4, 1e4, np.inf, 0.0, -1.0, np.nan], [6, 1, 1, 1] + [0.3] * 3
            )
            if penalty == "elasticnet" or rng.random() < 0.1:
                params["l1_ratio"] = _pick(rng, [0.5, 0.0, 1.0, 1.5, None])
        else:
            params["penalty"] = penalty if penalty is not None else "l2"
            params["Cs"] = _pick(rng, [2, [0.1, 10.0], [1.0, -1.0]], [4, 2, 0.2])
            params["cv"] = _pick(rng, [2, 1], [20, 1])
            if penalty == "elasticnet":
                params["l1_ratios"] = _pick(rng, [[0.5], [0.0, 1.0], [2.0]], [3, 1, 0.2])
    elif target == "path":
        params = dict(
            l1_ratio=_pick(rng, [0.0, 0.5, 1.0, -0.5], [3, 2, 2, 0.2]),
            solver=solver,
            tol=tol if tol > 0 else 1e-7,
            multi_class=_pick(rng, ["auto", "multinomial", "ovr"]),
            fit_intercept=fit_intercept,
        )
        if rng.random() < 0.3:
            grids = [[1.0, 0.1, 0.01], [0.1, 0.01, 0.0], [0.5, 1.0, 0.1], [1.0, -1.0, 0.0]]
            params["lambdas"] = _pick(rng, grids, [3, 3, 1, 0.3])
        else:
            params["n_lambdas"] = 3
    elif target == "fit":
        params = dict(
            lam=_pick(rng, [0.1, 1e-3, 0.0, 10.0, -1.0, np.nan], [4, 2, 2, 1, 0.2, 0.2]),
            l1_ratio=_pick(rng, [0.0, 0.5, 1.0, 2.0], [4, 2, 2, 0.2]),
            loss=_pick(rng, ["binary", "multinomial", "squared", "bogus"], [4, 2, 2, 0.2]),
            solver=solver,
            max_iter=max(max_iter, 1),
            fit_intercept=fit_intercept,
        )
    else:
        params = dict(fit_intercept=fit_intercept)
        if target != "linear":
            params["alpha"] = _pick(rng, [1.0, 1e-3, 0.0, 1e3, -1.0], [4, 2, 1, 1, 0.2])
        if target in ("lasso", "elasticnet"):
            params.update(max_iter=max_iter, tol=tol, solver=solver)
        if target == "elasticnet":
            params["l1_ratio"] = _pick(rng, [0.5, 0.0, 1.0, 1.5], [4, 1, 1, 0.2])
    l1 = params.get("penalty") in ("l1", "elasticnet") or target == "lasso"
    l1 = l1 or (target != "logistic" and (params.get("l1_ratio") or 0) > 0)
    if target == "fit" and params["solver"] == "auto":  # fit has no "auto": the estimators' choice
        params["solver"] = "cd" if l1 else "newton"
    if l1 and params.get("solver") not in (None, "auto", "cd", "prox") and rng.random() < 0.8:
        params["solver"] = _pick(rng, ["cd", "prox"])  # mostly a solver that can do L1
    example["params"] = params
    return example


# --- running one example ------------------------------------------------------------------------


class Failure(AssertionError):
    """An outcome that is not allowed."""


def _finite(name: str, *arrays) -> None:
    for a in arrays:
        if not np.all(np.isfinite(np.asarray(a, np.float64))):
            raise Failure(f"{name} holds NaN or infinity")


def _check_classifier(model, X_test) -> None:
    _finite("coef_/intercept_", model.coef_, model.intercept_)
    proba = model.predict_proba(X_test)
    _finite("predict_proba", proba)
    if np.any(proba < 0) or np.any(proba > 1) or not np.allclose(proba.sum(1), 1, atol=1e-5):
        raise Failure("predict_proba is not a probability distribution")
    if not np.isin(model.predict(X_test), model.classes_).all():
        raise Failure("predict returned a label that is not a class")


def _call(example: dict) -> None:
    import jaxlogreg

    target, params = example["target"], example["params"]
    X, y, w, X_test = example["X"], example["y"], example["sample_weight"], example["X_test"]
    if target == "path":
        result = jaxlogreg.regularization_path(X, y, sample_weight=w, **params)
        _finite("path coef/intercept/objective", result.coef, result.intercept, result.objective)
    elif target == "fit":
        loss = params["loss"]
        t = np.asarray(y)
        if loss == "multinomial":
            classes, index = np.unique(t, return_inverse=True)
            t = np.eye(len(classes))[index]
        result = jaxlogreg.fit(X, t, sample_weight=w, **params)
        _finite("fit coef/intercept/objective", result.coef, result.intercept, result.objective)
    elif target in ("logistic", "cv"):
        cls = (
            jaxlogreg.LogisticRegression if target == "logistic" else jaxlogreg.LogisticRegressionCV
        )
        _check_classifier(cls(**params).fit(X, y, sample_weight=w), X_test)
    else:
        cls = {
            "linear": jaxlogreg.LinearRegression,
            "ridge": jaxlogreg.Ridge,
            "lasso": jaxlogreg.Lasso,
            "elasticnet": jaxlogreg.ElasticNet,
        }[target]
        model = cls(**params).fit(X, y, sample_weight=w)
        _finite("coef_/intercept_/predict", model.coef_, model.intercept_, model.predict(X_test))


def _from_jax_internals(error: BaseException) -> bool:
    """Whether the exception was raised inside JAX (a leak, not a validation error)."""
    frames = traceback.extract_tb(error.__traceback__)
    return bool(frames) and any(
        f"{os.sep}{pkg}{os.sep}" in frames[-1].filename for pkg in ("jax", "jaxlib")
    )


def run_example(example: dict) -> dict:
    """Run one example and classify its outcome: ``ok``, ``error`` (documented) or ``fail``."""
    import jax

    start = time.perf_counter()
    outcome, detail = "ok", ""
    try:
        with jax.enable_x64(example["x64"]), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _call(example)
    except Failure as failure:
        outcome, detail = "fail", str(failure)
    except DOCUMENTED as error:
        outcome = "fail" if _from_jax_internals(error) else "error"
        detail = f"{type(error).__name__}: {error}"[:300]
        if outcome == "fail":
            detail = "raised inside JAX: " + detail
    except Exception as error:  # any other exception type is a failure
        outcome, detail = "fail", f"{type(error).__name__}: {error}"[:300]
    return dict(
        seed=example["seed"],
        target=example["target"],
        outcome=outcome,
        detail=detail,
        seconds=round(time.perf_counter() - start, 3),
    )


# --- the worker process and its watchdog -------------------------------------------------------


def _over_map_budget() -> bool:
    """Whether this process holds more than 60% of the kernel's limit of memory mappings.

    Every compiled program keeps mappings for its machine code; a long run compiles thousands,
    and at ``vm.max_map_count`` (65,530 by default) the compiler aborts (as the test suite's
    ``conftest.py`` explains). The worker then releases its compiled programs.
    """
    try:
        with open("/proc/self/maps") as maps, open("/proc/sys/vm/max_map_count") as limit:
            return sum(1 for _ in maps) > 0.6 * int(limit.read())
    except OSError:  # not Linux: no such limit to watch
        return False


def worker() -> None:
    """Read seeds from stdin, answer one JSON line per example on stdout."""
    import jax

    for count, line in enumerate(sys.stdin, 1):
        print(json.dumps(run_example(make_example(int(line)))), flush=True)
        if count % 25 == 0 and _over_map_budget():
            jax.clear_caches()


class Watchdog:
    """Runs examples in a worker process; no answer within ``timeout`` seconds is a hang, a dead
    worker is a crash (the worker is restarted either way)."""

    def __init__(self, timeout: float):
        self.timeout = timeout
        self.process = None
        self.stderr = tempfile.TemporaryFile()

    def _start(self) -> None:
        env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            text=True,
            env=env,
            cwd=ROOT,
        )

    def _stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def run(self, seed: int) -> dict:
        if self.process is None:
            self._start()
        self.process.stdin.write(f"{seed}\n")
        self.process.stdin.flush()
        ready, _, _ = select.select([self.process.stdout], [], [], self.timeout)
        line = self.process.stdout.readline() if ready else ""
        if line:
            return json.loads(line)
        code = self.process.poll()
        self._stop()
        if code is None and not ready:
            return dict(seed=seed, outcome="fail", detail=f"hang: no answer in {self.timeout:g} s")
        self.stderr.seek(0)
        tail = self.stderr.read().decode(errors="replace")[-300:]
        return dict(seed=seed, outcome="fail", detail=f"crash (exit code {code}): {tail}")

    def close(self) -> None:
        self._stop()
        self.stderr.close()


def fuzz(n_examples: int, seed: int = SEED, timeout: float = TIMEOUT, log=None) -> list[dict]:
    """Run ``n_examples`` examples from ``seed`` on; return the failures (and log progress)."""
    watchdog = Watchdog(timeout)
    failures, outcomes, start = [], Counter(), time.perf_counter()
    try:
        for i in range(n_examples):
            result = watchdog.run(seed + i)
            outcomes[result["outcome"]] += 1
            if result["outcome"] == "fail":
                failures.append(result)
            if log is not None and (result["outcome"] == "fail" or (i + 1) % 100 == 0):
                elapsed = time.perf_counter() - start
                print(f"[{i + 1}/{n_examples} {elapsed:.0f}s {dict(outcomes)}] {result}", file=log)
                log.flush()
    finally:
        watchdog.close()
    if log is not None:
        elapsed = time.perf_counter() - start
        print(f"done: {n_examples} examples in {elapsed:.0f} s: {dict(outcomes)}", file=log)
    return failures


def _report(failures: list[dict]) -> str:
    lines = [f"seed {f['seed']}: {f['detail']}" for f in failures[:20]]
    return "\n".join([*lines, "reproduce one with: python tests/test_fuzz.py --seed SEED"])


# --- tests ----------------------------------------------------------------------------------------


def test_examples_are_reproducible_and_varied():
    first, again = make_example(SEED + 7), make_example(SEED + 7)
    np.testing.assert_array_equal(np.asarray(first["y"]), np.asarray(again["y"]))
    assert first["params"] == again["params"]
    targets = Counter(make_example(s)["target"] for s in range(200))
    assert set(targets) == {
        "logistic",
        "cv",
        "path",
        "fit",
        "linear",
        "ridge",
        "lasso",
        "elasticnet",
    }


def test_fuzz():
    failures = fuzz(EXAMPLES)
    assert not failures, _report(failures)


@pytest.mark.slow
@pytest.mark.fuzz
def test_fuzz_long():
    failures = fuzz(LONG_EXAMPLES, seed=SEED + 1_000_000, log=sys.stdout)
    assert not failures, _report(failures)


def test_the_watchdog_reports_a_hang_and_a_crash():
    watchdog = Watchdog(timeout=0.01)  # far less than the worker takes to start
    try:
        assert watchdog.run(SEED)["detail"].startswith("hang: no answer in 0.01 s")
        watchdog.timeout = TIMEOUT
        assert watchdog.run(-1)["detail"].startswith("crash")  # a negative seed kills the worker
    finally:
        watchdog.close()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, help="run this one example in-process")
    parser.add_argument("--examples", type=int, default=LONG_EXAMPLES)
    parser.add_argument("--first-seed", type=int, default=SEED + 1_000_000)
    args = parser.parse_args(argv)
    if args.worker:
        worker()
        return 0
    if args.seed is not None:
        example = make_example(args.seed)
        print({k: v for k, v in example.items() if k not in ("X", "y", "X_test")})
        import jax

        with jax.enable_x64(example["x64"]):
            _call(example)
        print("ok")
        return 0
    failures = fuzz(args.examples, seed=args.first_seed, log=sys.stdout)
    print(_report(failures) if failures else "no failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
