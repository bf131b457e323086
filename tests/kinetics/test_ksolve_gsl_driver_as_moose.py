"""Ksolve method 'gsl'/'rk5' in one voxel steps as pymoose 5.0.0's GSL
Runge-Kutta-Fehlberg driver (moosepy/kinetics/gslrk.py).

A buffered pool changed between ticks (by a StimulusTable, or by the
script) makes GSL start the next tick from the derivative of the old value;
its step control then ends that tick with an error of about 4e-6 of n at
epsRel 1e-7.  pymoose's tables carry it (analogStimTable and helloMoose
differed by 3e-4 and 1.5e-4 before); these tests compare with pymoose and
check that the effect is there and of that size, and that without outside
changes the solution is the exact one to GSL's tolerance.
"""

import math

import numpy as np
import pytest

import moosepy as moose

from side_pymoose import run_both

_SCRIPT = r'''
import sys, json
import numpy as np
if sys.argv[1] == 'moose':
    import moose
else:
    import moosepy as moose
model = moose.CubeMesh('/model')
a = moose.BufPool('/model/a')
b = moose.Pool('/model/b')
c = moose.Pool('/model/c')
r = moose.Reac('/model/r')
r.Kf, r.Kb = 0.1, 0.1
moose.connect(r, 'sub', a, 'reac'); moose.connect(r, 'prd', b, 'reac')
r2 = moose.Reac('/model/r2')
r2.Kf, r2.Kb = 2.0, 0.5
moose.connect(r2, 'sub', b, 'reac'); moose.connect(r2, 'sub', b, 'reac')
moose.connect(r2, 'prd', c, 'reac')
stim = moose.StimulusTable('/model/stim')
stim.vector = [0.2 + 0.1 * np.sin(0.05 * i) for i in range(200)]
stim.stepSize = 0
stim.startTime = 2.0
stim.stopTime = 12.0
moose.connect(stim, 'output', a, 'setConcInit')
tabs = {}
for p in (a, b, c):
    t = moose.Table2('/model/t' + p.name)
    moose.connect(t, 'requestOut', p, 'getConc')
    tabs[p.name] = t
s = moose.Stoich('/model/stoich')
k = moose.Ksolve('/model/ksolve')
s.compartment = model
s.ksolve = k
s.reacSystemPath = '/model/##'
for i in range(20):
    moose.setClock(i, 0.1)
a.concInit = 0.5
b.concInit = 0.3
moose.reinit()
moose.start(15.0)
k.epsRel = 1e-5            # a looser tolerance: a larger error at each change
stim.startTime = 15.0
stim.stopTime = 20.0
moose.start(5.0)
print('JSON' + json.dumps({kk: list(t.vector) for kk, t in tabs.items()}))
'''


def test_buffered_input_changes_as_pymoose():
    out = run_both(_SCRIPT)
    ref, got = out['moose'], out['moosepy']
    for k in ref:
        r, g = np.asarray(ref[k], float), np.asarray(got[k], float)
        assert r.shape == g.shape, k
        assert np.max(np.abs(g - r)) <= 1e-10 * np.max(np.abs(r)), k
    # what is compared is not trivial: the stimulus drove a at every tick
    # (after stopTime it goes on sending its last value, so the script's
    # sets of a are overwritten at once, in both), and b and c moved
    a, b, c = (np.asarray(ref[x], float) for x in 'abc')
    assert np.ptp(a[20:120]) > 0.05 and np.ptp(b) > 0.01 and np.ptp(c) > 0.01


_LINEAR = r'''
import sys, json
import numpy as np
if sys.argv[1] == 'moose':
    import moose
else:
    import moosepy as moose
model = moose.CubeMesh('/model')
model.volume = 1e-15
a = moose.BufPool('/model/a')
b = moose.Pool('/model/b')
r = moose.Reac('/model/r')
r.Kf, r.Kb = 0.1, 0.1
moose.connect(r, 'sub', a, 'reac'); moose.connect(r, 'prd', b, 'reac')
s = moose.Stoich('/model/stoich')
k = moose.Ksolve('/model/ksolve')
s.compartment = model
s.ksolve = k
s.reacSystemPath = '/model/##'
for i in range(20):
    moose.setClock(i, 0.1)
a.concInit = 0.5
b.concInit = 0.3
moose.reinit()
bs, As = [], []
A = 0.5
for step in range(60):
    if step in (20, 40):
        A = A + 0.0057 if step == 20 else A + 0.3
        a.concInit = A
    bs.append(b.conc)
    As.append(A)
    moose.start(0.1)
bs.append(b.conc)
print('JSON' + json.dumps({'b': bs, 'A': As}))
'''


