"""Gsolve as a drop-in for Ksolve: integer counts, conc, BufPools, numFire,
seeds and reproducibility (also across processes), useRandInit, multi-voxel
independence, fields, and bad input."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import moosepy as moose
from moosepy.stochastic.ensemble import run_ensemble

from gsolve_models import make_mesh, reac, attach, table, immigration_death, dimerisation

pytestmark = pytest.mark.stochastic
REPO = Path(__file__).resolve().parents[2]


def test_drop_in_counts_conc_bufpool_numfire():
    g, x = immigration_death(k_in=5.0, k_out=0.5, x0=3, seed=42)
    src = moose.element('/m/src')
    tn, tc, ts = table(x), table(x, 'getConc'), table(src)
    moose.reinit()
    assert g.numPools == 2 and g.numAllVoxels == 1 and g.usedSeed == 42
    moose.start(30)
    n, c = tn.vector, tc.vector
    assert len(n) == 31 and n[0] == 3
    assert np.all(n == np.round(n)) and np.all(n >= 0) and n.std() > 0
    np.testing.assert_allclose(c, n / (moose.NA * 1e-18), rtol=1e-12)
    assert np.all(ts.vector == 1.0)
    assert x.n == n[-1] and float(x.n).is_integer()
    lab = list(g.rateLabels)
    fires = g.numFire[0]
    births, deaths = fires[lab.index('/m/birth:f')], fires[lab.index('/m/death:f')]
    assert births - deaths == x.n - 3
    assert g.numEvents == fires.sum() == births + deaths
    assert np.array_equal(g.nVec[0], [src.n, x.n] if g.stoich.poolIdMap[0].startswith('/m/src')
                          else [x.n, src.n])


def _run_table(seed, dt=1.0, t=20.0, extra=None):
    moose.delete('/m') if moose.exists('/m') else None
    g, x = immigration_death(seed=seed)
    tab = table(x)
    moose.setClock(18, dt)
    if extra:
        extra()
    moose.reinit()
    moose.start(t)
    return tab.vector.copy(), g


def test_same_seed_same_trajectory_and_sampling_does_not_change_it():
    a, _ = _run_table(5)
    b, _ = _run_table(5)
    c, _ = _run_table(6)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    # tables every 0.5 s: the same trajectory seen more often
    d, _ = _run_table(5, dt=0.5)
    assert len(d) == 41 and np.array_equal(d[::2], a)
    # a second start() continues the same trajectory
    moose.delete('/m')
    g, x = immigration_death(seed=5)
    tab = table(x)
    moose.setClock(18, 1.0)
    moose.reinit()
    moose.start(7)
    moose.start(13)
    assert np.array_equal(tab.vector, a)
    # the ensemble's trajectory 0 is the Gsolve's trajectory
    res = run_ensemble(g, 3, np.arange(21.0), pools=[x], seed=5)
    assert np.array_equal(res.counts[:, 0, 0], a)


def test_tick_by_tick_python_loop_gives_the_same_trajectory():
    a, _ = _run_table(8)

    def python_table():
        t = moose.Table2('/m/kf_tab')     # a field no solver owns: forces the
        moose.connect(t, 'requestOut', moose.element('/m/death'), 'getNumKf')
    b, _ = _run_table(8, extra=python_table)
    assert np.array_equal(a, b)


def test_bit_identical_in_another_process():
    a, g = _run_table(123)
    code = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(REPO)!r}); sys.path.insert(0, {str(Path(__file__).parent)!r})
        import moosepy as moose
        from gsolve_models import immigration_death, table
        g, x = immigration_death(seed=123)
        tab = table(x)
        moose.reinit(); moose.start(20)
        print(repr(tab.vector.tolist()), g.usedSeed, g.method)
    """)
    env = dict(os.environ, PYTHONHASHSEED='77')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         env=env, timeout=120, check=True).stdout.split('\n')[-2]
    vec, seed, method = out.rsplit(' ', 2)
    assert np.array_equal(np.array(eval(vec)), a)
    assert int(seed) == 123 and method == 'ssa'


def test_seed_and_method_written_with_the_tables(tmp_path):
    a, g = _run_table(77)
    tab = moose.element('/m/x_getN')
    tab.xplot(str(tmp_path / 'x.xplot'), 'x')
    tab.plainPlot(str(tmp_path / 'x.txt'))
    text = (tmp_path / 'x.xplot').read_text()
    assert '/comment moosepy Gsolve /m/gsolve method=ssa seed=77' in text
    assert (tmp_path / 'x.txt').read_text().startswith('# moosepy Gsolve /m/gsolve method=ssa '
                                                        'seed=77')
    assert np.array_equal(np.loadtxt(tmp_path / 'x.txt'), a)
    other = moose.Table2('/m/other')
    other.loadXplot(str(tmp_path / 'x.xplot'), 'x')
    assert np.array_equal(other.vector, a)


