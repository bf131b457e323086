"""Bad kinetic input raises a clear moosepy error and leaves the tree as it
was (same elements, same field values, same messages)."""

import re

import numpy as np
import pytest

import moosepy as moose

VOL = 1e-18


# ----------------------------------------------------------------- helpers
def tree():
    return [o.path for o in moose.wildcardFind('/##')]


def msg_counts(*objs):
    return [len(moose.neighbors(o, '*')) for o in objs]


def plain(path):
    """'/m[0]/r[0]' -> '/m/r'."""
    return re.sub(r'\[0\]', '', path)


def names(obj, msg):
    """True when the error message names obj's path (with or without [0])."""
    return plain(obj.path) in plain(msg)


def snapshot(fields):
    """fields: list of (object, field name)."""
    out = []
    for o, f in fields:
        v = getattr(o, f)
        out.append(np.asarray(v).tolist() if isinstance(v, np.ndarray) else v)
    return out


def make_model(with_solver=True, compartment=True):
    mesh = moose.CubeMesh('/m')
    mesh.volume = VOL
    a = moose.Pool('/m/a')
    a.concInit = 1.0
    b = moose.Pool('/m/b')
    b.concInit = 0.5
    r = moose.Reac('/m/r')
    moose.connect(r, 'sub', a, 'reac')
    moose.connect(r, 'prd', b, 'reac')
    r.Kf, r.Kb = 0.1, 0.05
    tab = moose.Table2('/m/tab')
    moose.connect(tab, 'requestOut', a, 'getConc')
    st = ks = None
    if with_solver:
        ks = moose.Ksolve('/m/ksolve')
        st = moose.Stoich('/m/stoich')
        if compartment:
            st.compartment = mesh
        st.ksolve = ks
        st.reacSystemPath = '/m/##'
    return dict(mesh=mesh, a=a, b=b, r=r, tab=tab, stoich=st, ksolve=ks)


def std_fields(m):
    return [(m['a'], 'concInit'), (m['a'], 'nInit'), (m['a'], 'n'), (m['b'], 'concInit'),
            (m['b'], 'n'), (m['r'], 'Kf'), (m['r'], 'Kb'), (m['mesh'], 'volume')]


# ----------------------------------------------------------------- solver build
def test_reac_without_substrates_raises_at_reinit():
    m = make_model()
    bad = moose.Reac('/m/bad')
    moose.connect(bad, 'prd', m['b'], 'reac')
    bad.Kf = 1.0
    before, fields = tree(), std_fields(m) + [(bad, 'Kf'), (bad, 'Kb')]
    vals, msgs = snapshot(fields), msg_counts(m['a'], m['b'], m['r'], bad)
    with pytest.raises(moose.SolverError) as ei:
        moose.reinit()
    assert names(bad, str(ei.value)), str(ei.value)
    assert 'sub' in str(ei.value)
    assert tree() == before
    assert snapshot(fields) == vals
    assert msg_counts(m['a'], m['b'], m['r'], bad) == msgs
    # fixing the model makes it run
    moose.delete(bad)
    moose.reinit()
    moose.start(1)
    assert m['a'].conc < 1.0


def test_stoich_without_compartment_raises_at_reinit():
    m = make_model(compartment=False)
    before, fields = tree(), std_fields(m)
    vals = snapshot(fields)
    with pytest.raises(moose.SolverError) as ei:
        moose.reinit()
    msg = str(ei.value)
    assert names(m['stoich'], msg), msg
    assert 'compartment' in msg
    assert tree() == before
    assert snapshot(fields) == vals
    m['stoich'].compartment = m['mesh']
    moose.reinit()
    moose.start(1)
    assert m['a'].conc < 1.0


def test_pool_outside_reac_system_path_raises_naming_both():
    m = make_model()
    moose.Neutral('/other')
    outside = moose.Pool('/other/c')
    outside.concInit = 0.2
    r2 = moose.Reac('/m/r2')
    moose.connect(r2, 'sub', m['a'], 'reac')
    moose.connect(r2, 'prd', outside, 'reac')
    fields = std_fields(m) + [(outside, 'concInit'), (outside, 'n'), (r2, 'Kf')]
    before, vals = tree(), snapshot(fields)
    with pytest.raises(moose.SolverError) as ei:
        moose.reinit()
    msg = str(ei.value)
    assert names(r2, msg), msg
    assert names(outside, msg), msg
    assert tree() == before
    assert snapshot(fields) == vals


