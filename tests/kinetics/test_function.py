"""Function: expression syntax (MOOSE/ExprTk), errors, and Functions inside
a Ksolve model (nOut -> x, valueOut -> setN/setConc/setNumKf/increment,
rateOut -> increment, expressions in t).

Values of the syntax table follow PYMOOSE_NOTES.md section 4 (x0 = 3).
"""

import builtins
import math
import os

import numpy as np
import pytest

import moosepy as moose

NA = 6.02214076e23
VOL = 1e-18
NAV = NA * VOL


def run_expr(expr, xs=(3.0,), runtime=0.1, path='/f'):
    """Evaluate *expr* the MOOSE way: a Function on its own tick (12, dt 0.1)."""
    f = moose.Function(path)
    f.expr = expr
    for i, v in enumerate(xs):
        if i < f.x.num:
            f.x[i].value = v
    moose.reinit()
    moose.start(runtime)
    return f, f.value


# ------------------------------------------------------------ syntax table
CASES = [
    ('x0^2', 9.0),
    ('x0**2', 9.0),
    ('2^3^2', 512.0),                 # right associative
    ('-x0^2', -9.0),                  # unary minus binds looser than ^
    ('(-x0)^2', 9.0),
    ('2+3*4', 14.0),
    ('(2+3)*4', 20.0),
    ('10-4-3', 3.0),                  # left associative
    ('8/2/2', 2.0),
    ('2*x0^2', 18.0),
    ('-2^2', -4.0),
    ('3e2', 300.0),
    ('1.5e-1*10', 1.5),
    ('x0>1?2:3', 2.0),
    ('x0<1?2:3', 3.0),
    ('x0>5?1:x0>2?2:3', 2.0),          # nested ternary
    ('if(x0>1,2,3)', 2.0),
    ('if(x0<1,2,3)', 3.0),
    ('(x0>1)&&(x0<5)', 1.0),
    ('(x0>1)&&(x0>5)', 0.0),
    ('x0 && 0', 0.0),
    ('x0 || 0', 1.0),
    ('0 || 0', 0.0),
    ('x0 == 3', 1.0),
    ('x0 != 3', 0.0),
    ('x0 < 3', 0.0),
    ('x0 <= 3', 1.0),
    ('x0 > 2', 1.0),
    ('x0 >= 4', 0.0),
    ('1 + (x0 > 2)', 2.0),
    ('exp(x0)', math.exp(3)),
    ('exp(1)', math.e),
    ('log(x0)', math.log(3)),         # natural log, as ExprTk
    ('ln(x0)', math.log(3)),
    ('log10(x0)', math.log10(3)),
    ('log2(8)', 3.0),
    ('sqrt(x0)', math.sqrt(3)),
    ('abs(-x0)', 3.0),
    ('min(x0,1)', 1.0),
    ('max(x0,1)', 3.0),
    ('pow(x0,2)', 9.0),
    ('sin(x0)', math.sin(3)),
    ('cos(x0)', math.cos(3)),
    ('tan(x0)', math.tan(3)),
    ('tanh(0.5)', math.tanh(0.5)),
    ('floor(2.7)', 2.0),
    ('ceil(2.2)', 3.0),
    ('sgn(-x0)', -1.0),
    ('fmod(x0,2)', 1.0),
    ('x0%2', 1.0),
    ('pi', math.pi),
    ('2*pi', 2 * math.pi),
    ('not(x0)', 0.0),
    ('not(0)', 1.0),
    ('sum(1,2,x0)', 6.0),
    ('avg(1,2,x0)', 2.0),
]


@pytest.mark.parametrize('expr,expected', CASES, ids=[c[0] for c in CASES])
def test_expression_values(expr, expected):
    _f, v = run_expr(expr)
    assert v == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_division_by_zero_is_inf():
    _f, v = run_expr('1/0')
    assert v == math.inf


def test_two_inputs_and_numvars():
    f, v = run_expr('x0*x1 - x1', xs=(3.0, 4.0))
    assert f.x.num == 2
    assert f.numVars == 2
    assert v == pytest.approx(8.0)


