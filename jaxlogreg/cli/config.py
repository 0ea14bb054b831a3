"""Job configuration: a declarative TOML schema, its defaults, and validation."""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..core.constraints import MULTINOMIAL_L1
from ..solvers import SOLVERS
from .datasets import BUILTIN_DATASETS

Config = dict[str, dict[str, Any]]

DEFAULT_CONFIG_PATH = Path(__file__).resolve().parents[2] / "configs" / "default.toml"


class ConfigError(ValueError):
    """A configuration file that cannot be read or does not match the schema."""


@dataclass(frozen=True)
class Rule:
    """A constraint on a value, described in words for error messages."""

    description: str
    holds: Callable[[Any], bool]


@dataclass(frozen=True)
class Option:
    """One configuration key: its type, its default, and optional allowed values or rule.

    With `item`, the value is a list (read as a tuple) whose elements have type `item`; `choices`
    and `rule` then apply to the whole tuple. With `convert`, the value is `convert(value)`
    instead, which raises a ValueError describing what is expected.
    """

    type: type
    default: Any
    choices: tuple[Any, ...] | None = None
    rule: Rule | None = None
    item: type | None = None
    convert: Callable[[Any], Any] | None = None


def penalty_factor_option(value: Any) -> tuple[float, ...] | str:
    """`model.penalty_factor`: a list of non-negative numbers (empty: none), or the path of a
    .npy file holding them (read by `penalty_factors`)."""
    if isinstance(value, str):
        if not value.endswith(".npy"):
            raise ValueError(f"a path to a .npy file, got {value!r}")
        return value
    numbers = isinstance(value, list | tuple) and all(_has_type(v, float) for v in value)
    if not numbers or any(v < 0 for v in value):
        raise ValueError(
            "a list of non-negative numbers, one per feature (0: unpenalized), or the path "
            f"of a .npy file holding them; got {value!r}"
        )
    return tuple(float(v) for v in value)


def bound_option(sign: int) -> Callable[[Any], float | tuple[float, ...]]:
    """The converter of `model.lower_bounds` (`sign` −1) or `model.upper_bounds` (`sign` 1): a
    number (every coefficient), a list of numbers (one per feature) or `[]` (no bound), each
    on the side of 0 that keeps zero feasible (glmnet's `lower.limits` ≤ 0 ≤ `upper.limits`;
    TOML's `-inf` / `inf`: no bound)."""
    side = "<= 0" if sign < 0 else ">= 0"

    def convert(value: Any) -> float | tuple[float, ...]:
        values = value if isinstance(value, list | tuple) else [value]
        numbers = all(_has_type(v, float) for v in values)
        if not numbers or any(np.isnan(v) or sign * v < 0 for v in values):
            raise ValueError(
                f"a number {side} (for every coefficient), a list of numbers {side} (one per "
                f"feature; -inf / inf: no bound) or [] (no bounds); got {value!r}"
            )
        if not isinstance(value, list | tuple):
            return float(value)
        return tuple(float(v) for v in value)

    return convert


POSITIVE = Rule("> 0", lambda value: value > 0)
AT_LEAST_ONE = Rule(">= 1", lambda value: value >= 1)
FRACTION = Rule("strictly between 0 and 1", lambda value: 0 < value < 1)
UNIT_INTERVAL = Rule("between 0 and 1", lambda value: 0 <= value <= 1)
UNIT_INTERVAL_LIST = Rule(
    "a non-empty list of numbers between 0 and 1",
    lambda values: len(values) > 0 and all(0 <= value <= 1 for value in values),
)

