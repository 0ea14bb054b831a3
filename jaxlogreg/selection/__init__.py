"""How hyperparameters are chosen: folds, paths, cross-validation and hypergradient tuning."""
