"""Tests of the TOML job configuration: defaults, merging, and validation errors."""

import pytest
from conftest import write_toml

from jaxlogreg.cli.config import (
    DEFAULT_CONFIG_PATH,
    SCHEMA,
    ConfigError,
    default_config,
    load_config,
    validate_config,
)


def test_shipped_default_file_matches_builtin_defaults():
    assert DEFAULT_CONFIG_PATH.is_file()
    assert load_config(DEFAULT_CONFIG_PATH) == default_config()


def test_builtin_defaults():
    config = default_config()
    assert config["data"] == {
        "dataset": "breast_cancer",
        "test_size": 0.25,
        "seed": 0,
        "standardize": True,
        "offset": "",
    }
    assert config["model"]["penalty"] == "l2"
    assert config["model"]["tol"] == 1e-6
    assert config["output"] == {"dir": "", "top_coefficients": 15}


def test_every_default_satisfies_its_own_schema():
    assert validate_config(default_config()) == default_config()
    assert set(default_config()) == set(SCHEMA)


def test_empty_file_gives_defaults(tmp_path):
    assert load_config(write_toml(tmp_path, "")) == default_config()


def test_given_keys_override_and_others_keep_defaults(tmp_path):
    path = write_toml(tmp_path, '[data]\ndataset = "wine"\n[model]\nC = 0.5\nmax_iter = 20\n')
    config = load_config(path)
    assert config["data"]["dataset"] == "wine"
    assert config["data"]["test_size"] == 0.25
    assert config["model"]["C"] == 0.5
    assert config["model"]["max_iter"] == 20
    assert config["model"]["penalty"] == "l2"


def test_int_is_accepted_where_a_float_is_expected(tmp_path):
    config = load_config(write_toml(tmp_path, "[model]\nC = 2\n"))
    assert config["model"]["C"] == 2.0
    assert type(config["model"]["C"]) is float


def test_unknown_key_names_key_section_and_file(tmp_path):
    path = write_toml(tmp_path, "[model]\nlearning_rate = 0.1\n")
    with pytest.raises(ConfigError, match="unknown key 'learning_rate' in \\[model\\]") as error:
        load_config(path)
    assert str(path) in str(error.value)
    assert "'max_iter'" in str(error.value)


def test_unknown_section(tmp_path):
    with pytest.raises(ConfigError, match=r"unknown section \[training\]"):
        load_config(write_toml(tmp_path, "[training]\nepochs = 3\n"))


def test_section_that_is_not_a_table(tmp_path):
    with pytest.raises(ConfigError, match=r"\[data\] must be a table"):
        load_config(write_toml(tmp_path, "data = 1.0\n"))


def test_wrong_type_names_key_expected_type_and_file(tmp_path):
    path = write_toml(tmp_path, '[model]\nC = "1.0"\n')
    with pytest.raises(ConfigError) as error:
        load_config(path)
    message = str(error.value)
    assert "'model.C'" in message
    assert "float" in message
    assert str(path) in message


@pytest.mark.parametrize(
    ("text", "key", "expected"),
    [
        ("[data]\nseed = true\n", "data.seed", "int"),
        ("[model]\nmax_iter = 10.0\n", "model.max_iter", "int"),
        ("[model]\nC = false\n", "model.C", "float"),
        ("[data]\nstandardize = 1\n", "data.standardize", "bool"),
        ("[output]\ndir = 3\n", "output.dir", "str"),
    ],
)
def test_bool_int_float_and_str_are_told_apart(tmp_path, text, key, expected):
    with pytest.raises(ConfigError, match=f"'{key}' must be of type {expected}"):
        load_config(write_toml(tmp_path, text))


@pytest.mark.parametrize(
    ("text", "key", "allowed"),
    [
        ('[data]\ndataset = "mnist"\n', "data.dataset", "'digits'"),
        ('[model]\npenalty = "l3"\n', "model.penalty", "'none'"),
        ('[model]\nsolver = "simplex"\n', "model.solver", "'newton'"),
        ('[model]\nmulti_class = "softmax"\n', "model.multi_class", "'ovr'"),
    ],
)
def test_bad_choice_lists_allowed_values(tmp_path, text, key, allowed):
    with pytest.raises(ConfigError, match=f"'{key}' must be one of") as error:
        load_config(write_toml(tmp_path, text))
    assert allowed in str(error.value)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[data]\ntest_size = 1.5\n", "data.test_size"),
        ("[data]\ntest_size = 0\n", "data.test_size"),
        ("[model]\nC = -1.0\n", "model.C"),
        ("[model]\ntol = 0.0\n", "model.tol"),
        ("[model]\nmax_iter = 0\n", "model.max_iter"),
        ("[output]\ntop_coefficients = 0\n", "output.top_coefficients"),
    ],
)
def test_out_of_range_values(tmp_path, text, key):
    with pytest.raises(ConfigError, match=f"'{key}' must be"):
        load_config(write_toml(tmp_path, text))


def test_invalid_toml(tmp_path):
    path = write_toml(tmp_path, "[model\nC = 1\n")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_config(path)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "absent.toml")


def test_config_error_is_a_value_error():
    assert issubclass(ConfigError, ValueError)


def test_list_of_floats(tmp_path):
    config = load_config(write_toml(tmp_path, "[cv]\nl1_ratios = [0, 0.5, 1]\n"))
    assert config["cv"]["l1_ratios"] == (0.0, 0.5, 1.0)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0.5", "must be of type list of float"),
        ('[0.5, "a"]', "must be of type list of float"),
        ("[0.5, 2.0]", "between 0 and 1"),
        ("[]", "non-empty"),
    ],
)
def test_bad_list_of_floats(tmp_path, value, message):
    with pytest.raises(ConfigError, match=message):
        load_config(write_toml(tmp_path, f"[cv]\nl1_ratios = {value}\n"))
