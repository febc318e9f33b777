"""``seqlab.training`` exports the public names of its submodules, loading them lazily."""

import importlib
import subprocess
import sys

import seqlab.training as training


def test_exports_match_each_submodule_all() -> None:
    expected: dict[str, str] = {}
    for sub in ("checkpoint", "clipping", "losses", "regularizers", "trainer"):
        module = importlib.import_module(f"seqlab.training.{sub}")
        expected.update(dict.fromkeys(module.__all__, sub))
    assert training._EXPORTS == expected
    assert sorted(training.__all__) == sorted(expected)
    for name, sub in expected.items():
        assert getattr(training, name) is getattr(
            importlib.import_module(f"seqlab.training.{sub}"), name)


def test_unknown_name_is_an_attribute_error() -> None:
    try:
        training.no_such_name  # noqa: B018
    except AttributeError as err:
        assert "no_such_name" in str(err)
    else:
        raise AssertionError("expected AttributeError")


def test_cli_help_does_not_import_torch() -> None:
    code = ("import sys; from seqlab.cli import build_parser; build_parser(); "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