def test_stale_derivative_error_at_each_set_as_pymoose():
    """b' = 0.1 (A - b), A held and set by the script at steps 20 and 40:
    each tick's exact result is A + (b - A) e^-0.01.  Both simulators are
    exact to 1e-15 except at the two ticks after a set, where both are off
    by the same -1.45e-6 and -1.53e-6 mM (about -4.2e-6 of b, whatever the
    size of the change)."""
    out = run_both(_LINEAR)
    errs = {}
    for who in ('moose', 'moosepy'):
        b = np.asarray(out[who]['b'], float)
        A = np.asarray(out[who]['A'], float)
        exact = A + (b[:-1] - A) * math.exp(-0.01)
        errs[who] = b[1:] - exact
    ref, got = errs['moose'], errs['moosepy']
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-15)
    quiet = np.delete(ref, [20, 40])
    assert np.max(np.abs(quiet)) < 1e-14
    assert ref[20] == pytest.approx(-1.45e-6, rel=0.01)
    assert ref[40] == pytest.approx(-1.53e-6, rel=0.01)


def test_without_outside_changes_exact_to_tolerance():
    """Analytic: a <-> b (Kf 0.3, Kb 0.1), a + b = 1 mM: b(t) = 0.75 (1 -
    e^-0.4t); rk5 at epsRel 1e-7 over 200 ticks stays within 1e-8."""
    model = moose.CubeMesh('/m')
    a = moose.Pool('/m/a')
    b = moose.Pool('/m/b')
    r = moose.Reac('/m/r')
    r.Kf, r.Kb = 0.3, 0.1
    moose.connect(r, 'sub', a, 'reac')
    moose.connect(r, 'prd', b, 'reac')
    t = moose.Table2('/m/t')
    moose.connect(t, 'requestOut', b, 'getConc')
    s = moose.Stoich('/m/stoich')
    k = moose.Ksolve('/m/ksolve')
    s.compartment = model
    s.ksolve = k
    s.reacSystemPath = '/m/##'
    for i in range(20):
        moose.setClock(i, 0.1)
    a.concInit = 1.0
    moose.reinit()
    moose.start(20.0)
    v = np.asarray(t.vector)
    tt = 0.1 * np.arange(len(v))
    np.testing.assert_allclose(v, 0.75 * (1 - np.exp(-0.4 * tt)), rtol=0, atol=1e-8)
    moose.delete('/m')


_DIFFUSION = r'''
import sys, json
import numpy as np
if sys.argv[1] == 'moose':
    import moose
else:
    import moosepy as moose
    from moosepy.kinetics import ksolve as _ks
    if sys.argv[2] == 'generic':
        _ks.GSL_ALL_VOXELS = False
moose.Neutral('/m')
cyl = moose.CylMesh('/m/cyl')
cyl.x1 = 20e-6
cyl.r0 = cyl.r1 = 1e-6
cyl.diffLength = 1e-6
a = moose.Pool('/m/cyl/a')
b = moose.Pool('/m/cyl/b')
a.diffConst = 1e-12
b.diffConst = 0.5e-12
r = moose.Reac('/m/cyl/r')
r.Kf, r.Kb = 0.5, 0.1
moose.connect(r, 'sub', a, 'reac')
moose.connect(r, 'prd', b, 'reac')
k = moose.Ksolve('/m/cyl/ksolve')
d = moose.Dsolve('/m/cyl/dsolve')
s = moose.Stoich('/m/cyl/stoich')
s.compartment = cyl
s.ksolve = k
s.dsolve = d
s.reacSystemPath = '/m/cyl/##'
moose.reinit()
va = moose.vec('/m/cyl/a')
conc = np.zeros(len(va))
conc[0] = 1.0
va.concInit = conc
moose.reinit()
moose.start(5.0)
print('JSON' + json.dumps({'a': list(moose.vec('/m/cyl/a').conc),
                           'b': list(moose.vec('/m/cyl/b').conc)}))
'''