SCHEMA: dict[str, dict[str, Option]] = {
    "data": {
        "dataset": Option(str, "breast_cancer", choices=BUILTIN_DATASETS),
        "test_size": Option(float, 0.25, rule=FRACTION),
        "seed": Option(int, 0),
        "standardize": Option(bool, True),
        "offset": Option(str, ""),
    },
    "model": {
        "penalty": Option(str, "l2", choices=("l2", "l1", "elasticnet", "none")),
        "C": Option(float, 1.0, rule=POSITIVE),
        "l1_ratio": Option(float, 0.5, rule=UNIT_INTERVAL),
        "solver": Option(str, "auto", choices=("auto", *SOLVERS)),
        "multi_class": Option(str, "auto", choices=("auto", "multinomial", "ovr")),
        "max_iter": Option(int, 100, rule=AT_LEAST_ONE),
        "tol": Option(float, 1e-6, rule=POSITIVE),
        "penalty_factor": Option(tuple, (), convert=penalty_factor_option),
        "standardize": Option(bool, False),
        "lower_bounds": Option(tuple, (), convert=bound_option(-1)),
        "upper_bounds": Option(tuple, (), convert=bound_option(1)),
        "multinomial_l1": Option(str, "ungrouped", choices=MULTINOMIAL_L1),
    },
    "path": {
        "n_lambdas": Option(int, 100, rule=AT_LEAST_ONE),
        "lambda_min_ratio": Option(float, 1e-3, rule=FRACTION),
        "l1_ratio": Option(float, 1.0, rule=UNIT_INTERVAL),
        "tol": Option(float, 1e-6, rule=POSITIVE),
    },
    "cv": {
        "n_Cs": Option(int, 20, rule=AT_LEAST_ONE),
        "l1_ratios": Option(tuple, (0.5,), rule=UNIT_INTERVAL_LIST, item=float),
        "folds": Option(int, 5, rule=Rule(">= 2", lambda value: value >= 2)),
        "scoring": Option(str, "neg_log_loss", choices=("neg_log_loss", "accuracy", "roc_auc")),
        "select": Option(str, "min", choices=("min", "1se")),
        "tol": Option(float, 1e-4, rule=POSITIVE),
    },
    "out_of_core": {
        "chunk_rows": Option(int, 65536, rule=AT_LEAST_ONE),
        "solver": Option(str, "newton", choices=("newton", "lbfgs", "sgd", "adam")),
        "max_iter": Option(int, 100, rule=AT_LEAST_ONE),
        "tol": Option(float, 1e-6, rule=POSITIVE),
    },
    "tune": {
        "folds": Option(int, 5, rule=Rule(">= 2", lambda value: value >= 2)),
        "lambda_init": Option(float, 0.01, rule=POSITIVE),
        "steps": Option(int, 40, rule=AT_LEAST_ONE),
        "learning_rate": Option(float, 0.2, rule=POSITIVE),
        "l1_ratio": Option(float, 0.0, rule=UNIT_INTERVAL),
        "penalty_factors": Option(bool, False),
        "n_grid": Option(int, 30, rule=Rule(">= 2", lambda value: value >= 2)),
        "grid_lambda_min": Option(float, 1e-5, rule=POSITIVE),
        "grid_lambda_max": Option(float, 1.0, rule=POSITIVE),
        "tol": Option(float, 1e-8, rule=POSITIVE),
    },
    "features": {
        "polynomial_degree": Option(int, 1, rule=AT_LEAST_ONE),
    },
    "compilation": {
        "cache": Option(bool, True),
        "cache_dir": Option(str, ""),
    },
    "output": {
        "dir": Option(str, ""),
        "top_coefficients": Option(int, 15, rule=AT_LEAST_ONE),
    },
}


def default_config() -> Config:
    """The configuration that an empty TOML file gives."""
    return {
        section: {key: option.default for key, option in options.items()}
        for section, options in SCHEMA.items()
    }


def job_config(path: Path | None) -> tuple[Config, str]:
    """The validated config and where it came from: `path`, the shipped default, or built-ins."""
    if path is not None:
        return load_config(path), str(path)
    if DEFAULT_CONFIG_PATH.is_file():
        return load_config(DEFAULT_CONFIG_PATH), str(DEFAULT_CONFIG_PATH)
    return default_config(), "built-in defaults"


def load_config(path: str | Path) -> Config:
    """Read and validate a TOML configuration file; missing keys take their defaults."""
    path = Path(path)
    try:
        with path.open("rb") as file:
            raw = tomllib.load(file)
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from None
    return validate_config(raw, source=str(path))


def validate_config(raw: Mapping[str, Any], source: str = "<config>") -> Config:
    """Check `raw` against SCHEMA and merge it over the defaults."""
    config = default_config()
    for section, values in raw.items():
        if section not in SCHEMA:
            raise ConfigError(
                f"{source}: unknown section [{section}]; expected one of {_listing(SCHEMA)}"
            )
        if not isinstance(values, Mapping):
            raise ConfigError(f"{source}: [{section}] must be a table of keys")
        for key, value in values.items():
            options = SCHEMA[section]
            if key not in options:
                raise ConfigError(
                    f"{source}: unknown key '{key}' in [{section}]; "
                    f"expected one of {_listing(options)}"
                )
            config[section][key] = _checked(value, options[key], f"{section}.{key}", source)
    return config


