"""DiffAmp, RC and PIDController against closed forms (RC charging, the
difference of known inputs, a textbook trapezoid PID on a constant error)
and a voltage-clamp circuit traced by pymoose 5.0.0 (with and without an
HSolve)."""

import numpy as np
import pytest

import moosepy as moose
from side_pymoose import run_both


def _clocks(dt):
    for t in range(10):
        moose.setClock(t, dt)


def _const(path, level):
    """A PulseGen holding *level* from t = 0 (baseLevel)."""
    pg = moose.PulseGen(path)
    pg.baseLevel = level
    return pg


def test_rc_charges_exactly():
    """V(t) = V0 e^{-t/RC} + R I (1 - e^{-t/RC}) for I = inject + injectIn
    (a PulseGen on tick 0 delivers before the RC's tick 2 step)."""
    dt, R, C, V0 = 1e-4, 2e3, 5e-6, 0.3
    rc = moose.RC('/rc')
    rc.R, rc.C, rc.V0, rc.inject = R, C, V0, 1e-4
    moose.connect(_const('/pg', 0.5e-4), 'output', rc, 'injectIn')
    t_v = moose.Table('/tv')
    moose.connect(t_v, 'requestOut', rc, 'getState')
    _clocks(dt)
    moose.reinit()
    moose.start(0.05)
    t = np.arange(len(t_v.vector)) * dt
    x = np.exp(-t / (R * C))
    want = V0 * x + R * 1.5e-4 * (1 - x)
    assert np.max(np.abs(t_v.vector - want)) < 1e-14


def test_diffamp_sums_and_saturates():
    """output = gain (sum plusIn - sum minusIn) of each step, clipped to
    ±saturation; inputs do not carry over to the next step."""
    moose.Neutral('/m')
    amp = moose.DiffAmp('/m/amp')
    amp.gain = 3.0
    moose.connect(_const('/m/p1', 0.2), 'output', amp, 'plusIn')
    moose.connect(_const('/m/p2', 0.05), 'output', amp, 'plusIn')
    moose.connect(_const('/m/m1', 0.4), 'output', amp, 'minusIn')
    sat = moose.DiffAmp('/m/sat')
    sat.gain, sat.saturation = 100.0, 2.5
    moose.connect(_const('/m/p3', 1.0), 'output', sat, 'plusIn')
    tabs = [moose.Table(f'/m/t{k}') for k in range(2)]
    moose.connect(tabs[0], 'requestOut', amp, 'getOutputValue')
    moose.connect(tabs[1], 'requestOut', sat, 'getOutputValue')
    _clocks(1e-3)
    moose.reinit()
    moose.start(0.01)
    assert tabs[0].vector[0] == 0.0
    assert np.allclose(tabs[0].vector[1:], 3.0 * (0.25 - 0.4), rtol=1e-14)
    assert np.all(tabs[1].vector[1:] == 2.5)
    sat.gain = -100.0
    moose.start(0.002)
    assert sat.outputValue == -2.5


def test_pid_on_a_constant_error_is_the_trapezoid_pid():
    """command - sensed = E from the first step (sensed, e_previous start at
    0): integral_k = dt E (k - 1/2), derivative E/dt at step 1 then 0,
    output = gain (E + integral/tauI + tauD derivative); tauI = 0 becomes
    dt at reinit.  With saturation the output clips and the integral stops
    growing (anti-windup)."""
    dt, E, gain, tauD = 1e-3, 0.3, 2.0, 5e-3
    pid = moose.PIDController('/pid')
    pid.gain, pid.tauD = gain, tauD
    moose.connect(_const('/cmd', 1.0), 'output', pid, 'commandIn')
    moose.connect(_const('/sen', 1.0 - E), 'output', pid, 'sensedIn')
    sat = moose.PIDController('/sat')
    sat.gain, sat.tauI, sat.saturation = gain, 0.1, 0.9
    moose.connect(_const('/cmd2', E), 'output', sat, 'commandIn')
    t_out, t_int, t_sat = moose.Table('/to'), moose.Table('/ti'), moose.Table('/ts')
    moose.connect(t_out, 'requestOut', pid, 'getOutputValue')
    moose.connect(t_int, 'requestOut', sat, 'getIntegral')
    moose.connect(t_sat, 'requestOut', sat, 'getOutputValue')
    _clocks(dt)
    moose.reinit()
    assert pid.tauI == dt
    moose.start(0.1)
    k = np.arange(1, len(t_out.vector))
    integral = dt * E * (k - 0.5)
    deriv = np.where(k == 1, E / dt, 0.0)
    want = gain * (E + integral / dt + tauD * deriv)
    assert np.allclose(t_out.vector[1:], want, rtol=1e-12)
    # saturated: gain (E + I/0.1) reaches 0.9 once I = 0.015, i.e. after
    # 50 steps of dt E; from then on the output stays at 0.9, I does not grow
    assert np.max(t_sat.vector) == 0.9
    assert np.max(t_int.vector) <= 0.015 + 1e-12
    assert t_int.vector[-1] == t_int.vector[-2]


def test_bad_values_are_refused():
    rc = moose.RC('/rc')
    with pytest.raises(moose.FieldError, match=r'rc.*R.*> 0'):
        rc.R = 0.0
    with pytest.raises(moose.FieldError, match=r'rc.*C'):
        rc.C = -1.0
    with pytest.raises(moose.FieldError, match=r'saturation.*> 0'):
        moose.PIDController('/pid').saturation = 0.0
    with pytest.raises(moose.FieldError, match=r'saturation'):
        moose.DiffAmp('/amp').saturation = -1.0
    with pytest.raises(moose.FieldError, match='read-only'):
        moose.PIDController('/pid').error = 1.0


