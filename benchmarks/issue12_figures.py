"""Print the figures of issue 12 (chemistry in space) that its tests
assert against tolerances: the numbers themselves, for a closing note or a
reader.  Not timed (the speed is bench_multiscale.py's).  Run from the
repository root (items 3, 6 and 7 use the tests' own model builders):

    python benchmarks/issue12_figures.py [exact] [stochastic] [kkit] [bridge]

exact       item 5: the 1000-voxel pulse, its second moment, NEURON rxd's
            reference, a tapered cylinder, motor transport and the
            dendrite-spine-PSD junctions
stochastic  item 6: birth-death with hopping in 1000 voxels, exact NSM and
            the split mode, and whole-molecule hopping
kkit        item 3: CaOnly.g and NN_mapk15.g against pymoose 5.0.0 (needs
            the side venv, as the tests do)
bridge      item 7: the test's ball-and-stick cell, both directions
"""

import sys
from pathlib import Path

import numpy as np

import moosepy as moose

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / 'shared'
sys.path[:0] = [str(ROOT / d) for d in ('benchmarks', 'tests', 'tests/kinetics',
                                        'tests/stochastic')]


def exact():
    """Issue 12 item 5 figures, printed: the 1000-voxel pulse (D 1e-12, 1 um
    voxels, 1 mM in the first 10, 10 s), its second moment with the pulse in the
    middle, NEURON rxd's reference, a tapered cylinder, motor transport."""
    def cyl(n, dl, r0, D, r1=None, motor=0.0, name='cyl'):
        m = moose.CylMesh(f'/{name}')
        m.x1 = n * dl; m.diffLength = dl; m.r0 = r0; m.r1 = r0 if r1 is None else r1
        a = moose.Pool(f'/{name}/a'); a.diffConst = D; a.motorConst = motor
        st = moose.Stoich(f'/{name}/st'); st.compartment = m
        st.ksolve = moose.Ksolve(f'/{name}/ks'); st.dsolve = moose.Dsolve(f'/{name}/ds')
        st.reacSystemPath = f'/{name}/##'
        return m, moose.vec(f'/{name}/a')

    def moments(nn, x):
        mu = (nn * x).sum() / nn.sum()
        return mu, (nn * (x - mu) ** 2).sum() / nn.sum()

    # the pulse: first 10 voxels, 10 s
    m, v = cyl(1000, 1e-6, 0.5e-6, 1e-12)
    c0 = np.zeros(1000); c0[:10] = 1.0; v.concInit = c0
    moose.reinit(); n0 = np.array(v.n).sum(); moose.start(10.0)
    print('pulse at the end, 1000 voxels, 10 s: total relative change %.1e' % abs(np.array(v.n).sum() / n0 - 1))
    moose.delete('/cyl')
    # the same pulse in the middle (away from the ends): second moment
    m, v = cyl(1000, 1e-6, 0.5e-6, 1e-12)
    c0 = np.zeros(1000); c0[495:505] = 1.0; v.concInit = c0
    x = (np.arange(1000) + 0.5) * 1e-6
    moose.reinit(); nn0 = np.array(v.n); mu0, var0 = moments(nn0, x); moose.start(10.0)
    nn = np.array(v.n); mu, var = moments(nn, x)
    print('pulse in the middle: second moment / (sigma0^2 + 2Dt) - 1 = %.1e; total relative change %.1e'
          % (var / (var0 + 2e-11) - 1, abs(nn.sum() / nn0.sum() - 1)))
    moose.delete('/cyl')
    # NEURON rxd's reference
    d = np.load(SHARED / 'reference' / 'neuron' / 'rxd_diffusion.npz')
    m, v = cyl(1000, 1e-6, 0.5e-6, 1e-9)
    c0 = np.zeros(1000); c0[:10] = 1.0; v.concInit = c0
    for tick in (10, 16, 18):
        moose.setClock(tick, 1e-3)
    moose.reinit(); moose.start(10.0)
    A = np.array(v.conc); ref = d['A_mM']
    print('rxd reference (D 1e-9, dt 1 ms, 10 s): max |moosepy - rxd| / max = %.1e; vs analytic %.1e (rxd itself %.1e)'
          % (np.max(np.abs(A - ref)) / ref.max(), np.max(np.abs(A - d['A_analytic_mM'])) / ref.max(),
             np.max(np.abs(ref - d['A_analytic_mM'])) / ref.max()))
    moose.delete('/cyl')
    for tick in (10, 16, 18):
        moose.setClock(tick, 0.1)
    # tapered, closed: uniform concentration
    m, v = cyl(50, 1e-6, 0.5e-6, 1e-12, r1=2e-6)
    c0 = np.zeros(50); c0[:5] = 1.0; v.concInit = c0
    moose.reinit(); n0 = np.array(v.n).sum(); moose.start(30000.0)
    c = np.array(v.conc)
    print('tapered 0.5 -> 2 um, 30000 s: concentration spread (max - min) / mean = %.1e, total change %.1e'
          % ((c.max() - c.min()) / c.mean(), abs(np.array(v.n).sum() / n0 - 1)))
    moose.delete('/cyl')
    # motor transport: centre of mass speed
    m, v = cyl(400, 1e-6, 0.5e-6, 0.0, motor=1e-7)
    c0 = np.zeros(400); c0[50:60] = 1.0; v.concInit = c0
    x = (np.arange(400) + 0.5) * 1e-6
    moose.reinit(); mu0, _ = moments(np.array(v.n), x); moose.start(1000.0)
    mu1, _ = moments(np.array(v.n), x)
    print('motor 1e-7 m/s, 1000 s: centre moved %.6e m, expected 1e-4 (rel %.1e)' % (mu1 - mu0, (mu1 - mu0) / 1e-4 - 1))

    moose.delete('/cyl')
    # dendrite - spine - PSD junctions: one diffusing pool, all of it in the PSDs at first
    import multiscale_models as mm
    moose.Neutral('/model'); moose.Neutral('/model/cell')
    u = 1e-6
    prev = mm._compt(moose, np, '/model/cell/soma', None, 10 * u, 10 * u, 0.0)
    x = 10 * u
    for i in range(10):
        prev = mm._compt(moose, np, f'/model/cell/dend{i}', prev, 2 * u, 1.5 * u, x)
        xs = x + 1 * u
        neck = mm._compt(moose, np, f'/model/cell/shaft{i}', prev, 1 * u, 0.2 * u, xs, 0.75 * u, xs, 1.75 * u)
        mm._compt(moose, np, f'/model/cell/head{i}', neck, 0.5 * u, 0.5 * u, xs, 1.75 * u, xs, 2.25 * u)
        x += 2 * u
    moose.Neutral('/model/chem')
    meshes = mm._meshes(moose, '/model/chem')
    for mesh in meshes:
        p = moose.Pool(mesh.path + '/Ca'); p.diffConst = 1e-12
    meshes[0].diffLength = 2 * u
    meshes[0].subTreePath = '/model/cell/#'
    mm._solvers(moose, meshes)
    moose.vec('/model/chem/psd/Ca').concInit = 1e-3
    moose.vec('/model/chem/dend/Ca').concInit = 0.0
    moose.vec('/model/chem/spine/Ca').concInit = 0.0
    moose.reinit()
    paths = ('/model/chem/dend/Ca', '/model/chem/spine/Ca', '/model/chem/psd/Ca')
    n0 = sum(np.sum(moose.vec(p).n) for p in paths)
    moose.start(2000.0)
    n1 = sum(np.sum(moose.vec(p).n) for p in paths)
    c = np.concatenate([np.array(moose.vec(p).conc) for p in paths])
    print('dendrite-spine-PSD (10 spines), 2000 s: molecules relative change %.1e, concentration spread (max - min) / mean %.1e'
          % (abs(n1 / n0 - 1), (c.max() - c.min()) / c.mean()))


