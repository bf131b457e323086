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


_COMP_FIELDS = ('Vm', 'Cm', 'Em', 'Rm', 'Ra', 'initVm', 'inject', 'diameter', 'length',
                'x0', 'y0', 'z0', 'x', 'y', 'z')


def _fields(h):
    return {n: getattr(h, n) for n in _COMP_FIELDS}


def test_lazy_batch_read_written_copied():
    """Compartments made together keep their values in their batch's block
    until a column is asked for; reads, writes, a column a solver replaced
    and copies of lazy, materialised and mixed batches all give each
    element its own values."""
    from moosepy.core.element import one_entry_table
    par = moose.Neutral('/lz')._el
    n = 6
    made = create_children(par, registry['Compartment'], [f'c{i}' for i in range(n)],
                           values={'Rm': np.arange(1, n + 1) * 1e9,
                                   'x': np.arange(n) * 1e-6})
    assert all(h._el._lazy is not None for h in made)
    made[2].Em = -0.07                              # through the field: now its own views
    assert made[2]._el._lazy is None and made[3]._el._lazy is not None
    made[4]._el.cols['Vm'] = np.array([0.5, 9.0])[:1]   # a solver's view
    assert list(made[2]._el.cols) == list(registry['Compartment']._columns)
    want = [_fields(h) for h in made]
    assert want[2]['Em'] == -0.07 and want[4]['Vm'] == 0.5 and want[5]['Rm'] == 6e9
    assert want[3]['Em'] == want[1]['Em'] != -0.07
    # the others' fields were read through the field API: lazy ones made
    # their columns then; make a fresh batch to copy while still lazy
    made2 = create_children(par, registry['Compartment'], [f'd{i}' for i in range(n)],
                            values={'Rm': np.arange(1, n + 1) * 2e9})
    made2[1].x0 = 3e-6
    lazy_before = [h._el._lazy is not None for h in made2]
    assert lazy_before == [True, False, True, True, True, True]
    tab = one_entry_table([h._el for h in made + made2], ('Rm', 'x0', 'Vm', 'Em'))
    assert [h._el._lazy is not None for h in made2] == lazy_before     # read, not made
    moose.Neutral('/lz2')
    moose.copy('/lz', '/lz2')           # (made2 still lazy but d1)
    assert [h._el._lazy is not None for h in made2] == lazy_before
    exp = np.array([[h.Rm, h.x0, h.Vm, h.Em] for h in made + made2])
    assert np.array_equal(tab, exp)
    want2 = [_fields(h) for h in made2]
    assert want2[1]['x0'] == 3e-6 and want2[4]['Rm'] == 10e9
    for tag, w in (('c', want), ('d', want2)):
        copies = [moose.element(f'/lz2/lz/{tag}{i}') for i in range(n)]
        assert [_fields(h) for h in copies] == w
        copies[0].Vm = 1.25                          # a copy's write is its own
        assert moose.element(f'/lz/{tag}0').Vm == w[0]['Vm']
        assert copies[1].Vm == w[1]['Vm']
    # a copy of a copy (lazy from lazy) and the original written after
    made2[3].Rm = 7.0
    moose.copy('/lz2/lz', '/', 'lz3')
    assert moose.element('/lz3/d3').Rm == want2[3]['Rm'] and moose.element('/lz3/c0').Vm == 1.25
    assert moose.element('/lz3/d0').Rm == 2e9 and moose.element('/lz2/lz/d0').Rm == 2e9