def test_rand_in_range():
    f, v = run_expr('rand()')
    assert 0.0 <= v < 1.0
    _f2, v2 = run_expr('rand2(5, 6)', path='/f2')
    assert 5.0 <= v2 <= 6.0


def test_time_variable():
    f, v = run_expr('x0*2 + t', runtime=0.3)
    assert moose.element('/clock').currentTime == pytest.approx(0.3)
    assert v == pytest.approx(6.3, rel=1e-12)


def test_constants_c_lookup():
    f = moose.Function('/f')
    f.c['k'] = 2.0
    f.expr = 'k*x0 + 1'
    f.x[0].value = 3.0
    assert f.c['k'] == 2.0
    moose.reinit()
    moose.start(0.1)
    assert f.value == pytest.approx(7.0)
    f.c['k'] = 5.0                    # a new constant value is used at once
    moose.start(0.1)
    assert f.value == pytest.approx(16.0)


# ------------------------------------------------------------ errors
def test_unknown_name_raises_by_default():
    """moosepy differs from MOOSE on purpose: an unknown name raises (MOOSE
    silently turns it into a new x entry)."""
    f = moose.Function('/f')
    f.expr = 'x0 + 1'
    with pytest.raises(moose.FieldError) as ei:
        f.expr = 'x0 + foo'
    msg = str(ei.value)
    assert 'foo' in msg
    assert '/f' in msg
    assert f.expr == 'x0 + 1'
    assert f.x.num == 1


def test_unknown_name_raises_when_disallowed():
    f = moose.Function('/f')
    f.allowUnknownVariable = False
    f.expr = '2*x0'
    with pytest.raises(moose.FieldError) as ei:
        f.expr = '10*foo + x0'
    assert 'foo' in str(ei.value)
    assert '/f' in str(ei.value)
    assert f.expr == '2*x0'


def test_unknown_name_is_constant_when_allowed():
    f = moose.Function('/f')
    f.allowUnknownVariable = True
    f.expr = '10*foo + x0'
    assert f.x.num == 1                    # foo does not take an x slot
    f.x[0].value = 1.0
    moose.reinit()
    moose.start(0.1)
    assert f.value == pytest.approx(1.0)   # foo = 0 until set
    f.c['foo'] = 2.0
    moose.start(0.1)
    assert f.value == pytest.approx(21.0)


BAD = ['x0 +', '(x0*2', 'x0 )', '2 ** ', 'x0 2', '3 +* 4', 'x0 $ 2', 'max(1)',
       'sin()', 'if(1,2)', 'foo(2)', 'x0 ? 1', "x0 'a'", '()', 'x0,1']


@pytest.mark.parametrize('bad', BAD)
def test_syntax_error_raises_and_keeps_old_expr(bad):
    f = moose.Function('/f')
    f.allowUnknownVariable = True
    f.expr = 'x0 + 2'
    f.x[0].value = 3.0
    with pytest.raises(moose.FieldError) as ei:
        f.expr = bad
    assert '/f' in str(ei.value)
    assert f.expr == 'x0 + 2'
    assert f.x.num == 1
    moose.reinit()
    moose.start(0.1)
    assert f.value == pytest.approx(5.0)


MALICIOUS = ['__import__("os")', "__import__('os').system('echo pwned')",
             'x0.__class__', 'lambda: 0', 'open("/etc/passwd")', '[x0]',
             '(1).__class__.__bases__', 'x0; import os', 'exec("1")', 'eval("1")']


@pytest.mark.parametrize('bad', MALICIOUS)
def test_never_uses_eval(bad, monkeypatch, tmp_path):
    f = moose.Function('/f')
    f.expr = '2'
    calls = []

    def trap(*a, **k):
        calls.append(a)
        raise AssertionError('eval/exec called')
    monkeypatch.setattr(builtins, 'eval', trap)
    monkeypatch.setattr(builtins, 'exec', trap)
    for allow in (False, True):
        f.allowUnknownVariable = allow
        with pytest.raises(moose.FieldError):
            f.expr = bad
    assert f.expr == '2'
    assert not calls