def stochastic():
    """Issue 12 item 6 figures: birth-death (100 /s per voxel, 1 /s decay) with
    hopping in 1000 voxels, exact NSM and MOOSE's split mode; and pure hopping
    conserving molecules exactly."""
    import test_nsm as T
    for method in ('nsm', 'ssa'):
        v = T._model(method, nvox=1000)
        moose.reinit(); moose.start(5.0)
        r, mu = [], []
        for _ in range(5):
            moose.start(2.0)
            s = np.array(v.n)
            assert np.all(s == np.round(s))
            r.append(s.var(ddof=1) / s.mean()); mu.append(s.mean())
        print('%s: per-voxel var/mean %.3f (5 snapshots, SE of each ~%.3f), mean %.2f (expected 100)'
              % (method, np.mean(r), np.sqrt(2 / 999), np.mean(mu)))
        moose.delete('/cyl')
    # pure hopping: molecules conserved exactly
    moose.seed(5)
    m = moose.CylMesh('/cyl'); m.x1 = 1000e-6; m.diffLength = 1e-6; m.r0 = m.r1 = 0.5e-6
    a = moose.Pool('/cyl/A'); a.diffConst = 1e-12
    st = moose.Stoich('/cyl/st'); st.compartment = m; st.ksolve = moose.Gsolve('/cyl/gs')
    st.dsolve = moose.Dsolve('/cyl/ds'); st.reacSystemPath = '/cyl/##'
    n0 = np.zeros(1000); n0[490:510] = 1000; moose.vec('/cyl/A').nInit = n0
    moose.reinit(); moose.start(20.0)
    s = np.array(moose.vec('/cyl/A').n)
    print('split-mode hopping, 20,000 molecules, 20 s: total %d (was %d), whole numbers %s' % (s.sum(), n0.sum(), np.all(s == np.round(s))))


