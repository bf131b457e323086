"""The compiled path of unsolved compartments and HHChannels
(moosepy.electrical.eesolve): closed sets of them are stepped by one kernel
and reinitialised in bulk.  Oracles: the per-element Python path
(``eesolve.ENABLED = False``, the same scheme object by object) and
pymoose 5.0.0 (side venv) for an unsolved branched cell and for the
2243-compartment NeuroML CA1 whose /library prototype MOOSE keeps stepping
beside the HSolve copy."""

import re
import shutil
from pathlib import Path

import numpy as np
import pytest

import moosepy as moose
from moosepy.core.clock import _plan
from moosepy.core.errors import SolverError
from moosepy.core.shell import reset_tree
from moosepy.electrical import eesolve

from side_pymoose import run_both


@pytest.fixture(autouse=True)
def _fresh():
    reset_tree()
    eesolve.ENABLED = True
    yield
    eesolve.ENABLED = True


# a soma and two 4-compartment dendrites; squid Na (m^3 h) and K (n^4) on
# every compartment, an instant gate on one; inject as a field (no message)
_CELL = r'''
import numpy as np
def build(moose, path='/cell', sym=False, dt=25e-6):
    moose.Neutral(path)
    v = np.linspace(-0.1, 0.05, 151) * 1e3 + 65.0
    with np.errstate(divide='ignore', invalid='ignore'):
        am = np.where(np.abs(25 - v) < 1e-9, 1.0, 0.1 * (25 - v) / (np.exp((25 - v) / 10) - 1))
        an = np.where(np.abs(10 - v) < 1e-9, 0.1, 0.01 * (10 - v) / (np.exp((10 - v) / 10) - 1))
    bm, ah, bh = 4 * np.exp(-v / 18), 0.07 * np.exp(-v / 20), 1 / (np.exp((30 - v) / 10) + 1)
    bn = 0.125 * np.exp(-v / 80)
    cls = moose.SymCompartment if sym else moose.Compartment
    comps = []
    def comp(name, length, diam, parent):
        c = cls(path + '/' + name)
        area = np.pi * diam * length
        c.Rm, c.Cm, c.Ra = 1 / (3.0 * area), 0.01 * area, 1.0 * length / (np.pi * diam ** 2 / 4)
        c.Em, c.initVm = -0.0543, -0.065
        c.length, c.diameter = length, diam
        for name2, g, ek, gates in (('Na', 1200.0, 0.05, ((3, am, bm), (1, ah, bh))),
                                    ('K', 360.0, -0.077, ((4, an, bn),))):
            ch = moose.HHChannel(c.path + '/' + name2)
            ch.Ek, ch.Gbar = ek, g * area
            ch.Xpower = gates[0][0]
            if len(gates) > 1:
                ch.Ypower = gates[1][0]
            for gname, (_, a, b) in zip(('gateX', 'gateY'), gates):
                gate = moose.element(ch.path + '/' + gname)
                gate.min, gate.max = -0.1, 0.05
                gate.tableA, gate.tableB = a * 1e3, (a + b) * 1e3
            moose.connect(ch, 'channel', c, 'channel')
        if parent is not None:
            if sym:
                moose.connect(parent, 'distal', c, 'proximal')
            else:
                moose.connect(parent, 'axial', c, 'raxial')
        comps.append(c)
        return c
    soma = comp('soma', 20e-6, 20e-6, None)
    for b in range(2):
        p = soma
        for k in range(4):
            p = comp('d%d_%d' % (b, k), 20e-6, 1.5e-6 - 0.3e-6 * b, p)
    soma.inject = 2e-10
    moose.element(path + '/d1_0/K').instant = 1
    for t in range(10):
        moose.setClock(t, dt)
    tabs = []
    for i, (c, f) in enumerate(((comps[-1], 'getVm'), (soma, 'getVm'), (comps[4], 'getIm'),
                                (moose.element(soma.path + '/Na'), 'getGk'),
                                (moose.element(path + '/d0_2/K'), 'getX'))):
        t = moose.Table(path + '/tab%d' % i)
        moose.connect(t, 'requestOut', c, f)
        tabs.append(t)
    return comps, tabs
'''
exec(_CELL)


def _traces(tabs):
    return [np.array(t.vector) for t in tabs]


def _run(enabled, runtime=0.03, **kw):
    reset_tree()
    eesolve.ENABLED = enabled
    comps, tabs = build(moose, **kw)       # noqa: F821 (from _CELL)
    moose.reinit()
    moose.start(runtime)
    return comps, tabs, _traces(tabs)


