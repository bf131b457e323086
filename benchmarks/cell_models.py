"""Cells built the way MOOSE scripts and rdesigneur build them, written
against the MOOSE python API so the same code runs on pymoose and moosepy.

``build_cell(moose, N)``: a branched cell of ``N`` compartments, one
``Compartment`` element each (a soma, then ``nbranch`` dendrites of equal
length hanging off it, each an unbranched chain), squid Na and K channels
``moose.copy``'d from ``/library`` prototypes into every compartment and
connected with ``channel``, a PulseGen into the soma, Tables on the soma
and on the far end of two dendrites, and an HSolve on the soma (dt 25 us,
every tick 0-9 at that dt).

Units SI: m, ohm, F, S; the HH rates from ``hh_tables`` (1/s).
"""

import numpy as np

from hh_tables import hh_tables

DT = 25e-6


def _fill(gate, ab):
    gate.min, gate.max = -0.1, 0.05
    gate.tableA, gate.tableB = ab
    gate.useInterpolation = True


def make_library(moose):
    """/library/Na and /library/K prototypes (Gbar set per compartment)."""
    tabs = hh_tables()
    if not moose.exists('/library'):
        moose.Neutral('/library')
    na = moose.HHChannel('/library/Na')
    na.Xpower, na.Ypower, na.Ek = 3, 1, 0.050
    k = moose.HHChannel('/library/K')
    k.Xpower, k.Ek = 4, -0.077
    _fill(moose.element('/library/Na/gateX'), tabs['m'])
    _fill(moose.element('/library/Na/gateY'), tabs['h'])
    _fill(moose.element('/library/K/gateX'), tabs['n'])


def build_cell(moose, N, path='/cell', nbranch=8):
    """Build the cell; returns dict(tables=[...], hsolve=..., comps=[...])."""
    if not moose.exists('/library/Na'):
        make_library(moose)
    moose.Neutral(path)
    dx, d = 10e-6, 1e-6
    comps = []

    def comp(name, length, diam):
        c = moose.Compartment(f'{path}/{name}')
        area = np.pi * diam * length
        c.Rm, c.Cm = 1 / (3.0 * area), 0.01 * area
        c.Ra = 0.354 * length / (np.pi * diam * diam / 4)
        c.Em, c.initVm = -0.0543, -0.065
        c.length, c.diameter = length, diam
        for proto, g in (('Na', 1200.0), ('K', 360.0)):
            ch = moose.element(moose.copy('/library/' + proto, c, proto))
            ch.Gbar = g * area
            moose.connect(ch, 'channel', c, 'channel')
        comps.append(c)
        return c

    soma = comp('soma', 20e-6, 20e-6)
    per = (N - 1) // nbranch
    extra = (N - 1) - per * nbranch
    ends = []
    for b in range(nbranch):
        prev = soma
        for i in range(per + (1 if b < extra else 0)):
            c = comp(f'd{b}_{i}', dx, d)
            moose.connect(prev, 'axial', c, 'raxial')
            prev = c
        ends.append(prev)
    pg = moose.PulseGen(f'{path}/stim')
    pg.firstDelay, pg.firstWidth, pg.firstLevel, pg.secondDelay = 1e-3, 5e-3, 2e-9, 1e9
    moose.connect(pg, 'output', soma, 'injectMsg')
    tables = []
    for i, c in enumerate([soma, ends[0], ends[-1]]):
        t = moose.Table(f'{path}/vm{i}')
        moose.connect(t, 'requestOut', c, 'getVm')
        tables.append(t)
    for tick in range(10):
        moose.setClock(tick, DT)
    hs = moose.HSolve(f'{path}/hsolve')
    hs.dt = DT
    hs.target = soma.path
    return {'tables': tables, 'hsolve': hs, 'comps': comps, 'soma': soma}


def dress_swc_cell(moose, path, dt, method=None, soma_leak=False):
    """HH on the soma compartments of the cell read under *path* (Na and K
    copied from /library, 1200 and 360 S/m^2; with *soma_leak* their leak
    becomes 3.5 S/m^2 toward the mean reversal of pas and HH's leak), 0.3 nA
    from 10 to 90 ms into the middle soma compartment, a Table of its Vm and
    an HSolve on it (every tick 0-9 at *dt*).  Returns (table, compartments)."""
    if not moose.exists('/library/Na'):
        make_library(moose)
    comps = moose.wildcardFind(path + '/##[ISA=CompartmentBase]')
    soma = sorted([c for c in comps if c.name.startswith('soma')], key=lambda c: c.name)
    for c in soma:
        area = c.Cm / 0.01
        if soma_leak:
            c.Rm, c.Em = 1 / (3.5 * area), (0.5 * -0.065 + 3.0 * -0.0543) / 3.5
        for proto, gbar in (('Na', 1200.0), ('K', 360.0)):
            ch = moose.element(moose.copy('/library/' + proto, c, proto))
            ch.Gbar = gbar * area
            moose.connect(ch, 'channel', c, 'channel')
    mid = soma[len(soma) // 2]
    pg = moose.PulseGen(path + '/stim')
    pg.firstDelay, pg.firstWidth, pg.firstLevel, pg.secondDelay = 0.010 + dt, 0.080, 3e-10, 1e9
    moose.connect(pg, 'output', mid, 'injectMsg')
    t = moose.Table(path + '/vsoma')
    moose.connect(t, 'requestOut', mid, 'getVm')
    for tick in range(10):
        moose.setClock(tick, dt)
    hs = moose.HSolve(path + '/hsolve')
    hs.dt = dt
    if method is not None:
        hs.method = method
    hs.target = mid.path
    return t, comps