def test_moose_seed_seeds_gsolve_and_reinit_restarts():
    moose.seed(99)
    a, g = _run_table(-1)
    s1 = g.usedSeed
    b, g = _run_table(-1)
    assert g.usedSeed == s1 and np.array_equal(a, b)
    moose.seed(100)
    c, g = _run_table(-1)
    assert g.usedSeed != s1 and not np.array_equal(a, c)
    moose.seed(None)
    moose.seed(99)
    d, g = _run_table(-1)
    assert np.array_equal(a, d)


def test_use_rand_init_rounds_as_moose():
    mesh = make_mesh(nx=4000)
    # (one entry each until the Stoich takes them, as MOOSE: it gives every
    # voxel entry 0's values)
    x = moose.Pool('/m/x')
    x.nInit = 2.3
    y = moose.Pool('/m/y')
    y.nInit = 2.5
    moose.BufPool('/m/b').nInit = 0.7
    reac('/m/r', [x], [y], 0.0)
    g = attach(mesh, seed=4)
    moose.reinit()
    nx = moose.vec('/m/x').n
    assert set(np.unique(nx)) == {2.0, 3.0}
    frac = np.mean(nx == 3.0)
    assert abs(frac - 0.3) < 4 * np.sqrt(0.3 * 0.7 / 4000)
    assert np.all(moose.vec('/m/b').n == 0.7)      # buffered: kept
    g.useRandInit = False
    moose.reinit()
    assert np.all(moose.vec('/m/x').n == 2.0) and np.all(moose.vec('/m/y').n == 3.0)


def test_voxels_are_independent_ssas():
    mesh = make_mesh(nx=2000)
    src = moose.BufPool('/m/src')
    src.nInit = 1.0          # every voxel's, once the Stoich spreads it
    x = moose.Pool('/m/x')
    reac('/m/birth', [src], [src, x], 5.0)
    reac('/m/death', [x], [], 0.5)
    g = attach(mesh, seed=12)
    assert len(moose.vec('/m/src')) == 2000 and np.all(moose.vec('/m/src').nInit == 1.0)
    t0 = moose.Table2('/m/t0')
    moose.connect(t0, 'requestOut', moose.element('/m/x[0]'), 'getN')
    t1 = moose.Table2('/m/t1')
    moose.connect(t1, 'requestOut', moose.element('/m/x[1]'), 'getN')
    moose.reinit()
    moose.start(40)
    assert g.numAllVoxels == 2000 and len(g.numFire[1999]) == len(g.rateLabels)
    xs = moose.vec('/m/x').n
    # across voxels: Poisson(10 (1 - e^-20))
    k = np.arange(0, 40)
    obs = np.array([np.sum(xs == i) for i in k])
    assert obs.sum() == 2000
    expct = stats.poisson.pmf(k, 10.0) * 2000
    keep = expct >= 5
    o = np.append(obs[keep], obs[~keep].sum())
    e = np.append(expct[keep], 2000 - expct[keep].sum())
    assert stats.chisquare(o, e).pvalue > 1e-3
    assert not np.array_equal(t0.vector, t1.vector)
    assert abs(np.corrcoef(t0.vector[5:], t1.vector[5:])[0, 1]) < 0.6


def test_ksolve_and_gsolve_agree_at_large_counts():
    """A <-> B, 20000 molecules: the SSA's equilibrium count is within 5 sd
    (binomial) of Ksolve's."""
    res = {}
    for cls in (moose.Ksolve, moose.Gsolve):
        if moose.exists('/m'):
            moose.delete('/m')
        mesh = make_mesh()
        a = moose.Pool('/m/a')
        a.nInit = 20000
        b = moose.Pool('/m/b')
        reac('/m/r', [a], [b], 0.3, 0.1)
        s = moose.Stoich('/m/s')
        k = cls('/m/k')
        s.compartment, s.ksolve, s.reacSystemPath = mesh, k, '/m/##'
        moose.reinit()
        moose.start(60)
        res[cls.__name__] = b.n
    assert res['Ksolve'] == pytest.approx(15000, rel=1e-4)
    assert abs(res['Gsolve'] - 15000) < 5 * np.sqrt(20000 * 0.75 * 0.25)