def _close(a, b, rel=1e-9):
    for x, y in zip(a, b):
        assert x.shape == y.shape
        assert np.max(np.abs(x - y)) <= rel * max(np.ptp(x), 1e-30), np.max(np.abs(x - y))


@pytest.mark.parametrize('sym', [False, True])
def test_compiled_equals_per_element_path(sym):
    """30 ms of a spiking 9-compartment cell: the kernel's traces (Vm, Im,
    Gk, a gate state) equal the per-element path's to 1e-12 of their range
    (the same operations; numba's and numpy's exp and pow may differ in the
    last bit).  The set is taken: one solver, nothing Python-stepped."""
    builds = eesolve.STATS['builds']
    comps, tabs, got = _run(True, sym=sym)
    assert eesolve.STATS['builds'] == builds + 1
    solvers, samplers, python = _plan()
    assert [e.path for _, e in solvers] == ['/cell/soma'] and not python
    assert len(samplers) == 5
    _c, _t, ref = _run(False, sym=sym)
    assert ref[1].max() > 0.0                    # spikes
    _close(ref, got, 1e-12)


def test_values_set_between_runs_and_second_reinit():
    """Gbar, inject and a gate state set between starts act at once; a
    second reinit restarts from initVm without compiling again."""
    def script(enabled):
        comps, tabs, _ = _run(enabled, runtime=0.01)
        moose.element('/cell/soma/Na').Gbar *= 0.5
        comps[3].inject = 5e-11
        moose.element('/cell/d0_1/K').X = 0.9
        moose.start(0.01)
        first = _traces(tabs)
        n = eesolve.STATS['builds']
        comps[0].initVm = -0.07
        moose.reinit()
        moose.start(0.01)
        assert eesolve.STATS['builds'] == n
        return first + _traces(tabs) + [np.array([c.Vm for c in comps])]
    got = script(True)
    ref = script(False)
    _close(ref, got, 1e-12)


def test_structure_change_between_runs_hands_back():
    """A PulseGen joined to a member after a run: the set is no longer
    closed and goes back to the per-element path, from the values its
    fields hold, exactly where it stood."""
    def script(enabled):
        comps, tabs, _ = _run(enabled, runtime=0.01)
        pg = moose.PulseGen('/pg')
        pg.firstLevel, pg.firstDelay, pg.firstWidth = 1e-10, 0.002, 0.005
        moose.connect(pg, 'output', comps[5], 'injectMsg')
        moose.start(0.01)
        if enabled:
            assert 'ee' not in comps[5]._element().data
            assert any(e.path == '/cell/soma' for _, e in _plan()[2])
        return _traces(tabs)
    _close(script(False), script(True), 1e-12)


def test_not_taken_when_not_closed():
    comps, tabs = build(moose)                        # noqa: F821
    early = moose.Table('/early')                     # reads before the step
    moose.useClock(2, '/early', 'process')
    moose.connect(early, 'requestOut', comps[2], 'getVm')
    moose.reinit()
    assert 'ee' not in comps[0]._element().data
    assert any(e.path == '/cell/soma' for _, e in _plan()[2])
    moose.delete('/early')
    moose.reinit()
    assert 'ee' in comps[0]._element().data


@pytest.mark.parametrize('enabled', [True, False])
def test_nonfinite_vm_raises_naming_compartment(enabled):
    """An axial conductance of 1/1e-320 = inf makes Vm NaN in the first
    step: both paths raise naming the first compartment it reaches."""
    eesolve.ENABLED = enabled
    comps, tabs = build(moose)                        # noqa: F821
    comps[6].Ra = 1e-320
    moose.reinit()
    with pytest.raises(SolverError, match=r'/cell/d1_0 \(Compartment\)\.Vm became nan in the '
                                          r'step ending at t = 5e-05 s'):
        moose.start(0.001)


def test_hsolve_takes_over_a_compiled_set():
    """An unsolved run, then an HSolve on the same cell: it takes the
    compartments from the compiled set and runs as it does on a fresh cell."""
    comps, tabs = build(moose)                        # noqa: F821
    moose.reinit()
    moose.start(0.005)
    hs = moose.HSolve('/cell/hs')
    hs.dt, hs.target = 25e-6, '/cell/soma'
    moose.reinit()
    moose.start(0.01)
    assert 'ee' not in comps[0]._element().data
    got = _traces(tabs)
    reset_tree()
    comps, tabs = build(moose)                        # noqa: F821
    hs = moose.HSolve('/cell/hs')
    hs.dt, hs.target = 25e-6, '/cell/soma'
    moose.reinit()
    moose.start(0.01)
    for x, y in zip(_traces(tabs), got):
        assert np.array_equal(x, y)


