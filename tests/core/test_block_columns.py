"""One-entry elements made or copied together hold their numbers as views
of one block per class and dtype (moosepy.core.element): every field must
still behave as the element's own (values kept by a copy, writes seen by
no other element, object fields copied deeply), whatever the class's mix
of float, int, bool and object fields."""

import numpy as np
import pytest

import moosepy as moose
from moosepy.core.fields import registry
from moosepy.core.shell import create_children


def _numeric(el):
    return {n: c for n, c in el.cols.items() if c.dtype != object}


@pytest.mark.parametrize('cname', ['Compartment', 'SpikeGen', 'Pool', 'Table', 'HHChannel',
                                   'Function'])
def test_copies_keep_values_and_stay_independent(cname):
    moose.Neutral('/a')
    moose.Neutral('/b')
    srcs = [getattr(moose, cname)(f'/a/x{i}') for i in range(5)]
    rng = np.random.default_rng(3)
    # give every numeric field of every source its own value
    for h in srcs:
        for n, c in _numeric(h._el).items():
            c[0] = rng.integers(0, 2) if c.dtype == bool else rng.integers(1, 99)
    before = [{n: c.copy() for n, c in _numeric(h._el).items()} for h in srcs]
    moose.copy('/a', '/b')
    copies = [moose.element(f'/b/a/x{i}')._el for i in range(5)]
    for old, new, vals in zip(srcs, copies, before):
        assert list(new.cols) == list(old._el.cols)         # the class's field order
        for n, c in _numeric(new).items():
            assert c.shape == (1,) and c.dtype == vals[n].dtype, n
            assert c[0] == vals[n][0], n
        for n, c in old._el.cols.items():
            if c.dtype == object:
                assert new.cols[n] is not c, n               # a copy, not the same array
    # a write to one element's field reaches no other element
    for k, new in enumerate(copies):
        for n, c in _numeric(new).items():
            c[0] = 0 if c.dtype == bool else 123 + k
    for old, vals in zip(srcs, before):
        for n, c in _numeric(old._el).items():
            assert c[0] == vals[n][0], n
    for k, new in enumerate(copies):
        for n, c in _numeric(new).items():
            assert c[0] == (0 if c.dtype == bool else 123 + k), n


def test_create_children_values_and_defaults():
    par = moose.Neutral('/c')._el
    made = create_children(par, registry['Compartment'], ['p', 'q', 'r'],
                           values={'Rm': np.array([1e9, 2e9, 3e9]),
                                   'length': np.array([1e-6, 2e-6, 3e-6])})
    fresh = moose.Compartment('/fresh')
    for k, h in enumerate(made):
        assert h.Rm == (k + 1) * 1e9 and h.length == (k + 1) * 1e-6
        assert h.Cm == fresh.Cm and h.Em == fresh.Em and h.Vm == fresh.Vm
    made[0].Vm = -0.01
    assert made[1].Vm == fresh.Vm and made[2].Vm == fresh.Vm


def test_a_column_a_solver_replaced_is_copied_by_value():
    """A column that is a view of another array (what a solver puts there)
    is copied by value: the copy does not share the solver's array."""
    moose.Neutral('/d')
    c = moose.Compartment('/d/c')
    c._el.cols['Vm'] = np.array([0.25])[:1]      # a view of another array
    c.Rm = 5e8
    moose.copy('/d', '/', 'e')
    e = moose.element('/e/c')
    assert e.Vm == 0.25 and e.Rm == 5e8
    e.Vm = 0.0
    assert c.Vm == 0.25
