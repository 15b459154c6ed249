"""Runs the examples in the package's docstrings."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "newstally.grouped",
    "newstally.memory",
    "newstally",
    "newstally.entities",
    "newstally.readers",
    "newstally.stats",
    "newstally.tokenize",
    "newstally.vectorizers",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    failures, tried = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert failures == 0
    assert tried > 0 or name == "newstally.stats"