def kkit():
    """Issue 12 item 3 figures: CaOnly.g and NN_mapk15.g against pymoose 5.0.0
    (the tests' own helpers)."""
    import test_kkit as K
    import test_kkit_junctions as J
    R = K._ref('kkit_pymoose_ref.json')['models']['CaOnly.g']
    theirs = np.array(R['conc'])
    scale = np.maximum(np.abs(theirs).max(axis=0), 1e-12)
    ours = K.simulate('CaOnly.g', R)
    print('CaOnly.g: max |moosepy - MOOSE| / range = %.1e' % ((np.abs(ours - theirs) / scale).max()))
    moose.delete('/model')
    m, o = J._run(0.2, 20.0)
    print('NN_mapk15.g, 0.2 s tick, 20 s: every pool, max |moosepy - MOOSE| / range = %.1e' % J._err(o['state'], m['state']).max())


def bridge():
    """Issue 12 item 7 figures: the test's ball-and-stick bridge, both directions."""
    import test_bridge as B
    heads, ads, kad, tv = B._run(1e-3)
    ca_e = [ca.Ca for _, ca in heads]
    sp = moose.vec('/chem/spine/Ca').conc
    print('electrical -> chemical: spine-head CaConc %.4f / %.4f mM, spine pools %.4f / %.4f mM, dendrite Ca max %.6f mM (basal 1e-4)'
          % (ca_e[0], ca_e[1], sp[0], sp[1], np.max(moose.vec('/chem/dend/Ca').conc)))
    print('chemical -> electrical: Kmod 1e-3 mM -> dend0 K Gbar %.3e S, dendrite Vm %.2f mV' % (moose.element('/cell/dend0/K').Gbar, tv.vector[-1] * 1e3))
    for p in ('/cell', '/chem', '/vm'):
        if moose.exists(p):
            moose.delete(p)
    heads, ads, kad, tv = B._run(0.0)
    print('Kmod 0 -> Gbar %.3e S, dendrite Vm %.2f mV' % (moose.element('/cell/dend0/K').Gbar, tv.vector[-1] * 1e3))


if __name__ == '__main__':
    which = sys.argv[1:] or ['exact', 'stochastic', 'kkit', 'bridge']
    if len(which) == 1:
        globals()[which[0]]()
    else:
        # each part in a fresh process: a part's clock settings would
        # change the next one's ticks
        import subprocess
        for w in which:
            print('#', w, flush=True)
            subprocess.run([sys.executable, __file__, w], check=True)
