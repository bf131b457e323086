"""MarkovChannel with MarkovRateTable, MarkovSolver and MarkovOdeSolver:
traces against pymoose 5.0.0 (ligand-gated and 2-D (Vm, ligand) rates
through MarkovSolver, with and without HSolve; voltage-dependent rates
through MarkovOdeSolver), and analytic oracles for constant rates."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from side_pymoose import run_both  # noqa: E402

import moosepy as moose  # noqa: E402
from moosepy.core.errors import FieldError, SolverError  # noqa: E402

HEAD = r'''
import sys, json
import numpy as np
if sys.argv[1] == 'moose':
    import moose
else:
    import moosepy as moose
cell = moose.Neutral('/cell')
c = moose.Compartment('/cell/c')
c.Cm = 1e-11; c.Rm = 1e9; c.Em = -0.07; c.initVm = -0.07; c.Ra = 1e7
p3 = moose.PulseGen('/p3'); p3.delay[0] = 0.01; p3.width[0] = 0.015; p3.level[0] = 3e-11
p3.delay[1] = 1e9
moose.connect(p3, 'output', c, 'injectMsg')
ch = moose.MarkovChannel('/cell/c/ch')
ch.numStates = 3; ch.numOpenStates = 1; ch.gbar = [2e-9]; ch.Ek = 0.0
ch.labels = ['O', 'C1', 'C2']
ch.initialState = [0.0, 0.2, 0.8]
rt = moose.MarkovRateTable('/cell/c/ch/rt'); rt.init(3)
'''

TAIL = r'''
s = moose.MarkovSolver('/cell/c/ch/solver')
s.init(rt.id, 5e-5)
s.initialState = [0.0, 0.2, 0.8]
moose.connect(c, 'channel', ch, 'channel')
moose.connect(c, 'channel', s, 'channel')
moose.connect(s, 'stateOut', ch, 'handleState')
p = moose.PulseGen('/p'); p.delay[0] = 0.005; p.width[0] = 0.02; p.level[0] = 1.2e-3
p.delay[1] = 1e9
moose.connect(p, 'output', s, 'ligandConc')
moose.connect(p, 'output', ch, 'handleLigandConc')
tabs = {}
for name, obj, f in (('Gk', ch, 'getGk'), ('Vm', c, 'getVm'), ('Ik', ch, 'getIk')):
    tabs[name] = moose.Table('/t' + name)
    moose.connect(tabs[name], 'requestOut', obj, f)
if %(hs)s:
    d = moose.Compartment('/cell/d'); d.Cm = 1e-11; d.Rm = 1e9; d.Em = -0.07
    d.initVm = -0.07; d.Ra = 1e7
    moose.connect(c, 'raxial', d, 'axial')
    hs = moose.HSolve('/cell/hs'); hs.dt = 5e-5; hs.target = '/cell/c'
moose.reinit()
q0 = rt.Q
moose.start(0.04)
out = {k: list(t.vector) for k, t in tabs.items()}
out['grid'] = [s.xmin, s.xmax, s.xdivs, s.ymin, s.ymax, s.ydivs, s.invdx]
out['state'] = list(ch.state) + list(s.state)
out['Q0'] = np.ravel(q0).tolist()
out['fields'] = [ch.numStates, ch.numOpenStates, rt.size, ch.ligandConc] + list(ch.gbar)
print('JSON' + json.dumps(out))
'''

LIGAND = r'''
L = np.linspace(0, 2e-3, 101)
a = moose.VectorTable('/vt_a'); a.xmin = 0; a.xmax = 2e-3; a.table = 5e5 * L
rt.set1d(3, 2, a.id, 1)
rt.setconst(2, 3, 100.0)
rt.setconst(2, 1, 400.0)
rt.setconst(1, 2, 150.0)
'''

TWO_D = r'''
vs = np.linspace(-0.1, 0.05, 31); ls = np.linspace(0, 2e-3, 21)
V, L = np.meshgrid(vs, ls, indexing='ij')
i1 = moose.Interpol2D('/i1'); i1.xmin = -0.1; i1.xmax = 0.05; i1.ymin = 0; i1.ymax = 2e-3
i1.tableVector2D = (300 * np.exp(V / 0.03) * (1 + L / 5e-4)).tolist()
i2 = moose.Interpol2D('/i2'); i2.xmin = -0.1; i2.xmax = 0.05; i2.ymin = 0; i2.ymax = 2e-3
i2.tableVector2D = (100 * np.exp(-V / 0.02) + 0 * L).tolist()
rt.set2d(3, 2, i1.id)
rt.set2d(2, 3, i2.id)
rt.setconst(2, 1, 500.0)
rt.setconst(1, 2, 200.0)
'''


def _close(a, b, rtol):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    assert a.shape == b.shape
    scale = max(np.abs(b).max(), 1e-300)
    assert np.abs(a - b).max() <= rtol * scale, np.abs(a - b).max() / scale


@pytest.mark.parametrize('rates,hs', [(LIGAND, False), (TWO_D, False), (TWO_D, True)],
                         ids=['ligand', '2d', '2d-hsolve'])
def test_markov_solver_equals_pymoose(rates, hs):
    r = run_both(HEAD + rates + TAIL % {'hs': hs})
    m, p = r['moose'], r['moosepy']
    assert np.abs(m['Gk']).max() > 1e-10             # the channel opens
    for k in ('Gk', 'Vm', 'Ik', 'state'):
        _close(p[k], m[k], 1e-10)
    for k in ('grid', 'Q0', 'fields'):
        _close(p[k], m[k], 1e-12)


ODE = r'''
import sys, json
import numpy as np
if sys.argv[1] == 'moose':
    import moose
else:
    import moosepy as moose
c = moose.Compartment('/c')
c.Cm = 1e-11; c.Rm = 1e9; c.Em = -0.07; c.initVm = -0.07
ch = moose.MarkovChannel('/c/ch')
ch.numStates = 2; ch.numOpenStates = 1; ch.gbar = [2e-9]; ch.Ek = 0.0
ch.initialState = [0.0, 1.0]
rt = moose.MarkovRateTable('/c/ch/rt'); rt.init(2)
v = np.linspace(-0.1, 0.05, 151)
a = moose.VectorTable('/va'); a.xmin = -0.1; a.xmax = 0.05; a.table = 200 * np.exp(v / 0.02)
b = moose.VectorTable('/vb'); b.xmin = -0.1; b.xmax = 0.05; b.table = 100 * np.exp(-v / 0.03)
rt.set1d(2, 1, a.id, 0)
rt.set1d(1, 2, b.id, 0)
ode = moose.MarkovOdeSolver('/c/ch/ode')
ode.init([0.0, 1.0])
moose.connect(c, 'channel', ch, 'channel')
moose.connect(c, 'channel', rt, 'channel')
moose.connect(rt, 'instratesOut', ode, 'handleQ')
moose.connect(ode, 'stateOut', ch, 'handleState')
p3 = moose.PulseGen('/p3'); p3.delay[0] = 0.01; p3.width[0] = 0.015; p3.level[0] = 3e-11
p3.delay[1] = 1e9
moose.connect(p3, 'output', c, 'injectMsg')
tg = moose.Table('/tg'); moose.connect(tg, 'requestOut', ch, 'getGk')
tv = moose.Table('/tv'); moose.connect(tv, 'requestOut', c, 'getVm')
moose.reinit()
moose.start(0.04)
print('JSON' + json.dumps({'Gk': list(tg.vector), 'Vm': list(tv.vector),
                           'Q': np.ravel(rt.Q).tolist(), 'rtVm': rt.Vm,
                           'ode': [ode.isInitialized, ode.method, ode.internalDt,
                                   ode.absoluteAccuracy, ode.relativeAccuracy]}))
'''


def test_markov_ode_solver_voltage_rates_equal_pymoose():
    """Voltage-dependent 1-D rates: the rate table looks them up each step
    at Vm, the ODE solver advances.  MOOSE integrates by adaptive
    Runge-Kutta (tolerance about 1e-6 relative), moosepy exactly."""
    r = run_both(ODE)
    m, p = r['moose'], r['moosepy']
    assert np.abs(m['Gk']).max() > 5e-11
    _close(p['Gk'], m['Gk'], 1e-6)
    _close(p['Vm'], m['Vm'], 1e-8)
    _close(p['Q'], m['Q'], 1e-6)
    assert p['rtVm'] == pytest.approx(m['rtVm'], rel=1e-8)
    # (internalDt is where MOOSE's adaptive integrator left its step; not kept here)
    assert [str(x) for k, x in enumerate(p['ode']) if k != 2] == \
        [str(x) for k, x in enumerate(m['ode']) if k != 2]


# --------------------------------------------------------------- analytic
def _two_state(kind, kf=300.0, kb=200.0, dt=5e-5, runtime=0.02):
    """State 1 open, 2 closed; rates 2->1 kf, 1->2 kb; compartment held."""
    c = moose.Compartment('/c'); c.Cm = 1e3; c.Rm = 1e9; c.initVm = -0.05; c.Em = -0.05
    ch = moose.MarkovChannel('/c/ch')
    ch.numStates = 2; ch.numOpenStates = 1; ch.gbar = [1e-9]; ch.initialState = [0.0, 1.0]
    rt = moose.MarkovRateTable('/c/ch/rt'); rt.init(2)
    rt.setconst(2, 1, kf); rt.setconst(1, 2, kb)
    moose.connect(c, 'channel', ch, 'channel')
    if kind == 'expm':
        s = moose.MarkovSolver('/c/ch/s'); s.init(rt, dt); s.initialState = [0.0, 1.0]
        moose.connect(s, 'stateOut', ch, 'handleState')
    else:
        s = moose.MarkovOdeSolver('/c/ch/s'); s.init([0.0, 1.0])
        moose.connect(rt, 'instratesOut', s, 'handleQ')
        moose.connect(s, 'stateOut', ch, 'handleState')
    for t in range(10):
        moose.setClock(t, dt)
    tab = moose.Table('/tg'); moose.connect(tab, 'requestOut', ch, 'getGk')
    moose.reinit()
    moose.start(runtime)
    return tab.vector, s


@pytest.mark.parametrize('kind', ['expm', 'ode'])
def test_constant_two_state_analytic(kind):
    """p_open(t) = kf/(kf+kb) (1 - exp(-(kf+kb) t)); the channel takes the
    state the solver sent in the same step (solver tick 2, channel 4); the
    rate table sends its constant rates to the ODE solver at reinit."""
    g, s = _two_state(kind)
    n = np.arange(len(g))
    t = n * 5e-5
    want = 1e-9 * 0.6 * (1 - np.exp(-500 * t))
    want[0] = 0.0
    assert np.abs(g - want).max() < 1e-12 * 1e-9 + 1e-22


def test_three_state_chain_steady_state():
    """C2 <-> C1 <-> O with constant rates: occupancies sum to 1 and settle
    at detailed balance (C1/C2 = k21/k12 and O/C1 = k10/k01)."""
    c = moose.Compartment('/c'); c.Cm = 1e3; c.Rm = 1e9
    ch = moose.MarkovChannel('/c/ch'); ch.numStates = 3; ch.numOpenStates = 1
    ch.gbar = [1e-9]; ch.initialState = [0, 0, 1]
    rt = moose.MarkovRateTable('/c/ch/rt'); rt.init(3)
    rt.setconst(3, 2, 400.0); rt.setconst(2, 3, 100.0)
    rt.setconst(2, 1, 250.0); rt.setconst(1, 2, 50.0)
    s = moose.MarkovSolver('/c/ch/s'); s.init(rt, 5e-5); s.initialState = [0, 0, 1]
    moose.connect(c, 'channel', ch, 'channel')
    moose.connect(s, 'stateOut', ch, 'handleState')
    moose.reinit()
    moose.start(0.5)
    p = ch.state
    assert p.sum() == pytest.approx(1.0, abs=1e-12)
    # C2 : C1 : O = 1 : 4 : 20
    assert p == pytest.approx(np.array([20, 4, 1]) / 25.0, abs=1e-10)
    assert ch.Gk == pytest.approx(1e-9 * 20 / 25, rel=1e-10)


def test_grid_limits_and_errors():
    rt = moose.MarkovRateTable('/rt')
    with pytest.raises(FieldError, match='init'):
        rt.setconst(1, 2, 1.0)
    rt.init(2)
    with pytest.raises(FieldError, match='indices run from 1 to 2'):
        rt.setconst(0, 2, 1.0)
    with pytest.raises(FieldError, match='diagonal'):
        rt.setconst(2, 2, 1.0)
    rt.setconst(1, 2, 1.0)
    with pytest.raises(FieldError, match='already been set'):
        rt.setconst(1, 2, 3.0)
    # voltage tables of different ranges: the widest range, the finest divisions
    rt2 = moose.MarkovRateTable('/rt2'); rt2.init(2)
    a = moose.VectorTable('/a'); a.xmin = -0.1; a.xmax = 0.05; a.table = np.ones(16)
    b = moose.VectorTable('/b'); b.xmin = -0.08; b.xmax = 0.06; b.table = np.ones(31)
    rt2.set1d(1, 2, a, 0); rt2.set1d(2, 1, b, 0)
    s = moose.MarkovSolver('/s'); s.init(rt2, 1e-4)
    assert (s.xmin, s.xmax, s.xdivs) == (-0.1, 0.06, 30)
    assert s.invdx == pytest.approx(30 / 0.16)          # (MOOSE leaves it unset here)
    ch = moose.MarkovChannel('/ch'); c = moose.Compartment('/c')
    moose.connect(c, 'channel', ch, 'channel')
    with pytest.raises(SolverError, match='initialState'):
        moose.reinit()


@pytest.mark.parametrize('with_ligand', [False, True], ids=['vm-1d', 'vm-and-ligand-1d'])
def test_voltage_tables_on_grid_equal_expm(with_ligand):
    """Rates from 1-D Vm tables (and a ligand table): where MOOSE 5.0.0
    leaves invdx unset (NaN states), the state at a grid point equals
    p0 expm(Q t) with Q read off the tables there."""
    from scipy.linalg import expm
    c = moose.Compartment('/c'); c.Cm = 1e3; c.Rm = 1e9; c.Em = -0.04; c.initVm = -0.04
    ch = moose.MarkovChannel('/c/ch'); ch.numStates = 3; ch.numOpenStates = 1
    ch.gbar = [1e-9]; ch.initialState = [0, 0, 1]
    rt = moose.MarkovRateTable('/c/ch/rt'); rt.init(3)
    v = np.linspace(-0.1, 0.05, 16)                      # -0.04 is entry 6
    a = moose.VectorTable('/a'); a.xmin = -0.1; a.xmax = 0.05; a.table = 300 * np.exp(v / 0.03)
    b = moose.VectorTable('/b'); b.xmin = -0.1; b.xmax = 0.05; b.table = 80 * np.exp(-v / 0.02)
    rt.set1d(3, 2, a, 0); rt.set1d(2, 3, b, 0); rt.setconst(2, 1, 400.0)
    L = np.linspace(0, 1e-3, 11)                         # 4e-4 is entry 4
    if with_ligand:
        lt = moose.VectorTable('/l'); lt.xmin = 0; lt.xmax = 1e-3; lt.table = 2e5 * L + 10
        rt.set1d(1, 2, lt, 1)
    else:
        rt.setconst(1, 2, 90.0)
    s = moose.MarkovSolver('/c/ch/s'); s.init(rt, 5e-5); s.initialState = [0, 0, 1]
    moose.connect(c, 'channel', s, 'channel')
    moose.connect(c, 'channel', ch, 'channel')
    moose.connect(s, 'stateOut', ch, 'handleState')
    if with_ligand:
        s.ligandConc(4e-4)
    moose.reinit()
    moose.start(0.01)
    k32, k23 = 300 * np.exp(-0.04 / 0.03), 80 * np.exp(0.04 / 0.02)
    k12 = 2e5 * 4e-4 + 10 if with_ligand else 90.0
    Q = np.array([[0, k12, 0], [400.0, 0, k23], [0, k32, 0]])
    Q -= np.diag(Q.sum(axis=1))
    want = np.array([0, 0, 1.0]) @ expm(Q * 0.01)
    assert s.state == pytest.approx(want, abs=1e-9)
    assert ch.state == pytest.approx(want, abs=1e-9)
    assert s.invdx == pytest.approx(15 / 0.15)