def test_copy_of_a_member_is_its_own():
    comps, tabs = build(moose)                        # noqa: F821
    moose.reinit()
    moose.start(0.002)
    moose.copy('/cell', '/', 'cell2')
    assert 'ee' not in moose.element('/cell2/soma')._element().data
    moose.reinit()
    moose.start(0.01)
    a = np.array([c.Vm for c in moose.wildcardFind('/cell/#[ISA=Compartment]')])
    b = np.array([c.Vm for c in moose.wildcardFind('/cell2/#[ISA=Compartment]')])
    assert np.array_equal(a, b)
    assert moose.element('/cell2/soma')._element().data['ee'] is \
        moose.element('/cell/soma')._element().data['ee']      # one group steps both


# ------------------------------------------------------------ vs pymoose
_SIDE = r'''
import sys, json
who = sys.argv[1]
if who == 'moose':
    import moose
else:
    import moosepy as moose
''' + _CELL + r'''
comps, tabs = build(moose)
moose.reinit()
moose.start(0.03)
print('JSON' + json.dumps({'t%d' % i: list(t.vector) for i, t in enumerate(tabs)}))
'''


def test_unsolved_cell_as_pymoose():
    """The branched cell unsolved (exponential Euler, ticks 3 and 4) against
    pymoose 5.0.0: Vm, Gk and a gate state follow MOOSE to 1e-10 of their
    range (measured 2.4e-15; Gk and the gate state equal).  (Not Im: MOOSE's unsolved Compartment reports the axial and
    injectMsg currents of the last step, moosepy's Cm dVm/dt, on either
    path; a difference older than this path.)"""
    out = run_both(_SIDE, timeout=300)
    a, b = out['moose'], out['moosepy']
    for k in ('t0', 't1', 't3', 't4'):
        x, y = np.asarray(a[k]), np.asarray(b[k])
        assert x.shape == y.shape == (1201,), k
        assert np.max(np.abs(x - y)) <= 1e-10 * np.ptp(x), (k, np.max(np.abs(x - y)))
    assert np.asarray(a['t1']).max() > 0.0


RD = Path('/work/shared/moose-examples/tutorials/Rdesigneur')
CHANS = RD / 'chans'

_CA1 = r'''
import sys, json
who = sys.argv[1]
if who == 'moose':
    import moose
    import moose.utils as _mu
    if not hasattr(_mu, 'connect_CaConc'):      # missing in pymoose 5.0.0
        _mu.connect_CaConc = lambda *a, **k: None
    from moose.neuroml import NeuroML
else:
    import moosepy as moose
    from moosepy.neuroml import NeuroML
NeuroML().readNeuroMLFromFile(FILE, params={'combineSegments': False})
moose.Neutral('/model')
moose.copy(moose.element('/library/CA1'), '/model', 'CA1')
soma = moose.element('/model/CA1/Seg0_soma_0_0')
soma.inject = 2e-10
for i in range(10):
    moose.setClock(i, 25e-6)
h = moose.HSolve('/model/CA1/hsolve')
h.dt = 25e-6
h.target = soma.path
tab = moose.Table('/model/tab')
moose.connect(tab, 'requestOut', soma, 'getVm')
lib = moose.Table('/model/libtab')
moose.connect(lib, 'requestOut', moose.element('/library/CA1/Seg0_soma_0_0'), 'getVm')
moose.reinit()
moose.start(0.02)
cs = moose.wildcardFind('/library/CA1/#[ISA=CompartmentBase]')
print('JSON' + json.dumps({'vm': list(tab.vector), 'lib': list(lib.vector),
    'names': [c.name for c in cs], 'libvm': [c.Vm for c in cs]}))
'''