_CLAMP = r'''
import sys, json
import numpy as np
if sys.argv[1] == 'moose':
    import moose
else:
    import moosepy as moose
SOLVE = sys.argv[2] == 'hsolve'
DT = 1e-5
moose.Neutral('/cell')
c = moose.Compartment('/cell/soma')
c.Rm, c.Cm, c.Em, c.initVm, c.Ra = 1e8, 1e-10, -0.065, -0.065, 1e6
d = moose.Compartment('/cell/dend')
d.Rm, d.Cm, d.Em, d.initVm, d.Ra = 1e8, 1e-10, -0.065, -0.065, 1e6
moose.connect(c, 'axial', d, 'raxial')
pg = moose.PulseGen('/pg')
pg.baseLevel = -0.065
pg.delay[0], pg.width[0], pg.level[0], pg.delay[1] = 2e-3, 5e-3, -0.02, 1e9
rc = moose.RC('/rc')
rc.R, rc.C, rc.V0 = 1.0, 1e-4, -0.065
amp = moose.DiffAmp('/amp')
amp.gain, amp.saturation = 1.0, 1e10
amp2 = moose.DiffAmp('/amp2')
amp2.gain, amp2.saturation = 2.0, 0.01
pid = moose.PIDController('/pid')
pid.gain, pid.tauI, pid.tauD, pid.saturation = 1e-7, 2e-4, 2e-5, 1e-8
moose.connect(pg, 'output', rc, 'injectIn')
moose.connect(rc, 'output', amp, 'plusIn')
moose.connect(amp, 'output', pid, 'commandIn')
moose.connect(c, 'VmOut', pid, 'sensedIn')
moose.connect(pid, 'output', c, 'injectMsg')
moose.connect(pg, 'output', amp2, 'plusIn')
moose.connect(c, 'VmOut', amp2, 'minusIn')
tabs = {}
for name, obj, f in (('vm', c, 'Vm'), ('vd', d, 'Vm'), ('out', pid, 'OutputValue'),
                     ('rc', rc, 'State'), ('amp', amp, 'OutputValue'),
                     ('amp2', amp2, 'OutputValue'), ('err', pid, 'Error'),
                     ('int', pid, 'Integral'), ('der', pid, 'Derivative')):
    t = moose.Table('/t' + name)
    moose.connect(t, 'requestOut', obj, 'get' + f)
    tabs[name] = t
for t in range(10):
    moose.setClock(t, DT)
if SOLVE:
    hs = moose.HSolve('/cell/hsolve'); hs.dt = DT; hs.target = '/cell/soma'
moose.reinit()
moose.start(0.012)
out = {k: list(map(float, t.vector)) for k, t in tabs.items()}
out['tauI'] = [pid.tauI]
print('JSON' + json.dumps(out))
'''


@pytest.mark.parametrize('mode', ['plain', 'hsolve'])
def test_clamp_circuit_equals_pymoose(mode):
    """A PulseGen command through an RC low-pass and a DiffAmp into a
    PIDController that clamps a two-compartment cell (sensed from the
    soma's VmOut, current into its injectMsg), plus a saturating DiffAmp of
    command - Vm; with message passing and under an HSolve.  Every trace
    equals pymoose 5.0.0's to rounding (the compartment's Vm at reinit
    reaches the tick-0 devices before their first step, as in MOOSE)."""
    out = run_both(_CLAMP.replace("sys.argv[2] == 'hsolve'", f"{mode == 'hsolve'}"))
    m, p = out['moose'], out['moosepy']
    scale = {'vm': 0.1, 'vd': 0.1, 'out': 1e-8, 'rc': 0.1, 'amp': 0.1, 'amp2': 0.01,
             'err': 0.1, 'int': 1e-4, 'der': 1e3}
    for k, s in scale.items():
        assert len(m[k]) == len(p[k]) == 1201, k
        assert np.max(np.abs(m[k] - p[k])) < 1e-12 * s, k
    assert np.max(np.abs(m['out'])) == 1e-8                  # it saturated
    assert np.max(m['vm']) - np.min(m['vm']) > 0.01          # and clamped
    assert m['tauI'][0] == p['tauI'][0] == 2e-4


_DEFAULTS = r'''
import sys, json
if sys.argv[1] == 'moose':
    import moose
else:
    import moosepy as moose
out = {}
for c in ('DiffAmp', 'RC', 'PIDController'):
    o = getattr(moose, c)('/x' + c)
    skip = ('this', 'me', 'parent', 'children', 'path', 'name', 'msgOut', 'msgIn', 'className',
            'fieldIndex', 'dataIndex', 'idValue', 'index', 'numData', 'numField',
            'valueFields', 'sourceFields', 'destFields', 'dt')
    out[c] = {f: float(getattr(o, f)) for f in moose.getFieldNames(c, 'valueFinfo')
              if f not in skip}
moose.setClock(0, 2e-5)
moose.reinit()
out['tauI_after_reinit'] = moose.element('/xPIDController').tauI
print('JSON' + json.dumps(out))
'''


def test_fields_and_defaults_equal_pymoose():
    out = run_both(_DEFAULTS)
    assert out['moose'] == out['moosepy']