def _checked(value: Any, option: Option, name: str, source: str) -> Any:
    """Return `value` converted to the option's type, or raise ConfigError naming the key."""
    if option.convert is not None:
        try:
            return option.convert(value)
        except ValueError as error:
            raise ConfigError(f"{source}: '{name}' must be {error}") from None
    if option.item is None:
        valid, expected = _has_type(value, option.type), option.type.__name__
    else:
        valid = isinstance(value, list | tuple) and all(_has_type(v, option.item) for v in value)
        expected = f"list of {option.item.__name__}"
    if not valid:
        raise ConfigError(
            f"{source}: '{name}' must be of type {expected}, got {type(value).__name__} {value!r}"
        )
    value = option.type(value) if option.item is None else tuple(map(option.item, value))
    if option.choices is not None and value not in option.choices:
        raise ConfigError(
            f"{source}: '{name}' must be one of {_listing(option.choices)}, got {value!r}"
        )
    if option.rule is not None and not option.rule.holds(value):
        raise ConfigError(f"{source}: '{name}' must be {option.rule.description}, got {value!r}")
    return value


def penalty_factors(config: Config, feature_names: tuple[str, ...]) -> np.ndarray | None:
    """The `model.penalty_factor` of `config` for these features (the fitted columns): `None`
    when empty, else `(p,)` (read from the .npy file it names), checked against the features."""
    value = config["model"]["penalty_factor"]
    if isinstance(value, str):
        try:
            factors = np.load(value, allow_pickle=False)
        except (OSError, ValueError) as error:
            raise ConfigError(f"model.penalty_factor: cannot read {value}: {error}") from None
    elif not value:
        return None
    else:
        factors = np.asarray(value)
    if factors.shape != (len(feature_names),):
        shown = ", ".join(feature_names[:8]) + (", ..." if len(feature_names) > 8 else "")
        raise ConfigError(
            f"model.penalty_factor must have one number per feature ({len(feature_names)}: "
            f"{shown}), got shape {factors.shape}"
        )
    if not np.all(np.isfinite(factors)) or np.any(factors < 0):
        raise ConfigError("model.penalty_factor must hold finite, non-negative numbers")
    return factors.astype(np.float64)


#: The [model] keys of glmnet's options, taken by the `fit`, `cv` and `path` jobs.
GLMNET_MODEL_KEYS = (
    "penalty_factor",
    "standardize",
    "lower_bounds",
    "upper_bounds",
    "multinomial_l1",
)


def refuse_glmnet_options(config: Config, job: str) -> None:
    """A `ConfigError` naming the fix when `config` sets a [model] key of glmnet's options
    (`GLMNET_MODEL_KEYS`) that the job `job` does not take: nothing set is silently ignored."""
    model = config["model"]
    given = [key for key in GLMNET_MODEL_KEYS if model[key] != SCHEMA["model"][key].default]
    if given:
        keys = ", ".join(f"model.{key}" for key in given)
        raise ConfigError(
            f"{job} does not take {keys}: remove {'it' if len(given) == 1 else 'them'} from the "
            "config, or run `jaxlogreg fit`, `jaxlogreg cv` or `jaxlogreg path`, which do"
        )


def constraint_options(config: Config, feature_names: tuple[str, ...]) -> dict[str, Any]:
    """`lower_bounds`, `upper_bounds` and `multinomial_l1` of `config["model"]` as the estimators
    and `regularization_path` take them (`None`: no bound; a list: checked to have one number per
    feature of the fitted columns)."""
    model = config["model"]
    options = {"multinomial_l1": model["multinomial_l1"]}
    for name in ("lower_bounds", "upper_bounds"):
        value = model[name]
        if value == ():  # no bound
            options[name] = None
            continue
        if isinstance(value, tuple) and len(value) != len(feature_names):
            raise ConfigError(
                f"model.{name} must be a number or have one number per feature "
                f"({len(feature_names)}), got {len(value)}"
            )
        options[name] = np.asarray(value) if isinstance(value, tuple) else value
    return options


def _has_type(value: Any, expected: type) -> bool:
    """isinstance, except that bool is not a number and an int is accepted as a float."""
    if isinstance(value, bool):
        return expected is bool
    if expected is float:
        return isinstance(value, int | float)
    return isinstance(value, expected)


def _listing(names: Any) -> str:
    return ", ".join(repr(name) for name in names)