@pytest.mark.parametrize('mode', ['default', 'generic'])
def test_diffusion_voxels_as_pymoose_with_gsl_all_voxels(mode):
    """20 voxels, Ksolve + Dsolve: by default (GSL_ALL_VOXELS) every voxel
    has its own GSL driver and the diffusion between ticks makes each start
    from a stale derivative, as in MOOSE: the same profile as pymoose to
    1e-9 of its peak; the generic kernel (GSL_ALL_VOXELS = False: all
    voxels stepped together, exact between ticks) differs from it by more
    than that."""
    out = run_both(_DIFFUSION, args=(mode,))
    ref, got = out['moose'], out['moosepy']
    err = max(np.max(np.abs(np.asarray(got[k]) - np.asarray(ref[k]))) /
              np.max(np.abs(ref[k])) for k in 'ab')
    assert np.ptp(ref['a']) > 0.01 and np.ptp(ref['b']) > 0.01
    if mode == 'default':
        assert err <= 1e-9
    else:
        assert 1e-9 < err <= 1e-3


def _diffusing_run(together, gsl=True):
    from moosepy.kinetics import gslrk, ksolve
    saved = gslrk.TOGETHER, ksolve.GSL_ALL_VOXELS
    gslrk.TOGETHER = together
    ksolve.GSL_ALL_VOXELS = gsl
    try:
        moose.Neutral('/g')
        cyl = moose.CylMesh('/g/cyl')
        cyl.x1 = 30e-6
        cyl.r0 = cyl.r1 = 1e-6
        cyl.diffLength = 1e-6
        a = moose.Pool('/g/cyl/a')
        b = moose.Pool('/g/cyl/b')
        a.diffConst, b.diffConst = 1e-12, 0.5e-12
        r = moose.Reac('/g/cyl/r')
        r.Kf, r.Kb = 0.5, 0.1
        moose.connect(r, 'sub', a, 'reac')
        moose.connect(r, 'prd', b, 'reac')
        e = moose.MMenz('/g/cyl/b/e')
        moose.connect(b, 'nOut', e, 'enzDest')
        moose.connect(e, 'sub', a, 'reac')
        moose.connect(e, 'prd', b, 'reac')
        k = moose.Ksolve('/g/cyl/ksolve')
        d = moose.Dsolve('/g/cyl/dsolve')
        s = moose.Stoich('/g/cyl/stoich')
        s.compartment = cyl
        s.ksolve = k
        s.dsolve = d
        s.reacSystemPath = '/g/cyl/##'
        moose.reinit()
        va = moose.vec('/g/cyl/a')
        c = np.zeros(len(va))
        c[0], c[15] = 1.0, 0.5
        va.concInit = c
        moose.reinit()
        moose.start(5.0)
        return np.array(moose.vec('/g/cyl/a').n), np.array(moose.vec('/g/cyl/b').n)
    finally:
        gslrk.TOGETHER, ksolve.GSL_ALL_VOXELS = saved
        moose.delete('/g')


def test_voxels_side_by_side_same_as_one_after_another():
    """The drivers of a model without Functions advanced side by side
    (each stage's rates for all voxels at once) give bit for bit what one
    driver after the other gives."""
    one = _diffusing_run(False)
    together = _diffusing_run(True)
    for x, y in zip(one, together):
        assert np.array_equal(x, y)
    assert np.ptp(one[0]) > 0
    # and these are the GSL drivers' numbers, not the generic kernel's
    generic = _diffusing_run(True, gsl=False)
    assert not np.array_equal(generic[0], one[0])


