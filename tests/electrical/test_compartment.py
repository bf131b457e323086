"""Compartment fields, validation and the unsolved (exponential Euler) path,
against analytic solutions."""

import math

import numpy as np
import pytest

import moosepy as moose


def test_defaults_units_and_tick():
    c = moose.Compartment('/c')
    assert (c.Rm, c.Cm, c.Ra) == (1.0, 1.0, 1.0)
    assert c.Em == -0.06 and c.initVm == -0.06 and c.Vm == -0.06
    assert c.tick == 3
    assert moose.element('/c').isA['CompartmentBase']
    s = moose.SymCompartment('/s')
    assert s.isA['Compartment']


@pytest.mark.parametrize('field,value', [('Cm', 0.0), ('Cm', -1e-12), ('Rm', 0.0),
                                         ('Rm', -5.0), ('Ra', -1.0), ('Cm', float('nan'))])
def test_bad_values_raise_naming_element(field, value):
    c = moose.Compartment('/cell_a')
    with pytest.raises(moose.FieldError, match='/cell_a'):
        setattr(c, field, value)


def test_single_compartment_charging_is_exact():
    # exponential Euler is exact for a single passive compartment with a
    # constant current: V(t) = Em + I Rm (1 - exp(-t/tau)), even at large dt
    c = moose.Compartment('/c')
    c.Rm, c.Cm, c.Em, c.initVm, c.inject = 1e8, 1e-10, -0.07, -0.07, 1e-10
    tab = moose.Table('/t')
    moose.connect(tab, 'requestOut', c, 'getVm')
    for tick in (3, 8):
        moose.setClock(tick, 1e-3)
    moose.reinit()
    moose.start(0.05)
    tau = 1e8 * 1e-10
    t = np.arange(len(tab.vector)) * 1e-3
    expect = -0.07 + 1e-10 * 1e8 * (1 - np.exp(-t / tau))
    assert np.max(np.abs(tab.vector - expect)) < 1e-12


def test_two_compartments_steady_state():
    # asymmetric message-passing reading: the child's Ra joins it to its parent
    a = moose.Compartment('/a')
    b = moose.Compartment('/b')
    for x in (a, b):
        x.Rm, x.Cm, x.Em, x.initVm = 1e8, 1e-11, -0.07, -0.07
    b.Ra = 1e7
    a.Ra = 5e9   # ignored: a is the parent
    a.inject = 1e-10
    moose.connect(a, 'axial', b, 'raxial')
    moose.setClock(3, 1e-5)
    moose.reinit()
    moose.start(0.05)
    G, g = 1e-8, 1e-7
    M = np.array([[G + g, -g], [-g, G + g]])
    v = np.linalg.solve(M, [G * -0.07 + 1e-10, G * -0.07])
    assert abs(a.Vm - v[0]) < 1e-9 and abs(b.Vm - v[1]) < 1e-9


def test_inject_msg_from_python_send():
    c = moose.Compartment('/c')
    c.Rm, c.Cm, c.Em, c.initVm = 1e8, 1e-11, 0.0, 0.0
    from moosepy.electrical.compartment import deliver
    moose.setClock(3, 1e-5)
    moose.reinit()
    deliver(c._el, 0, 'injectMsg', 2e-10)
    moose.start(1e-5)
    tau = 1e-3
    assert math.isclose(c.Vm, 2e-10 * 1e8 * (1 - math.exp(-1e-5 / tau)), rel_tol=1e-9)


def test_api_electrical_message_rows_connect():
    """Every electrical row of API.md section 2 that this layer owns."""
    a = moose.Compartment('/a')
    b = moose.Compartment('/b')
    moose.connect(a, 'axial', b, 'raxial')
    s1 = moose.SymCompartment('/s1')
    s2 = moose.SymCompartment('/s2')
    moose.connect(s1, 'distal', s2, 'proximal')
    moose.connect(s1, 'sphere', s2, 'cylinder')
    s3 = moose.SymCompartment('/s3')
    moose.connect(s1, 'distal', s3, 'proximal')
    moose.connect(s2, 'sibling', s3, 'sibling')
    na = moose.HHChannel('/a/na')
    moose.connect(na, 'channel', a, 'channel')
    k = moose.HHChannel('/b/k')
    moose.connect(b, 'channel', k, 'channel')          # either direction
    ca = moose.CaConc('/a/ca')
    moose.connect(na, 'IkOut', ca, 'current')
    moose.connect(ca, 'concOut', k, 'concen')
    n = moose.Nernst('/a/n')
    moose.connect(ca, 'concOut', n, 'ci')
    moose.connect(n, 'Eout', na, 'setEk')
    pg = moose.PulseGen('/pg')
    moose.connect(pg, 'output', a, 'injectMsg')
    vc = moose.VClamp('/vc')
    moose.connect(vc, 'currentOut', b, 'injectMsg')
    moose.connect(b, 'VmOut', vc, 'sensedIn')
    t = moose.Table('/t')
    moose.connect(t, 'requestOut', a, 'getVm')
    moose.connect(a, 'VmOut', moose.Table('/t2'), 'input')
    with pytest.raises(moose.MessageError):
        moose.connect(a, 'raxial', b, 'raxial')        # same side twice


def test_symcompartment_link_uses_half_ra_each_side():
    a = moose.SymCompartment('/a')
    b = moose.SymCompartment('/b')
    for x in (a, b):
        x.Rm, x.Cm, x.Em, x.initVm = 1e8, 1e-11, -0.07, -0.07
    a.Ra, b.Ra = 4e7, 2e7          # link (4e7 + 2e7)/2 = 3e7 ohm
    a.inject = 1e-10
    moose.connect(a, 'distal', b, 'proximal')
    moose.setClock(3, 1e-5)
    moose.reinit()
    moose.start(0.05)
    G, g = 1e-8, 1 / 3e7
    v = np.linalg.solve([[G + g, -g], [-g, G + g]], [G * -0.07 + 1e-10, G * -0.07])
    assert abs(a.Vm - v[0]) < 1e-9 and abs(b.Vm - v[1]) < 1e-9


def test_vmout_reaches_a_table_input():
    c = moose.Compartment('/c')
    c.Rm, c.Cm, c.Em, c.initVm, c.inject = 1e8, 1e-10, -0.07, -0.07, 1e-10
    t = moose.Table('/t')
    moose.connect(c, 'VmOut', t, 'input')
    moose.setClock(3, 1e-4)
    moose.reinit()
    moose.start(1e-3)
    assert len(t.vector) == 10 and t.vector[-1] == c.Vm
