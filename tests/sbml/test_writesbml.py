"""writeSBML: a model built with the MOOSE API, written and read back, gives
the same trajectories (1e-9 relative), and the file is consistent SBML."""

import importlib.util
from pathlib import Path

import libsbml
import numpy as np
import pytest

import moosepy as moose


def _build(path='/model'):
    moose.Neutral(path)
    c = moose.CubeMesh(f'{path}/cyt')
    c.volume = 2e-18
    d = moose.CubeMesh(f'{path}/nuc')
    d.volume = 5e-19
    pools = {}
    for name, conc, cls, comp in (('A', 1.0, moose.Pool, 'cyt'), ('B', 0.5, moose.Pool, 'cyt'),
                                  ('C', 0.0, moose.Pool, 'cyt'), ('D', 0.2, moose.Pool, 'cyt'),
                                  ('E', 0.01, moose.Pool, 'cyt'), ('F', 0.3, moose.BufPool, 'cyt'),
                                  ('N', 0.0, moose.Pool, 'nuc'), ('G', 0.0, moose.Pool, 'cyt')):
        p = cls(f'{path}/{comp}/{name}')
        p.concInit = conc
        pools[name] = p
    r = moose.Reac(f'{path}/cyt/r1')
    r.Kf, r.Kb = 2.0, 0.3
    for s in ('A', 'B'):
        moose.connect(r, 'sub', pools[s], 'reac')
    moose.connect(r, 'prd', pools['C'], 'reac')
    r2 = moose.Reac(f'{path}/cyt/r2')       # 2C -> N, across compartments
    r2.Kf, r2.Kb = 0.4, 0.05
    moose.connect(r2, 'sub', pools['C'], 'reac')
    moose.connect(r2, 'sub', pools['C'], 'reac')
    moose.connect(r2, 'prd', pools['N'], 'reac')
    mm = moose.MMenz(f'{path}/cyt/E/mm')
    mm.Km, mm.kcat = 0.1, 5.0
    moose.connect(pools['E'], 'nOut', mm, 'enzDest')
    moose.connect(mm, 'sub', pools['C'], 'reac')
    moose.connect(mm, 'prd', pools['D'], 'reac')
    ez = moose.Enz(f'{path}/cyt/F/ez')
    cplx = moose.Pool(f'{path}/cyt/F/ez/cplx')
    ez.Km, ez.kcat, ez.k2 = 0.05, 2.0, 8.0
    moose.connect(ez, 'enz', pools['F'], 'reac')
    moose.connect(ez, 'cplx', cplx, 'reac')
    moose.connect(ez, 'sub', pools['D'], 'reac')
    moose.connect(ez, 'prd', pools['A'], 'reac')
    f = moose.Function(f'{path}/cyt/G/f')    # G made at a rate set by F [#/s]
    f.expr = 'x0 * 0.5 + 3'
    # x0 through nOut -> x[0].input: a requestOut input is y0 in MOOSE
    moose.connect(pools['F'], 'nOut', f.x[0], 'input')
    moose.connect(f, 'valueOut', pools['G'], 'increment')
    return pools


def _run(path, solver_setup, tmax=20.0):
    pools = sorted(moose.wildcardFind(path + '/##[ISA=PoolBase]'), key=lambda p: p.name)
    tabs = []
    for p in pools:
        t = moose.Table2(f'{path}_tab_{p.name}_{len(tabs)}')
        moose.connect(t, 'requestOut', p, 'getConc')
        tabs.append((p.name, t))
    solver_setup()
    moose.reinit()
    moose.start(tmax)
    return {n: t.vector.copy() for n, t in tabs}


def test_round_trip_same_trajectories(tmp_path):
    _build('/model')

    def ksolve():
        for comp in ('cyt', 'nuc'):
            ks = moose.Ksolve(f'/model/{comp}/ksolve')
            ks.method = 'lsoda'
            ks.epsRel = 1e-12
            ks.epsAbs = 1e-12
            st = moose.Stoich(f'/model/{comp}/stoich')
            st.compartment = moose.element(f'/model/{comp}')
            st.ksolve = ks
            st.reacSystemPath = f'/model/{comp}/##'
    # one Stoich for both compartments: the cross-compartment reaction r2
    # needs both; use the cyt Stoich over the whole model
    def ksolve_whole():
        ks = moose.Ksolve('/model/cyt/ksolve')
        ks.method = 'lsoda'
        ks.epsRel = 1e-12
        ks.epsAbs = 1e-9
        st = moose.Stoich('/model/cyt/stoich')
        st.compartment = moose.element('/model/cyt')
        st.ksolve = ks
        st.reacSystemPath = '/model/##'
    a = _run('/model', ksolve_whole)
    f = tmp_path / 'rt.xml'
    assert moose.writeSBML('/model', str(f)) is True
    doc = libsbml.readSBML(str(f))
    doc.checkConsistency()
    errors = [doc.getError(i).getMessage() for i in range(doc.getNumErrors())
              if doc.getError(i).getSeverity() >= libsbml.LIBSBML_SEV_ERROR]
    assert errors == []
    moose.readSBML(str(f), '/back', build='engine')
    sol = moose.element('/back/sbml_solver')
    sol.epsRel = 1e-12
    b = _run('/back', lambda: None)
    assert set(a) == set(b) | {'cplx'} or set(a) == set(b)
    for name in b:
        x, y = a[name], b[name]
        assert len(x) == len(y) == 21
        scale = max(np.max(np.abs(x)), 1e-30)
        np.testing.assert_allclose(y, x, rtol=1e-9, atol=1e-9 * scale,
                                   err_msg=f'pool {name}')


