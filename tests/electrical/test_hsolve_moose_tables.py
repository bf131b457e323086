"""HSolve's gate tables and calcium pools as MOOSE's HSolve has them,
compared with pymoose 5.0.0 sample by sample.

MOOSE's HSolve looks all voltage gates of a cell up in one table (from the
smallest min to the largest max of the gates, at their smallest step) and
all concentration gates in another, resampling a gate whose own grid
differs (its interpolated value at each point); and it steps a CaConc with
the trapezoidal rule, the channel current taken at the mid-step V.  Both
differences showed in pymoose comparisons at 1e-7..1e-4 (rdesigneur's
ex3.0 squid tutorial: 6.5e-4)."""

import numpy as np

from pymoose_side import run_both

_SCRIPT = r'''
import sys, json, math
import numpy as np
if sys.argv[1] == 'moose':
    import moose
else:
    import moosepy as moose
EREST = -0.07


def gate(ch, g, lo, hi, n, alpha, beta):
    x = np.linspace(lo, hi, n + 1)
    gt = moose.element(ch.path + '/gate' + g)
    gt.min, gt.max, gt.divs = lo, hi, n
    a = alpha(x)
    gt.tableA = a
    gt.tableB = a + beta(x)


moose.Neutral('/m')
c = moose.Compartment('/m/soma')
c.Cm, c.Rm, c.Em, c.initVm, c.Ra = 7.85e-9, 4.24e5, -0.0544, -0.065, 7.6e6
# squid Na and K on different voltage ranges and divisions: MOOSE's HSolve
# looks both up in one table spanning -0.12..0.05 V
na = moose.HHChannel('/m/soma/Na')
na.Ek, na.Xpower, na.Ypower, na.Gbar = 0.05, 3, 1, 9.4e-4
gate(na, 'X', -0.11, 0.05, 3000,
     lambda v: 1e3 * (25 - (v - EREST) * 1e3) / (10 * (np.exp((25 - (v - EREST) * 1e3) / 10) - 1)),
     lambda v: 4e3 * np.exp(-(v - EREST) * 1e3 / 18))
gate(na, 'Y', -0.11, 0.05, 3000, lambda v: 70.0 * np.exp(-(v - EREST) / 20e-3),
     lambda v: 1e3 / (np.exp((30e-3 - (v - EREST)) / 10e-3) + 1))
k = moose.HHChannel('/m/soma/K')
k.Ek, k.Xpower, k.Gbar = -0.077, 4, 2.8e-4
gate(k, 'X', -0.12, 0.04, 2000,
     lambda v: 1e3 * (10 - (v - EREST) * 1e3) / (100 * (np.exp((10 - (v - EREST) * 1e3) / 10) - 1)),
     lambda v: 125.0 * np.exp(-(v - EREST) * 1e3 / 80))
# a Ca channel into a shell pool, and two K channels gated by its Ca on
# different concentration ranges (one table spanning 0..0.025 mM)
ca = moose.HHChannel('/m/soma/Ca')
ca.Ek, ca.Xpower, ca.Gbar = 0.08, 1, 5e-8
gate(ca, 'X', -0.1, 0.05, 300, lambda v: 1000.0 / (1 + np.exp(-(v + 0.02) / 0.01)),
     lambda v: 1000.0 + 0 * v)
pool = moose.CaConc('/m/soma/Ca_conc')
pool.CaBasal, pool.tau = 1e-4, 0.02
# MOOSE's HSolve takes B from the shell's volume: give it that B
L, D, TH = 20e-6, 20e-6, 1e-6
pool.length, pool.diameter, pool.thick = L, D, TH
vol = math.pi * D * D * L * 0.25
core = D / 2.0 - TH
vol -= math.pi * core * core * L
pool.B = 1.0 / (2 * 96485.33212 * vol)
moose.connect(ca, 'IkOut', pool, 'current')
for name, hi, n, gb in (('KCa1', 0.01, 1000, 3e-7), ('KCa2', 0.025, 3000, 2e-7)):
    kc = moose.HHChannel('/m/soma/' + name)
    kc.Ek, kc.Zpower, kc.useConcentration, kc.Gbar = -0.077, 1, 1, gb
    z = moose.element(kc.path + '/gateZ')
    z.min, z.max, z.divs = 0.0, hi, n
    cc = np.linspace(0.0, hi, n + 1)
    z.tableA = 500.0 * cc / (cc + 2e-3)
    z.tableB = 500.0 * cc / (cc + 2e-3) + 30.0
    moose.connect(pool, 'concOut', kc, 'concen')
for ch in ('Na', 'K', 'Ca', 'KCa1', 'KCa2'):
    moose.connect(moose.element('/m/soma/' + ch), 'channel', c, 'channel')
pg = moose.PulseGen('/m/pg')
pg.firstDelay, pg.firstWidth, pg.firstLevel, pg.secondDelay = 0.005, 0.03, 2e-8, 1e9
moose.connect(pg, 'output', c, 'injectMsg')
tv = moose.Table('/m/tv')
moose.connect(tv, 'requestOut', c, 'getVm')
tc = moose.Table('/m/tc')
moose.connect(tc, 'requestOut', pool, 'getCa')
for i in range(10):
    moose.setClock(i, 50e-6)
h = moose.HSolve('/m/hsolve')
h.dt = 50e-6
h.target = '/m/soma'
moose.reinit()
moose.start(0.04)
print('JSON' + json.dumps({'vm': list(tv.vector), 'ca': list(tc.vector)}))
'''


def test_shared_lookup_grid_and_pool_step_equal_pymoose():
    """A spiking soma: Na and K gates on different voltage ranges and
    divisions, a Ca channel into a shell CaConc, two K channels gated by
    its Ca on different ranges (Ca passes both maxima): Vm and Ca equal
    pymoose's to rounding (were 3.7e-4 and 6.5e-3)."""
    out = run_both(_SCRIPT)
    a, b = out['moose'], out['moosepy']
    assert np.sum(np.diff((a['vm'] > 0).astype(int)) > 0) == 2      # two spikes
    assert a['ca'].max() > 0.025                                      # beyond both Ca tables
    for k in ('vm', 'ca'):
        assert len(a[k]) == len(b[k]) == 801
        assert np.max(np.abs(a[k] - b[k])) <= 1e-9 * np.max(np.abs(a[k])), k
