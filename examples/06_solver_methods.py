"""06 - One model, every Ksolve method: rk5 (default), rk2, rk4, rkck, rk8, lsoda.

The model is a three-level kinase cascade: a buffered stimulus activates K1
(MMenz), K1* activates K2 through an explicit Enz (with complex), K2*
activates K3 the same way, and each level is reset by a first-order
phosphatase reaction.  A Function makes K3* speed up the K1* phosphatase
(negative feedback), so K1* overshoots before it settles.

For each method the model is rebuilt with ``ksolve.method`` set before
``stoich.reacSystemPath`` (as in a MOOSE script) and run for 100 s.

Expected result: every method gives the same trajectory; the final states
(and the whole sampled time courses) agree with rk8 to better than
1e-4 relative (all methods integrate to epsRel = 1e-7 here; MOOSE's own
lsoda is only good to about 1e-3).  The printed wall times show the cost
of each method; lsoda and rk5 are the usual choices.
Run it with ``python 06_solver_methods.py``; it writes
``06_solver_methods.png``.
"""

import time

import numpy as np
from _common import out_path, plt  # headless plotting, figure path

import moosepy as moose

METHODS = ('rk5', 'rk2', 'rk4', 'rkck', 'rk8', 'lsoda')
RUNTIME = 100.0
VOLUME = 1e-18


def build(method):
    if moose.exists('/model'):
        moose.delete('/model')
    moose.Neutral('/model')
    mesh = moose.CubeMesh('/model/kinetics')
    mesh.volume = VOLUME

    def pool(name, conc, cls=moose.Pool):
        p = cls(mesh.path + '/' + name)
        p.concInit = conc
        return p

    def dephos(name, sub, prd, kf):
        r = moose.Reac(mesh.path + '/' + name)
        moose.connect(r, 'sub', sub, 'reac')
        moose.connect(r, 'prd', prd, 'reac')
        r.Kf, r.Kb = kf, 0.0
        return r

    def enz(enzpool, sub, prd, km, kcat):
        e = moose.Enz(enzpool.path + '/enz')
        c = moose.Pool(e.path + '/cplx')
        moose.connect(e, 'enz', enzpool, 'reac')
        moose.connect(e, 'sub', sub, 'reac')
        moose.connect(e, 'prd', prd, 'reac')
        moose.connect(e, 'cplx', c, 'reac')
        e.Km, e.kcat, e.ratio = km, kcat, 4.0
        return e

    stim = pool('stim', 0.005, moose.BufPool)
    K1, K1p = pool('K1', 0.1), pool('K1p', 0.0)
    K2, K2p = pool('K2', 0.3), pool('K2p', 0.0)
    K3, K3p = pool('K3', 0.5), pool('K3p', 0.0)

    mm = moose.MMenz(stim.path + '/act')
    moose.connect(stim, 'nOut', mm, 'enzDest')
    moose.connect(mm, 'sub', K1, 'reac')
    moose.connect(mm, 'prd', K1p, 'reac')
    mm.Km, mm.kcat = 0.05, 10.0
    enz(K1p, K2, K2p, 0.1, 0.5)
    enz(K2p, K3, K3p, 0.2, 0.5)
    d1 = dephos('d1', K1p, K1, 0.1)
    dephos('d2', K2p, K2, 0.1)
    dephos('d3', K3p, K3, 0.1)

    fb = moose.Function(d1.path + '/fb')          # K3* speeds up K1* removal
    fb.c['K'] = 0.05 * moose.NA * VOLUME      # 0.05 mM in molecules
    fb.expr = '0.1 + 2 * x0 / (K + x0)'
    moose.connect(K3p, 'nOut', fb.x[0], 'input')
    moose.connect(fb, 'valueOut', d1, 'setNumKf')

    graphs = moose.Neutral('/model/graphs')
    tabs = {}
    for p in (K1p, K2p, K3p):
        t = moose.Table2(graphs.path + '/' + p.name)
        moose.connect(t, 'requestOut', p, 'getConc')
        tabs[p.name] = t

    stoich = moose.Stoich(mesh.path + '/stoich')
    ksolve = moose.Ksolve(mesh.path + '/ksolve')
    ksolve.method = method               # before the system is built
    stoich.compartment = mesh
    stoich.ksolve = ksolve
    stoich.reacSystemPath = mesh.path + '/##'
    return ksolve, tabs


def main():
    results = {}
    for method in METHODS:
        ksolve, tabs = build(method)
        wall = np.inf
        for _ in range(2):               # best of two (the first may load code)
            moose.reinit()
            t0 = time.perf_counter()
            moose.start(RUNTIME)
            wall = min(wall, time.perf_counter() - t0)
        pools = moose.wildcardFind('/model/kinetics/##[ISA=PoolBase]')
        final = np.array([p.conc for p in pools])
        traces = {k: t.vector.copy() for k, t in tabs.items()}
        results[method] = (ksolve.method, wall, final, traces)

    ref_final = results['rk8'][2]
    ref_tr = results['rk8'][3]
    scale = np.maximum(np.abs(ref_final), 1e-6)
    print(f'{"method":8s} {"wall (s)":>9s} {"K3p(100 s)":>12s} {"K3p(10 s)":>11s} '
          f'{"max rel diff vs rk8":>20s}')
    diffs = {}
    for method, (name, wall, final, tr) in results.items():
        d_final = np.max(np.abs(final - ref_final) / scale)
        d_trace = max(np.max(np.abs(tr[k] - ref_tr[k])) / np.max(ref_tr[k]) for k in tr)
        diffs[method] = max(d_final, d_trace)
        print(f'{name:8s} {wall:9.4f} {tr["K3p"][-1]:12.6f} {tr["K3p"][10]:11.6f} '
              f'{diffs[method]:20.2e}')

    t = np.arange(len(ref_tr['K3p'])) * moose.element('/model/graphs/K3p').dt
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    for k, st in zip(('K1p', 'K2p', 'K3p'), ('C0', 'C1', 'C2')):
        for method, ls in (('rk5', '-'), ('lsoda', '--'), ('rk2', ':')):
            ax1.plot(t, results[method][3][k], color=st, ls=ls,
                     label=f'{k} {method}' if k == 'K3p' or method == 'rk5' else None)
    ax1.set(xlabel='time (s)', ylabel='conc (mM)', title='cascade with feedback')
    ax1.legend(fontsize=7)
    ax2.bar(list(results), [r[1] for r in results.values()])
    ax2.set(ylabel='wall time (s)', title=f'{RUNTIME:g} s of simulated time')
    fig.tight_layout()
    path = out_path('06_solver_methods.png')
    fig.savefig(path, dpi=80)
    print('wrote', path)

    for method in METHODS:
        assert results[method][0] == method          # the method was accepted
        assert diffs[method] < 1e-4, (method, diffs[method])
    k1 = ref_tr['K1p']
    assert k1.max() > 1.3 * k1[-1]                   # the feedback makes K1* overshoot


if __name__ == '__main__':
    main()
