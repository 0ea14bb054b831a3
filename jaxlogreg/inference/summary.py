"""The coefficient table of a Wald inference, as text and as a pandas DataFrame."""

from __future__ import annotations

import numpy as np

__all__ = ["Summary"]

_COV_NAMES = {
    "nonrobust": "nonrobust (inverse information)",
    "HC0": "HC0 (sandwich)",
    "HC1": "HC1 (sandwich, n/(n-k))",
    "cluster": "cluster-robust",
}


def _number(value: float, width: int = 10) -> str:
    """Right-aligned, 4 significant digits, ``—`` for NaN."""
    if not np.isfinite(value):
        return "—".rjust(width) if np.isnan(value) else f"{value}".rjust(width)
    return f"{value:.4g}".rjust(width) if abs(value) < 1e5 else f"{value:.3e}".rjust(width)


class Summary:
    """Coefficients, standard errors, ``z``, two-sided p-values and intervals by feature name.

    ``str(summary)`` is the text table; ``summary.frame`` the same as a DataFrame (needs pandas),
    indexed by feature, or by ``(class, feature)`` for several equations. ``summary.inference``
    holds every number (``jaxlogreg.inference.Inference``).
    """

    def __init__(self, inference, level: float = 0.95):
        self.inference = inference
        self.level = level
        self._interval = inference.conf_int(level)  # validates level

    def _columns(self) -> dict[str, np.ndarray]:
        inf, low = self.inference, (1 - self.level) / 2
        return {
            "coef": inf.params,
            "std err": inf.bse,
            "z": inf.zvalues,
            "P>|z|": inf.pvalues,
            f"[{low:.4g}": self._interval[..., 0],
            f"{1 - low:.4g}]": self._interval[..., 1],
        }

    @property
    def frame(self):
        """The table as a ``pandas.DataFrame``."""
        try:
            import pandas as pd
        except ImportError:  # pragma: no cover - pandas is installed with the test extras
            raise ImportError("Summary.frame needs pandas: pip install pandas") from None
        inf = self.inference
        columns = {k: v.ravel() for k, v in self._columns().items()}
        if len(inf.equations) == 1:
            index = pd.Index(inf.feature_names, name="feature")
        else:
            index = pd.MultiIndex.from_product(
                [inf.equations, inf.feature_names], names=["class", "feature"]
            )
        return pd.DataFrame(columns, index=index)

    def _header(self) -> list[str]:
        inf = self.inference
        if inf.parametrization == "binary":
            model = f"binary logit: log-odds of {inf.equations[0]!r} vs {inf.reference!r}"
        elif inf.parametrization == "reference":
            model = f"multinomial logit, reference class {inf.reference!r}"
        elif inf.parametrization == "full":
            model = "multinomial logit, class-centred (full softmax) coefficients"
        else:
            model = f"one-vs-rest: {len(inf.equations)} binary logits"
        pairs = [
            ("Observations", f"{inf.nobs:.10g}"),
            ("Log-likelihood", f"{inf.llf:.6g}"),
            ("Parameters", f"{inf.n_params}"),
            ("Null log-likelihood", f"{inf.llnull:.6g}"),
            ("Pseudo R² (McFadden)", f"{inf.prsquared:.4f}"),
            ("LLR p-value", f"{inf.llr_pvalue:.4g}"),
            ("AIC", f"{inf.aic:.6g}"),
            ("BIC", f"{inf.bic:.6g}"),
            ("Deviance", f"{inf.deviance:.6g}"),
            ("Covariance", _COV_NAMES[inf.cov_type]),
        ]
        cells = [f"{k + ':':<22}{v:<17}" for k, v in pairs]
        rows = [" ".join(cells[i : i + 2]).rstrip() for i in range(0, len(cells), 2)]
        return [f"Logistic regression ({model})", *rows]

    def as_text(self) -> str:
        inf = self.inference
        columns = self._columns()
        name_width = max(12, *(len(n) for n in inf.feature_names)) + 2
        rule = "=" * (name_width + 11 * len(columns))
        head = " " * name_width + "".join(k.rjust(11) for k in columns)
        lines = [*self._header(), rule]
        for r, equation in enumerate(inf.equations):
            if len(inf.equations) > 1:
                vs = f" vs {inf.reference!r}" if inf.parametrization == "reference" else ""
                lines.append(f"class {equation!r}{vs}")
            lines += [head, "-" * len(rule)]
            for j, name in enumerate(inf.feature_names):
                values = "".join(" " + _number(v[r, j]) for v in columns.values())
                lines.append(f"{name:<{name_width}}{values}")
        lines.append(rule)
        return "\n".join(lines + self._notes())

    def _notes(self) -> list[str]:
        inf = self.inference
        notes = []
        if inf.penalized:
            notes.append(
                "The fit is penalized: standard errors describe the penalized estimator around "
                "its biased mean; p-values and intervals are not valid inference."
            )
        if inf.separated.any():
            rows, cols = np.nonzero(inf.separated)
            names = sorted({inf.feature_names[j] for j in cols})
            classes = sorted({str(inf.equations[r]) for r in rows})
            notes.append(
                f"Separation: the estimates of {', '.join(names)}"
                + (f" (classes {', '.join(classes)})" if len(inf.equations) > 1 else "")
                + " are infinite; their standard errors are not reported (—)."
            )
        if inf.parametrization == "full":
            notes.append(
                "Full softmax parametrization: the covariance is singular (rank (K-1)·d); z "
                "tests each class against the average over classes."
            )
        return [f"Note: {note}" for note in notes]

    def __str__(self) -> str:
        return self.as_text()

    def __repr__(self) -> str:
        return self.as_text()