def _resting_run(together, mm):
    """300 tapered voxels (so second-order rate constants differ from voxel
    to voxel), A <-> B and A + B <-> C (with *mm* an MMenz too: the general
    rates; else the fused ones), a source in the first 5 voxels: most voxels
    stay at exactly zero (at rest) while those near the front redo their
    steps every tick.  At 2 s every voxel is emptied, so that voxels come
    to rest with small steps (several steps at rest within a tick).
    Returns the counts after each of 20 chunks of 0.25 s."""
    from moosepy.kinetics import gslrk
    saved = gslrk.TOGETHER
    gslrk.TOGETHER = together
    try:
        moose.Neutral('/g')
        cyl = moose.CylMesh('/g/cyl')
        cyl.x1 = 300e-6
        cyl.r0, cyl.r1 = 0.5e-6, 2e-6
        cyl.diffLength = 1e-6
        a = moose.Pool('/g/cyl/a')
        b = moose.Pool('/g/cyl/b')
        c = moose.Pool('/g/cyl/c')
        a.diffConst, b.diffConst = 1e-12, 0.3e-12
        r = moose.Reac('/g/cyl/r')
        r.Kf, r.Kb = 0.1, 0.01
        moose.connect(r, 'sub', a, 'reac')
        moose.connect(r, 'prd', b, 'reac')
        r2 = moose.Reac('/g/cyl/r2')
        r2.Kf, r2.Kb = 2.0, 0.05
        moose.connect(r2, 'sub', a, 'reac')
        moose.connect(r2, 'sub', b, 'reac')
        moose.connect(r2, 'prd', c, 'reac')
        if mm == 'third':
            # a third-order term (general rates, not Michaelis-Menten), and
            # an MMenz of two substrates whose enzyme is buffered
            r3 = moose.Reac('/g/cyl/r3')
            r3.Kf, r3.Kb = 0.8, 0.02
            for sub in (a, a, b):
                moose.connect(r3, 'sub', sub, 'reac')
            moose.connect(r3, 'prd', c, 'reac')
            enz = moose.BufPool('/g/cyl/enz')
            enz.concInit = 0.2
            e = moose.MMenz('/g/cyl/enz/e')
            e.Km, e.kcat = 0.5, 0.4
            moose.connect(enz, 'nOut', e, 'enzDest')
            moose.connect(e, 'sub', b, 'reac')
            moose.connect(e, 'sub', c, 'reac')
            moose.connect(e, 'prd', a, 'reac')
        elif mm:
            e = moose.MMenz('/g/cyl/b/e')
            e.Km, e.kcat = 0.3, 0.7
            moose.connect(b, 'nOut', e, 'enzDest')
            moose.connect(e, 'sub', a, 'reac')
            moose.connect(e, 'prd', b, 'reac')
        k = moose.Ksolve('/g/cyl/ksolve')
        d = moose.Dsolve('/g/cyl/dsolve')
        s = moose.Stoich('/g/cyl/stoich')
        s.compartment = cyl
        s.ksolve = k
        s.dsolve = d
        s.reacSystemPath = '/g/cyl/##'
        moose.reinit()
        va = moose.vec('/g/cyl/a')
        ci = np.zeros(len(va))
        ci[:5] = 1.0
        va.concInit = ci
        moose.reinit()
        out = []
        for i in range(20):
            moose.start(0.25)
            if i == 7:
                for p in 'abc':
                    moose.vec('/g/cyl/' + p).conc = np.zeros(len(va))
                moose.vec('/g/cyl/a').conc = np.where(np.arange(len(va)) < 3, 0.5, 0.0)
            out.append(np.concatenate([np.array(moose.vec('/g/cyl/' + p).n) for p in 'abc']))
        return np.array(out)
    finally:
        gslrk.TOGETHER = saved
        moose.delete('/g')


@pytest.mark.parametrize('mm', [False, True, 'third'], ids=['fused', 'general', 'third'])
def test_voxels_side_by_side_at_rest_as_one_after_another(mm):
    """The side-by-side drivers step only the voxels still short of a
    tick's end, and advance the voxels at rest without their stages (see
    gslrk._ticks_together): bit for bit the one-after-another drivers'
    trajectory, with voxels at rest, others redoing their steps, per-voxel
    rate constants and a state set from outside.  The general rates
    (Michaelis-Menten, third order) are taken term by term over the slots
    (gslrk._slot_rates_general), the same operations as voxel by voxel."""
    one = _resting_run(False, mm)
    together = _resting_run(True, mm)
    assert np.array_equal(one, together)
    n = one.shape[1] // 3
    assert np.sum(one[6, :n] == 0.0) > 50           # voxels at rest (> 1/8)
    assert np.sum(one[6, :n] > 0.0) > 10 and one[-1, :n].max() > 0.0