def test_failed_rebuild_keeps_previous_solver_state():
    """A model broken after a good run: reinit raises, pools keep their values."""
    m = make_model()
    moose.reinit()
    moose.start(2)
    a_conc = m['a'].conc
    bad = moose.Reac('/m/bad')
    moose.connect(bad, 'prd', m['a'], 'reac')
    before, fields = tree(), std_fields(m)
    vals = snapshot(fields)
    with pytest.raises(moose.SolverError):
        moose.reinit()
    assert tree() == before
    assert snapshot(fields) == vals
    assert m['a'].conc == a_conc


# ----------------------------------------------------------------- field values
@pytest.mark.parametrize('vol', [-1e-18, 0.0, float('nan')])
def test_bad_volume_raises(vol):
    m = make_model(with_solver=False)
    before, fields = tree(), std_fields(m)
    vals = snapshot(fields)
    with pytest.raises(moose.FieldError) as ei:
        m['mesh'].volume = vol
    assert names(m['mesh'], str(ei.value))
    assert 'volume' in str(ei.value)
    assert tree() == before
    assert snapshot(fields) == vals
    assert m['mesh'].volume == pytest.approx(VOL)


@pytest.mark.parametrize('field', ['concInit', 'nInit', 'conc', 'n'])
@pytest.mark.parametrize('cls', ['Pool', 'BufPool'])
def test_negative_pool_values_raise(field, cls):
    mesh = moose.CubeMesh('/m')
    mesh.volume = VOL
    p = getattr(moose, cls)('/m/p')
    p.concInit = 0.7
    fields = [(p, 'concInit'), (p, 'nInit'), (p, 'conc'), (p, 'n')]
    before, vals = tree(), snapshot(fields)
    with pytest.raises(moose.FieldError) as ei:
        setattr(p, field, -1.0)
    assert names(p, str(ei.value))
    assert field in str(ei.value)
    assert tree() == before
    assert snapshot(fields) == vals


def test_negative_conc_under_solver_raises():
    m = make_model()
    moose.reinit()
    moose.start(1)
    fields = std_fields(m)
    before, vals = tree(), snapshot(fields)
    with pytest.raises(moose.FieldError):
        m['a'].conc = -0.5
    assert tree() == before
    assert snapshot(fields) == vals


@pytest.mark.parametrize('allow', ['default', False])
def test_function_unknown_variable_raises(allow):
    """moosepy differs from MOOSE on purpose: unknown names raise unless
    allowUnknownVariable is set True first."""
    m = make_model(with_solver=False)
    f = moose.Function('/m/b/f')
    if allow != 'default':
        f.allowUnknownVariable = allow
    f.expr = '2*x0'
    moose.connect(m['a'], 'nOut', f.x[0], 'input')
    fields = std_fields(m) + [(f, 'expr'), (f, 'numVars')]
    before, vals = tree(), snapshot(fields)
    with pytest.raises(moose.FieldError) as ei:
        f.expr = '2*x0 + kk'
    assert 'kk' in str(ei.value)
    assert names(f, str(ei.value))
    assert tree() == before
    assert snapshot(fields) == vals


def test_unknown_ksolve_method_lists_valid():
    m = make_model()
    ks = m['ksolve']
    ks.method = 'lsoda'
    before, fields = tree(), std_fields(m) + [(ks, 'method')]
    vals = snapshot(fields)
    for bad in ('foo', 'euler', 'gillespie'):
        with pytest.raises(moose.FieldError) as ei:
            ks.method = bad
        msg = str(ei.value)
        assert bad in msg
        for valid in ('rk5', 'lsoda', 'rk4', 'rk8', 'rkck'):
            assert valid in msg, msg
        assert names(ks, msg)
    assert ks.method == 'lsoda'
    assert tree() == before
    assert snapshot(fields) == vals


