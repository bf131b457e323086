"""rk5 (MOOSE's GSL driver) ends each tick at the clock's step time, the
currTime MOOSE gives its Ksolve, so a run gives the same numbers however
it is split into start() calls or into the clock's chunks (which the clock
sizes by wall time: a first run that compiled its kernels was chunked
differently from a later one and ended a few ulps away)."""

import numpy as np

import moosepy as moose


def _run(parts):
    mesh = moose.CubeMesh('/m')
    mesh.volume = 1e-18
    a, b, c, e, p = (moose.Pool('/m/' + n) for n in 'abcep')
    a.concInit, b.concInit, e.concInit = 1.0, 0.8, 0.01
    r = moose.Reac('/m/r')
    r.Kf, r.Kb = 0.5, 0.05
    moose.connect(r, 'sub', a, 'reac')
    moose.connect(r, 'sub', b, 'reac')
    moose.connect(r, 'prd', c, 'reac')
    z = moose.MMenz('/m/e/z')
    z.Km, z.kcat = 0.2, 1.0
    moose.connect(e, 'nOut', z, 'enzDest')
    moose.connect(z, 'sub', c, 'reac')
    moose.connect(z, 'prd', p, 'reac')
    r2 = moose.Reac('/m/r2')
    r2.Kf, r2.Kb = 0.02, 0.0
    moose.connect(r2, 'sub', p, 'reac')
    moose.connect(r2, 'prd', a, 'reac')
    moose.connect(r2, 'prd', b, 'reac')
    k = moose.Ksolve('/m/k')
    s = moose.Stoich('/m/s')
    s.compartment, s.ksolve, s.reacSystemPath = mesh, k, '/m/##'
    moose.reinit()
    for t in parts:
        moose.start(t)
    out = np.array([x.n for x in (a, b, c, e, p)])
    moose.delete('/m')
    return out


def test_rk5_same_numbers_however_the_run_is_split():
    one = _run([300.0])
    # 123.4 s is 1234 ticks of 0.1 s: with tick ends counted from each
    # call's start the state differed by ~1e-15 relative
    assert np.array_equal(_run([123.4, 176.6]), one)
    assert np.array_equal(_run([0.1 * 7, 299.3]), one)
    assert np.array_equal(_run([100.0, 100.0, 100.0]), one)


def test_rk5_tick_ends_are_the_clock_step_times():
    from moosepy.core import clock as ck
    from moosepy.kinetics import ksolve
    _run([1.0])                 # schedules the default clocks
    mesh = moose.CubeMesh('/g')
    moose.Pool('/g/a').concInit = 1.0
    k = moose.Ksolve('/g/k')
    s = moose.Stoich('/g/s')
    s.compartment, s.ksolve, s.reacSystemPath = mesh, k, '/g/##'
    moose.reinit()
    el = k._el if hasattr(k, '_el') else k.element
    s0 = ck.clock.current_step
    t0 = ck.step_time(s0)
    t1 = ck.step_time(s0 + 1234 * ck.clock.strides[el.tick])
    ends = ksolve._tick_ends(el, t0, t1)
    want = [ck.step_time(s0 + i * ck.clock.strides[el.tick]) for i in range(1, 1235)]
    assert np.array_equal(ends, want)