def test_fields_and_method_names():
    g, x = immigration_death()
    g.method = 'gssa'
    assert g.method == 'ssa'
    g.method = 'TAU'
    assert g.method == 'tau'
    with pytest.raises(moose.FieldError, match="valid: 'ssa'.*'tau'"):
        g.method = 'rk5'
    assert moose.element('/m/gsolve').className == 'Gsolve'
    assert g.useRandInit is True and g.useClockedUpdate is False
    with pytest.raises(moose.SolverError, match='reinit'):
        g.nVec[0]


# ---------------------------------------------------------------- bad input
def test_negative_count_names_the_pool():
    g, x = immigration_death(x0=2)
    moose.reinit()
    with pytest.raises(moose.SolverError, match='/m/x'):
        g.nVec[0] = [1.0, -3.0] if g.stoich.poolIdMap[0].startswith('/m/src') else [-3.0, 1.0]


def test_negative_rate_from_function_names_the_reaction():
    g, x = immigration_death(x0=2)
    f = moose.Function('/m/death/f')
    f.expr = '1 - x0'
    moose.connect(x, 'nOut', f.x[0], 'input')
    moose.connect(f, 'valueOut', moose.element('/m/death'), 'setNumKf')
    moose.reinit()
    with pytest.raises(moose.SolverError, match='/m/death'):
        moose.start(5)


def test_rate_into_a_buffered_pool_is_refused_and_tree_unchanged():
    mesh = make_mesh()
    b = moose.BufPool('/m/b')
    b.nInit = 4
    a = moose.Pool('/m/a')
    a.nInit = 3
    reac('/m/r', [a], [], 1.0)
    f = moose.Function('/m/f')
    f.expr = '2 + 0*x0'
    moose.connect(a, 'nOut', f.x[0], 'input')
    moose.connect(f, 'valueOut', b, 'increment')
    g = attach(mesh)
    # (the pools are the Gsolve's from reacSystemPath on, as in MOOSE: a
    # reads 0 and b its nInit until the solver's reinit)
    def state():
        return (sorted(o.path for o in moose.wildcardFind('/##')), a.n, b.n, a.nInit,
                b._el.data.get('solver'), a._el.data.get('solver'), g.numPools)
    before = state()
    assert before[1:4] == (0.0, 4.0, 3.0)
    with pytest.raises(moose.SolverError, match='/m/b'):
        moose.reinit()
    assert state() == before and g.numPools == 0


def test_non_integer_stoichiometry_names_the_reaction():
    from moosepy.kinetics.stoich import compile_stoich
    from moosepy.stochastic.model import SsaModel
    g, p, p2 = dimerisation(0.01, 0.1, 10)
    comp = compile_stoich(g.stoich._el)
    comp.arrays['chg_coef'] = [c * 0.5 for c in comp.arrays['chg_coef']]
    with pytest.raises(moose.SolverError, match='/m/dim.*not a whole number'):
        SsaModel(comp)


def test_rate_changes_between_starts_take_effect():
    """numKf set between two start() calls is used from then on, also when
    it was zero at reinit (the reaction then joins the dependency lists)."""
    g, x = immigration_death(k_in=5.0, k_out=0.0, x0=0, seed=2)
    moose.reinit()
    moose.start(20)
    n1 = x.n
    assert n1 > 50                                  # no death: ~100 molecules
    moose.element('/m/death').numKf = 1.0
    moose.element('/m/birth').numKf = 0.0
    moose.start(20)                                 # pure death from n1: exp(-20) left
    assert x.n == 0
    lab = list(g.rateLabels)
    assert g.numFire[0][lab.index('/m/death:f')] == n1


def test_kkit_model_loaded_with_gssa():
    """loadModel(file, path, 'gssa') gives a Gsolve-solved model: integer
    counts, tables fed from the solver, reproducible with a seed."""
    f = REPO.parent / 'shared' / 'models-ref' / 'kkit' / 'Repressillator.g'
    if not f.exists():
        pytest.skip(f'{f} not present')
    if not hasattr(moose, 'loadModel'):
        pytest.skip('needs moose.loadModel')
    out = []
    for _ in range(2):
        if moose.exists('/model'):
            moose.delete('/model')
        moose.loadModel(str(f), '/model', 'gssa')
        gs = moose.wildcardFind('/model/##[ISA=Gsolve]')
        assert len(gs) == 1
        gs[0].seed = 17
        moose.reinit()
        moose.start(200)
        pools = moose.wildcardFind('/model/##[ISA=Pool]')
        n = np.array([p.n for p in pools])
        assert np.all(n == np.round(n)) and np.all(n >= 0)
        assert gs[0].numEvents > 0
        out.append(n)
    assert np.array_equal(out[0], out[1])