def _switch_run(together):
    """600 voxels, a source S (buffered, 1 mM) -> A with Kf 0: the voxels
    away from A's pulse are at rest until Kf is set to 1e-3 /s at 2.5 s."""
    from moosepy.kinetics import gslrk
    saved = gslrk.TOGETHER
    gslrk.TOGETHER = together
    try:
        moose.Neutral('/g')
        cyl = moose.CylMesh('/g/cyl')
        cyl.x1 = 600e-6
        cyl.r0 = cyl.r1 = 0.5e-6
        cyl.diffLength = 1e-6
        a = moose.Pool('/g/cyl/a')
        b = moose.Pool('/g/cyl/b')
        a.diffConst = 1e-12
        src = moose.BufPool('/g/cyl/src')
        src.concInit = 1.0
        r = moose.Reac('/g/cyl/r')
        r.Kf, r.Kb = 0.1, 0.01
        moose.connect(r, 'sub', a, 'reac')
        moose.connect(r, 'prd', b, 'reac')
        r0 = moose.Reac('/g/cyl/r0')
        r0.Kf, r0.Kb = 0.0, 0.0
        moose.connect(r0, 'sub', src, 'reac')
        moose.connect(r0, 'prd', a, 'reac')
        k = moose.Ksolve('/g/cyl/ksolve')
        d = moose.Dsolve('/g/cyl/dsolve')
        s = moose.Stoich('/g/cyl/stoich')
        s.compartment = cyl
        s.ksolve = k
        s.dsolve = d
        s.reacSystemPath = '/g/cyl/##'
        moose.reinit()
        va = moose.vec('/g/cyl/a')
        ci = np.zeros(len(va))
        ci[:5] = 1.0
        va.concInit = ci
        moose.reinit()
        out = []
        for i in range(10):
            moose.start(0.5)
            if i == 4:
                r0.Kf = 1e-3
            out.append(np.concatenate([np.array(moose.vec('/g/cyl/' + p).n) for p in 'ab']))
        return np.array(out)
    finally:
        gslrk.TOGETHER = saved
        moose.delete('/g')


def test_voxels_at_rest_see_a_rate_constant_change():
    """A voxel is passed over as at rest only while its state and rate
    constants are those its zero derivative was taken with: after Kf of
    S -> A is set mid-run every voxel makes A, bit for bit as the drivers
    one after another."""
    one = _switch_run(False)
    together = _switch_run(True)
    assert np.array_equal(one, together)
    n = one.shape[1] // 2
    assert np.sum(one[4, :n] == 0.0) > 100 and one[-1, n - 1] > 0.0


def test_settles_usual_round_by_the_loops_rule():
    """gslrk._settle takes a round in which every slot's step ends the
    tick without the loop over slots when _all_end holds: it must hold
    exactly when the loop would accept every step as final (no error ratio
    over 1.1, a NaN ratio passing as in the loop's maximum, every entry
    finite), and the flat path must write what the loop writes."""
    from moosepy.kinetics import gslrk
    npools, nact = 3, 5
    m = npools * nact
    rng = np.random.default_rng(3)
    ytmp = rng.random(m + 2)
    ratio = rng.random(m) * 1.1
    final = np.ones(nact, dtype=np.bool_)
    assert gslrk._all_end(ytmp, ratio, final, m, nact)
    for what, value in (('ratio', 1.1000001), ('ratio', np.nan), ('y', np.inf),
                        ('y', np.nan), ('y', -np.inf), ('final', False)):
        r, y, f = ratio.copy(), ytmp.copy(), final.copy()
        {'ratio': r, 'y': y, 'final': f}[what][2] = value
        expect = what == 'ratio' and math.isnan(value)
        assert gslrk._all_end(y, r, f, m, nact) == expect, (what, value)

    def settle(packed, act):
        nvox = 7
        y = rng.random(nvox * npools)
        dydt, ylast = rng.random(nvox * npools), rng.random(nvox * npools)
        hc = np.column_stack([np.full(nvox, 0.01), np.arange(nvox, dtype=float)])
        kout, y0, k1 = rng.random(m), np.zeros(nvox * npools), np.zeros(nvox * npools)
        args = (y, dydt, ylast, hc, ytmp, kout, ratio, y0, k1, act.copy(),
                np.full(nvox, 0.05), np.full(nvox, 0.95), np.ones(nvox, dtype=np.bool_),
                np.ones(nvox, dtype=np.bool_), np.zeros(nvox * npools),
                np.ones((nvox, 2)), np.ones((nvox, 2)), np.ones(nvox), np.ones((nvox, 2)),
                np.ones((nvox, 2)), np.ones(nvox), 1.0, npools, nact, packed)
        out = gslrk._settle(*args)
        return out, y, dydt, ylast, hc
    for packed, act in ((False, np.arange(7)), (True, np.array([1, 2, 4, 5, 6, 0, 3]))):
        out, y, dydt, ylast, hc = settle(packed, act)
        assert out == (0.0, nact, 0, True)
        for j in range(nact):
            v = act[j]
            assert np.array_equal(y[v * npools:(v + 1) * npools], ytmp[j * npools:(j + 1) * npools])
            assert np.array_equal(ylast[v * npools:(v + 1) * npools],
                                  ytmp[j * npools:(j + 1) * npools])
            assert hc[v, 1] == v + 1.0 and hc[v, 0] == 0.01
        # the voxels not stepping keep their state and counts
        for v in set(range(7)) - set(act[:nact].tolist()):
            assert hc[v, 1] == v
