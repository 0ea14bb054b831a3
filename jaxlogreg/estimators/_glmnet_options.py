"""Options for glmnet and glum users: standardization and penalty factors.

``standardize=True`` fits on the columns ``xⱼ/σⱼ`` and reports ``βⱼ = β̃ⱼ/σⱼ`` on the original
scale, glmnet's ``standardize = TRUE``: the penalty then weighs ``σⱼ βⱼ``. ``σⱼ`` is the
weighted (``1/Σs``, not ``1/(n − 1)``) standard deviation of column ``j``,

    σⱼ² = Σᵢ s̃ᵢ (xᵢⱼ − x̄ⱼ)²,    x̄ⱼ = Σᵢ s̃ᵢ xᵢⱼ,    s̃ = s / Σs

(``s`` the sample weights times the class weights), with or without an intercept, as glmnet
(``jaxlogreg.core.standardization``, shared with ``regularization_path`` and the inference).
A column with ``σⱼ = 0`` (constant) is left as it is: under a penalty its coefficient is ``0``.

Penalty factors ``ϖ`` (``penalty_factor``) multiply ``λ`` per feature, as given: glmnet
rescales its ``penalty.factor`` to sum to ``p``, so ``λ_ours · ϖⱼ = λ_glmnet · ϖⱼ · p / Σϖ``.
"""

from __future__ import annotations

from ..core.standardization import feature_scales, scale_columns

__all__ = ["feature_scales", "scale_columns"]