def test_valid_expressions_do_not_call_eval(monkeypatch):
    def trap(*a, **k):
        raise AssertionError('eval/exec called')
    monkeypatch.setattr(builtins, 'eval', trap)
    monkeypatch.setattr(builtins, 'exec', trap)
    f, v = run_expr('x0 > 1 ? sqrt(x0^2) + pi : 0')
    assert v == pytest.approx(3 + math.pi)


# ------------------------------------------------------------ inside a Ksolve
def make_mesh(path='/m'):
    mesh = moose.CubeMesh(path)
    mesh.volume = VOL
    return mesh


def make_table(obj, field='getConc', name=None):
    if not moose.exists('/graphs'):
        moose.Neutral('/graphs')
    tab = moose.Table2('/graphs/' + (name or obj.name))
    moose.connect(tab, 'requestOut', obj, field)
    return tab


def attach_solver(mesh, method='rk5'):
    ks = moose.Ksolve(mesh.path + '/ksolve')
    ks.method = method
    st = moose.Stoich(mesh.path + '/stoich')
    st.compartment = mesh
    st.ksolve = ks
    st.reacSystemPath = mesh.path + '/##'
    return st, ks


def decaying_source(mesh):
    a = moose.Pool(mesh.path + '/a')
    a.concInit = 1.0
    r = moose.Reac(mesh.path + '/r')
    moose.connect(r, 'sub', a, 'reac')
    r.Kf, r.Kb = 0.1, 0.0
    return a


@pytest.mark.parametrize('method', ['rk5', 'lsoda'])
@pytest.mark.parametrize('bcls', ['Pool', 'BufPool'])
def test_function_setN_follows_expression(bcls, method):
    mesh = make_mesh()
    a = decaying_source(mesh)
    b = getattr(moose, bcls)(mesh.path + '/b')
    b.concInit = 0.3
    f = moose.Function(b.path + '/f')
    f.expr = '2*x0'
    moose.connect(a, 'nOut', f.x[0], 'input')
    moose.connect(f, 'valueOut', b, 'setN')
    ta, tb = make_table(a), make_table(b)
    attach_solver(mesh, method)
    moose.reinit()
    assert b.conc == pytest.approx(0.3)             # not applied at reinit
    moose.start(5)
    va, vb = ta.vector, tb.vector
    assert len(vb) == 6
    assert vb[0] == pytest.approx(0.3)              # MOOSE: b's own concInit at t=0
    np.testing.assert_allclose(vb[1:], 2 * va[1:], rtol=1e-6)
    np.testing.assert_allclose(va, np.exp(-0.1 * np.arange(6)), rtol=1e-5)
    assert b.className == bcls
    assert b.conc == pytest.approx(2 * a.conc, rel=1e-6)


def test_function_setConc_target():
    """valueOut -> setConc: the value is taken as a concentration (mM); with
    an nOut input, b.conc = 2e-6 * a.n."""
    mesh = make_mesh()
    a = decaying_source(mesh)
    b = moose.BufPool(mesh.path + '/b')
    b.concInit = 0.3
    f = moose.Function(b.path + '/f')
    f.expr = '2e-6*x0'
    moose.connect(a, 'nOut', f.x[0], 'input')
    moose.connect(f, 'valueOut', b, 'setConc')
    tna, tb = make_table(a, 'getN', 'an'), make_table(b)
    attach_solver(mesh)
    moose.reinit()
    moose.start(5)
    np.testing.assert_allclose(tb.vector[1:], 2e-6 * tna.vector[1:], rtol=1e-6)
    assert b.conc == pytest.approx(2e-6 * a.n, rel=1e-6)


