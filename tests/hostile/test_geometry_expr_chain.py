"""Issue 15, item 2: the rdesigner geometry expressions (passiveDistrib,
chanDistrib, chemDistrib, Neuron.valuesFromExpression) are evaluated
without recursion.  The parser reads a chain of binary operators
('1*1*...*1') in a loop, but the tree it makes is as deep as the chain is
long; the recursive evaluator ended such a spec in Python's RecursionError
once the chain passed ~1000 terms.  Also '!1' (not of a constant) ended in
an AttributeError."""

import math
import sys
import time

import pytest

import moosepy as moose
from moosepy.rdesigner.geometry import Expr

from hostile_files import TIME_LIMIT


@pytest.fixture(autouse=True)
def _clean():
    for p in ('/model', '/library'):
        if moose.exists(p):
            moose.delete(p)
    yield
    for p in ('/model', '/library'):
        if moose.exists(p):
            moose.delete(p)


def test_chain_of_100000_terms_evaluates():
    n = 100_000
    assert sys.getrecursionlimit() < n
    t0 = time.perf_counter()
    assert Expr('+'.join(['p'] * n)).scalar(p=1.5) == 1.5 * n
    assert Expr('-'.join(['1'] * n)).scalar() == 1 - (n - 1)
    assert Expr('*'.join(['1'] * n)).scalar() == 1.0
    assert time.perf_counter() - t0 < TIME_LIMIT


def test_not_of_a_constant():
    assert Expr('!1').scalar() == 0.0
    assert Expr('!0').scalar() == 1.0
    assert Expr('not 0 ? 2 : 3').scalar() == 2.0


def test_spec_with_a_long_chain_builds():
    """RM = 1*1*...*1 (5000 factors): the soma's Rm is RM / its area, as
    with RM = 1."""
    import moosepy.rdesigner as rd
    r = rd.rdesigneur(cellProto=[['ballAndStick', 'cell', 10e-6, 10e-6, 2e-6, 100e-6, 4]],
                      passiveDistrib=[['#', 'RM', '*'.join(['1'] * 5000)]])
    r.buildModel()
    soma = moose.element('/model/elec/soma')
    assert soma.Rm == pytest.approx(1 / (soma.length * soma.diameter * math.pi), rel=1e-12)
