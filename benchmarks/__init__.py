"""The benchmark suite: jaxlogreg against its peers on workloads W1–W7 (dense) and S1–S4, S1-l1
(sparse), one common objective.

Layout:

- ``workloads``: the registry of problems (sizes, penalties, targets); ``data`` and
  ``sparse_data``: their deterministic synthetic data (dense; CSR shaped like text and
  click-through sets); ``spec``: what adapters are asked and what they answer;
- ``adapters``: one module per library (jaxlogreg, scikit-learn, python-glmnet, glum, skglm,
  statsmodels), each converting the problem to the library's parametrization;
- ``objective``: the ONE objective (glmnet convention, NumPy) every result is scored with;
- ``measure``: warm-up, median time, compile time, peak memory; ``suite``/``worker``: running rows
  (one process each by default); ``score``: gaps, ratios, targets; ``report``: JSON, Markdown
  and plot; ``readme``: the README sections;
- ``solver_table``: jaxlogreg's own solvers against each other on bundled datasets.

Run ``python -m benchmarks --help``.
"""