@pytest.mark.skipif(not (CHANS / 'CA1.morph.xml').exists(), reason='moose-examples absent')
def test_ca1_2243_compartments_library_steps_as_pymoose(tmp_path):
    """The 2243-compartment CA1 (kdr, kap, na3, nax; 4501 channels) read
    into /library and copied into /model under an HSolve: MOOSE steps the
    unsolved prototype too.  20 ms: the solved soma's Vm, the prototype's
    soma Vm and every prototype compartment's final Vm follow pymoose to
    1e-9 of the range (measured 2.6e-11, 1.4e-12 and 3.2e-11).  Speed is
    bench_neuroml_ca1.py's: the per-element path took 96 s of CPU per 10 ms
    of this model, the compiled one 1.4 s per 100 ms."""
    text = (CHANS / 'CA1.morph.xml').read_text()
    for block in re.findall(r'<bio:mechanism .*?</bio:mechanism>', text, re.S):
        if 'variable_parameter' in block or 'name="hd"' in block:
            text = text.replace(block, '')
    (tmp_path / 'CA1.morph.xml').write_text(text)
    for ch in ('kdr', 'kap', 'na3', 'nax'):
        shutil.copy(CHANS / f'{ch}.xml', tmp_path / f'{ch}.xml')
    out = run_both(_CA1.replace('FILE', repr(str(tmp_path / 'CA1.morph.xml'))), timeout=600)
    a, b = out['moose'], out['moosepy']
    assert len(a['names']) == 2243 and list(a['names']) == list(b['names'])
    va, vb = np.asarray(a['vm']), np.asarray(b['vm'])
    assert va.shape == vb.shape == (801,) and va.max() > 0.0
    assert np.max(np.abs(va - vb)) <= 1e-9 * np.ptp(va)
    la, lb = np.asarray(a['lib']), np.asarray(b['lib'])
    assert la.shape == lb.shape and np.ptp(la) > 1e-5
    assert np.max(np.abs(la - lb)) <= 1e-9 * np.ptp(la)
    assert np.max(np.abs(np.asarray(a['libvm']) - np.asarray(b['libvm']))) <= 1e-9 * np.ptp(la)


def _vec_cable(enabled):
    """A 20-entry Compartment vec joined by a Diagonal axial message (one
    element, its own neighbour) with a 20-entry K channel vec (OneToOne)."""
    reset_tree()
    eesolve.ENABLED = enabled
    moose.Neutral('/v')
    c = moose.vec('/v/c', 20, dtype='Compartment')
    c.Rm, c.Cm, c.Ra, c.Em = 1e9, 1e-11, 1e7, -0.065
    c.initVm = [-0.065 + 0.001 * i for i in range(20)]
    c.inject = [2e-11 if i == 0 else 0.0 for i in range(20)]
    m = moose.connect(c, 'axial', c, 'raxial', 'Diagonal')
    m.stride = 1
    k = moose.vec('/v/K', 20, dtype='HHChannel')
    k.Xpower = 4
    k.Gbar, k.Ek = 1e-9, -0.08
    gate = moose.element('/v/K/gateX')
    gate.min, gate.max = -0.1, 0.05
    v = np.linspace(-0.1, 0.05, 151)
    gate.tableA = 50.0 / (1 + np.exp(-(v + 0.05) / 0.01))
    gate.tableB = gate.tableA + 40.0
    moose.connect(k, 'channel', c, 'channel', 'OneToOne')
    tabs = []
    for i in (0, 10, 19):
        t = moose.Table(f'/v/t{i}')
        moose.connect(t, 'requestOut', moose.element(f'/v/c[{i}]'), 'getVm')
        tabs.append(t)
    t = moose.Table('/v/tk')
    moose.connect(t, 'requestOut', moose.element('/v/K[5]'), 'getGk')
    tabs.append(t)
    for tk in range(10):
        moose.setClock(tk, 50e-6)
    moose.reinit()
    moose.start(0.02)
    return _traces(tabs)


def test_vec_cable_compiled_equals_per_element_path():
    got = _vec_cable(True)
    assert 'ee' in moose.element('/v/c')._element().data
    ref = _vec_cable(False)
    assert np.ptp(ref[2]) > 1e-4
    _close(ref, got, 1e-12)


def test_switch_off_and_on_without_structure_change():
    """ENABLED = False hands the set back at the next reinit; True takes it
    again at the next one, with no structural change in between."""
    comps, tabs = build(moose)                        # noqa: F821
    moose.reinit()
    assert 'ee' in comps[0]._element().data
    eesolve.ENABLED = False
    moose.reinit()
    assert 'ee' not in comps[0]._element().data
    assert any(e.path == '/cell/soma' for _, e in _plan()[2])
    eesolve.ENABLED = True
    moose.reinit()
    assert 'ee' in comps[0]._element().data
    assert [e.path for _, e in _plan()[0]] == ['/cell/soma']