@pytest.mark.parametrize('method', ['rk5', 'lsoda'])
def test_function_setNumKf_modulates_rate(method):
    """numKf of a first-order reaction = 0.05 * ctrl.conc = 0.1/s, overriding Kf."""
    mesh = make_mesh()
    ctrl = moose.BufPool(mesh.path + '/ctrl')
    ctrl.concInit = 2.0
    a = moose.Pool(mesh.path + '/a')
    a.concInit = 1.0
    b = moose.Pool(mesh.path + '/b')
    r = moose.Reac(mesh.path + '/r')
    moose.connect(r, 'sub', a, 'reac')
    moose.connect(r, 'prd', b, 'reac')
    r.Kf, r.Kb = 5.0, 0.0
    f = moose.Function(r.path + '/f')
    f.expr = '0.05*x0/%r' % NAV
    moose.connect(ctrl, 'nOut', f.x[0], 'input')
    moose.connect(f, 'valueOut', r, 'setNumKf')
    ta, tb = make_table(a), make_table(b)
    attach_solver(mesh, method)
    moose.reinit()
    moose.start(10)
    t = np.arange(11.0)
    np.testing.assert_allclose(ta.vector, np.exp(-0.1 * t), rtol=1e-5)
    np.testing.assert_allclose(ta.vector + tb.vector, 1.0, rtol=1e-10)


def test_function_setNumKf_second_order():
    """A + B -> C with numKf from a Function (molecule units): the value is
    used as numKf directly, so Kf = value * NA * V = 0.5/(mM s) and
    A = 1/(1 + 0.5 t) for A0 = B0 = 1 mM."""
    mesh = make_mesh()
    ctrl = moose.BufPool(mesh.path + '/ctrl')
    ctrl.concInit = 1.0
    a, b, c = (moose.Pool(mesh.path + '/' + n) for n in 'abc')
    a.concInit = b.concInit = 1.0
    r = moose.Reac(mesh.path + '/r')
    moose.connect(r, 'sub', a, 'reac')
    moose.connect(r, 'sub', b, 'reac')
    moose.connect(r, 'prd', c, 'reac')
    r.Kf, r.Kb = 100.0, 0.0
    f = moose.Function(r.path + '/f')
    f.expr = '0.5*x0/(%r*%r)' % (NAV, NAV)
    moose.connect(ctrl, 'nOut', f.x[0], 'input')
    moose.connect(f, 'valueOut', r, 'setNumKf')
    ta = make_table(a)
    attach_solver(mesh)
    moose.reinit()
    moose.start(5)
    t = np.arange(6.0)
    np.testing.assert_allclose(ta.vector, 1 / (1 + 0.5 * t), rtol=1e-5)


@pytest.mark.parametrize('change', ['expr', 'c'])
def test_function_change_between_starts_takes_effect(change):
    mesh = make_mesh()
    a = decaying_source(mesh)
    b = moose.Pool(mesh.path + '/b')
    f = moose.Function(b.path + '/f')
    f.c['k'] = 2.0
    f.expr = 'k*x0'
    moose.connect(a, 'nOut', f.x[0], 'input')
    moose.connect(f, 'valueOut', b, 'setN')
    ta, tb = make_table(a), make_table(b)
    attach_solver(mesh)
    moose.reinit()
    moose.start(3)
    if change == 'expr':
        f.expr = '5*x0'
    else:
        f.c['k'] = 5.0
    moose.start(3)
    ratio = tb.vector[1:] / ta.vector[1:]
    np.testing.assert_allclose(ratio, [2, 2, 2, 5, 5, 5], rtol=1e-6)