# ----------------------------------------------------------------- messages
@pytest.mark.parametrize('target', ['table_input', 'neutral', 'table_reac', 'pool'])
def test_pool_reac_to_non_reaction_raises(target):
    m = make_model(with_solver=False)
    t2 = moose.Table2('/m/t2')
    nt = moose.Neutral('/m/nt')
    objs = [m['a'], m['b'], m['r'], t2, nt]
    fields = std_fields(m)
    before, vals, msgs = tree(), snapshot(fields), msg_counts(*objs)
    with pytest.raises(moose.MessageError):
        if target == 'table_input':
            moose.connect(m['a'], 'reac', t2, 'input')
        elif target == 'neutral':
            moose.connect(m['a'], 'reac', nt, 'reac')
        elif target == 'table_reac':
            moose.connect(m['r'], 'sub', t2, 'reac')
        else:
            # a pool's 'reac' joins a reaction's sub/prd, never another pool
            moose.connect(m['a'], 'reac', m['b'], 'reac')
    assert tree() == before
    assert snapshot(fields) == vals
    assert msg_counts(*objs) == msgs


def test_unknown_port_raises_message_error():
    m = make_model(with_solver=False)
    objs = [m['a'], m['r']]
    before, msgs = tree(), msg_counts(*objs)
    with pytest.raises(moose.MessageError) as ei:
        moose.connect(m['r'], 'subb', m['a'], 'reac')
    assert 'subb' in str(ei.value)
    assert tree() == before
    assert msg_counts(*objs) == msgs


@pytest.mark.parametrize('case', ['enz_no_cplx', 'enz_no_enzyme', 'mmenz_no_enzyme',
                                  'mmenz_no_sub'])
def test_incomplete_enzyme_raises_at_reinit(case):
    m = make_model()
    e = moose.Pool('/m/e')
    e.concInit = 0.01
    if case.startswith('enz'):
        enz = moose.Enz('/m/e/enz')
        if case != 'enz_no_enzyme':
            moose.connect(enz, 'enz', e, 'reac')
        if case != 'enz_no_cplx':
            cplx = moose.Pool('/m/e/enz/cplx')
            moose.connect(enz, 'cplx', cplx, 'reac')
        moose.connect(enz, 'sub', m['a'], 'reac')
        moose.connect(enz, 'prd', m['b'], 'reac')
    else:
        enz = moose.MMenz('/m/e/mm')
        if case != 'mmenz_no_enzyme':
            moose.connect(e, 'nOut', enz, 'enzDest')
        if case != 'mmenz_no_sub':
            moose.connect(enz, 'sub', m['a'], 'reac')
        moose.connect(enz, 'prd', m['b'], 'reac')
    fields = std_fields(m) + [(enz, 'Km'), (enz, 'kcat'), (e, 'concInit')]
    before, vals = tree(), snapshot(fields)
    with pytest.raises(moose.SolverError) as ei:
        moose.reinit()
    assert names(enz, str(ei.value)), str(ei.value)
    assert tree() == before
    assert snapshot(fields) == vals


@pytest.mark.parametrize('obj,field,value', [
    ('reac', 'Kf', -1.0), ('reac', 'Kb', -0.5), ('reac', 'numKf', -1.0),
    ('reac', 'Kf', float('nan')), ('mmenz', 'Km', 0.0), ('mmenz', 'Km', -1.0),
    ('mmenz', 'kcat', -1.0), ('enz', 'k2', -1.0), ('enz', 'concK1', 0.0),
    ('enz', 'Km', -0.1)])
def test_bad_rate_values_raise(obj, field, value):
    m = make_model(with_solver=False)
    target = {'reac': m['r'], 'mmenz': moose.MMenz('/m/a/mm'),
              'enz': moose.Enz('/m/a/enz')}[obj]
    fields = std_fields(m) + [(target, f) for f in ('Kf', 'Kb', 'Km', 'kcat', 'k2', 'concK1')
                              if hasattr(target, f)]
    before, vals = tree(), snapshot(fields)
    with pytest.raises(moose.FieldError) as ei:
        setattr(target, field, value)
    assert names(target, str(ei.value))
    assert tree() == before
    assert snapshot(fields) == vals
