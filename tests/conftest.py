"""Shared fixtures: every test starts with a clean element tree and default
clocks, and matplotlib draws headless."""

import os

import pytest

os.environ.setdefault('MPLBACKEND', 'Agg')
# no background AOT compile at the exit of the tests or of the processes
# they start (moosepy.jit.auto_warmup; tests/test_auto_warmup.py tests it)
os.environ['MOOSEPY_AUTO_WARMUP'] = '0'


@pytest.fixture(autouse=True)
def clean_tree():
    from moosepy.core.shell import reset_tree
    reset_tree()
    yield
    reset_tree()