@pytest.mark.parametrize('port', ['rateOut', 'valueOut'])
def test_function_increment_constant_rate(port):
    """'increment' takes d n/dt in #/s: a constant input rate gives linear
    growth.  rate = 0.01 * src.n #/s with src a BufPool at 1 mM, so
    b.conc grows by 0.01 mM/s."""
    mesh = make_mesh()
    src = moose.BufPool(mesh.path + '/src')
    src.concInit = 1.0
    b = moose.Pool(mesh.path + '/b')
    b.concInit = 0.2
    f = moose.Function(b.path + '/f')
    f.expr = '0.01*x0'
    moose.connect(src, 'nOut', f.x[0], 'input')
    moose.connect(f, port, b, 'increment')
    tb = make_table(b)
    attach_solver(mesh)
    moose.reinit()
    moose.start(10)
    t = np.arange(11.0)
    np.testing.assert_allclose(tb.vector, 0.2 + 0.01 * t, rtol=1e-6)
    assert b.n == pytest.approx(0.2 * NAV + 0.01 * NAV * 10, rel=1e-6)
    assert src.conc == pytest.approx(1.0)


def test_function_increment_harmonic_oscillator():
    """MOOSE's funcRateHarmonicOsc: p' = v - 10, v' = -0.1 (p - 10) in #/s.
    With p0 = 10, v0 = 11: p = 10 + sin(w t)/w, v = 10 + cos(w t), w^2 = 0.1."""
    mesh = make_mesh()
    p = moose.Pool(mesh.path + '/p')
    v = moose.Pool(mesh.path + '/v')
    p.nInit, v.nInit = 10.0, 11.0
    pdot = moose.Function(p.path + '/func')
    vdot = moose.Function(v.path + '/func')
    pdot.expr = 'x0 - 10'
    vdot.expr = '-0.1 * (x0 - 10)'
    moose.connect(v, 'nOut', pdot.x[0], 'input')
    moose.connect(p, 'nOut', vdot.x[0], 'input')
    moose.connect(pdot, 'valueOut', p, 'increment')
    moose.connect(vdot, 'valueOut', v, 'increment')
    tp, tv = make_table(p, 'getN'), make_table(v, 'getN')
    attach_solver(mesh)
    moose.reinit()
    moose.start(60)
    t = np.arange(61.0)
    w = math.sqrt(0.1)
    np.testing.assert_allclose(tp.vector, 10 + np.sin(w * t) / w, rtol=1e-5)
    np.testing.assert_allclose(tv.vector, 10 + np.cos(w * t), rtol=1e-5)


@pytest.mark.parametrize('method', ['rk5', 'lsoda'])
def test_function_of_time_drives_bufpool(method):
    """b.conc = 1 + 0.5 sin(0.5 t) via setConc; b feeds b -> c (Kf 0.2), so
    c ~ 0.2 (t + 1 - cos(0.5 t)) (MOOSE updates functions once per 0.1 s
    step, hence the looser tolerance on c)."""
    mesh = make_mesh()
    b = moose.BufPool(mesh.path + '/b')
    b.concInit = 1.0
    c = moose.Pool(mesh.path + '/c')
    r = moose.Reac(mesh.path + '/r')
    moose.connect(r, 'sub', b, 'reac')
    moose.connect(r, 'prd', c, 'reac')
    r.Kf, r.Kb = 0.2, 0.0
    f = moose.Function(b.path + '/f')
    f.expr = '1 + 0.5*sin(0.5*t)'
    moose.connect(f, 'valueOut', b, 'setConc')
    tb, tc = make_table(b), make_table(c)
    attach_solver(mesh, method)
    moose.reinit()
    moose.start(20)
    t = np.arange(21.0)
    np.testing.assert_allclose(tb.vector[1:], 1 + 0.5 * np.sin(0.5 * t[1:]), rtol=1e-6)
    np.testing.assert_allclose(tc.vector[1:], 0.2 * (t[1:] + 1 - np.cos(0.5 * t[1:])),
                               rtol=1e-2)


def test_function_without_solver_runs_on_its_tick():
    """No solver: the Function still runs; a Table2 on getValue shows t."""
    f = moose.Function('/f')
    f.expr = 't'
    tab = moose.Table2('/tab')
    moose.connect(tab, 'requestOut', f, 'getValue')
    moose.reinit()
    moose.start(5)
    v = tab.vector
    assert len(v) == 6
    assert v[0] == 0.0
    np.testing.assert_allclose(v[1:], np.arange(1.0, 6.0), rtol=1e-9)


del os
