"""Shared fixtures: every test starts with a clean element tree and default
clocks, and matplotlib draws headless."""

import os

import pytest

os.environ.setdefault('MPLBACKEND', 'Agg')


@pytest.fixture(autouse=True)
def clean_tree():
    from moosepy.core.shell import reset_tree
    reset_tree()
    yield
    reset_tree()