def test_unwritable_driver_raises(tmp_path):
    _build('/model')
    p = moose.element('/model/cyt/A')
    st = moose.StimulusTable('/model/stim') if hasattr(moose, 'StimulusTable') else None
    if st is None:
        pytest.skip('StimulusTable not available')
    moose.connect(st, 'output', p, 'setConc')
    with pytest.raises(moose.ModelImportError, match='StimulusTable'):
        moose.writeSBML('/model', str(tmp_path / 'x.xml'))
    assert not (tmp_path / 'x.xml').exists()


ROOT = Path(__file__).resolve().parents[2]
KKIT = ROOT.parent / 'shared' / 'models-ref' / 'kkit'


def _compare_round_trip(tmp_path, build, names_of, tmax, solver_el):
    """Run the built model, write it, read it back, run again: pools agree
    to 1e-9 relative (of each trajectory's maximum)."""
    pools = build()
    ks = moose.element(solver_el)
    ks.epsRel = 1e-12
    ks.epsAbs = 1e-12
    tabs = {}
    for p in pools:
        t = moose.Table2(f'/rt_a_{len(tabs)}')
        moose.connect(t, 'requestOut', p, 'getConc')
        tabs[p.path] = t
    moose.reinit()
    moose.start(tmax)
    a = {k: t.vector.copy() for k, t in tabs.items()}
    f = tmp_path / 'rt.xml'
    moose.writeSBML('/model', str(f))
    doc = libsbml.readSBML(str(f))
    doc.checkConsistency()
    assert not [doc.getError(i).getMessage() for i in range(doc.getNumErrors())
                if doc.getError(i).getSeverity() >= libsbml.LIBSBML_SEV_ERROR]
    moose.readSBML(str(f), '/back', build='engine')
    moose.element('/back/sbml_solver').epsRel = 1e-12
    # the written species keep the MOOSE path as their SBML name
    doc = libsbml.readSBML(str(f))
    by_name = {s.getName().replace('[0]', ''): (s.getCompartment(), s.getId())
               for s in doc.getModel().getListOfSpecies()}
    tb = {}
    for k in a:
        comp, sp = by_name[k.replace('[0]', '')]
        t = moose.Table2(f'/rt_b_{len(tb)}')
        moose.connect(t, 'requestOut', moose.element(f'/back/{comp}/{sp}'), 'getConc')
        tb[k] = t
    moose.reinit()
    moose.start(tmax)
    for k in a:
        x, y = a[k], tb[k].vector
        scale = max(np.max(np.abs(x)), 1e-30)
        assert np.max(np.abs(x - y)) <= 1e-9 * scale, (k, np.max(np.abs(x - y)) / scale)


def test_round_trip_default_model(tmp_path):
    """The CLI's default model (MMenz, Enz, Reacs, a Function setting numKf)."""
    spec = importlib.util.spec_from_file_location('mapk', ROOT / 'models' / 'mapk_feedback.py')
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)

    def build():
        mod.build(moose, '/model')
        return moose.wildcardFind('/model/##[ISA=PoolBase]')
    _compare_round_trip(tmp_path, build, None, 300.0, '/model/kinetics/ksolve')


@pytest.mark.skipif(not (KKIT / 'enz_rea.g').exists(), reason='models-ref folder absent')
@pytest.mark.parametrize('name', ['enz_rea.g', 'Kholodenko.g', 'reaction.g'])
def test_round_trip_kkit_models(tmp_path, name):
    def build():
        moose.loadModel(str(KKIT / name), '/model', 'lsoda')
        return moose.wildcardFind('/model/##[ISA=PoolBase]')
    build()
    ks = [k.path for k in moose.wildcardFind('/model/##[ISA=Ksolve]')]
    assert ks, 'kkit model loaded without a Ksolve'
    moose.delete('/model')
    _compare_round_trip(tmp_path, build, None, 100.0, ks[0])
