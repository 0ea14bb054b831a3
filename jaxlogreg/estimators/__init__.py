"""The scikit-learn face: estimators, their checks, attributes and warnings."""
