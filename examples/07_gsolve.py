"""07 - Stochastic chemistry: the same model with Ksolve and with Gsolve.

A spine-head sized compartment (0.1 fL = 1e-19 m^3) holds a few molecules:
X is made at 1 molecule/s (from a buffered source) and removed at 0.1 /s,
and binds a partner Y (X + Y <-> XY).  With ``stoich.ksolve = Ksolve`` the
counts follow the rate equations; switching the one line to ``Gsolve``
runs Gillespie's exact SSA: counts are whole numbers, every run differs,
and the average over many runs follows the exact law.  For the production
and removal of X alone, that law is Poisson with mean
``10 (1 - exp(-0.1 t))``: the script checks the ensemble mean against it.

The seed and the method are the record of a stochastic run: the same seed
gives the same trajectory in any process.  The script writes them into the
header of the CSV it saves (``07_gsolve.csv``) next to the figure
``07_gsolve.png``.  Run it with ``python 07_gsolve.py``.
"""

import os

import numpy as np
from _common import out_path, plt  # headless plotting, figure path

import moosepy as moose
from moosepy.stochastic.ensemble import run_ensemble

VOLUME = 1e-19   # m^3
RUNTIME = 60.0   # s


def build(solver_class, seed=None):
    if moose.exists('/model'):
        moose.delete('/model')
    moose.Neutral('/model')
    mesh = moose.CubeMesh('/model/spine')
    mesh.volume = VOLUME
    src = moose.BufPool('/model/spine/src')
    src.nInit = 1
    X = moose.Pool('/model/spine/X')
    Y = moose.Pool('/model/spine/Y')
    Y.nInit = 20
    XY = moose.Pool('/model/spine/XY')
    make = moose.Reac('/model/spine/make')
    moose.connect(make, 'sub', src, 'reac')
    moose.connect(make, 'prd', src, 'reac')
    moose.connect(make, 'prd', X, 'reac')
    make.numKf, make.numKb = 1.0, 0.0           # 1 molecule/s
    remove = moose.Reac('/model/spine/remove')
    moose.connect(remove, 'sub', X, 'reac')
    remove.numKf, remove.numKb = 0.1, 0.0       # 1/s
    bind = moose.Reac('/model/spine/bind')
    for p in (X, Y):
        moose.connect(bind, 'sub', p, 'reac')
    moose.connect(bind, 'prd', XY, 'reac')
    bind.numKf, bind.numKb = 0.002, 0.05        # 1/(# s), 1/s
    solver = solver_class('/model/spine/solver')
    if seed is not None:
        solver.seed = seed
    stoich = moose.Stoich('/model/spine/stoich')
    stoich.compartment = mesh
    stoich.ksolve = solver                      # the one line that changes
    stoich.reacSystemPath = '/model/spine/##'
    graphs = moose.Neutral('/model/graphs')
    tabs = {}
    for p in (X, XY):
        t = moose.Table2(graphs.path + '/' + p.name)
        moose.connect(t, 'requestOut', p, 'getN')
        tabs[p.name] = t
    return solver, tabs


def main():
    moose.setClock(18, 0.5)          # tables every 0.5 s
    _, det = build(moose.Ksolve)
    moose.reinit()
    moose.start(RUNTIME)
    t = np.arange(len(det['X'].vector)) * 0.5
    ode_x, ode_xy = det['X'].vector.copy(), det['XY'].vector.copy()

    runs = []
    for seed in (1, 2, 3):
        g, tabs = build(moose.Gsolve, seed=seed)
        moose.reinit()
        moose.start(RUNTIME)
        runs.append((seed, tabs['X'].vector.copy(), tabs['XY'].vector.copy()))
        n = tabs['X'].vector
        assert np.all(n == np.round(n)), 'Gsolve counts are whole numbers'
    print(f'Gsolve method {g.method!r}, seeds {[r[0] for r in runs]}; events in the '
          f'last run: {g.numEvents}')
    for lab, k in zip(g.rateLabels, g.numFire[0]):
        print(f'  {lab:28s} fired {k:6d} times')

    # the same seed again: the same trajectory
    g, tabs = build(moose.Gsolve, seed=3)
    moose.reinit()
    moose.start(RUNTIME)
    assert np.array_equal(tabs['X'].vector, runs[-1][1]), 'same seed, same trajectory'

    # many runs in one call; production/removal alone (no partner) is Poisson
    moose.vec('/model/spine/Y').nInit = [0.0]
    res = run_ensemble(g, 4000, t, pools=['/model/spine/X'], seed=7)
    mean = res.counts[:, :, 0].mean(axis=1)
    exact = 10 * (1 - np.exp(-0.1 * t))
    se = np.sqrt(np.maximum(exact, 1e-12) / 4000)
    z = np.abs(mean[1:] - exact[1:]) / se[1:]
    print(f'ensemble of 4000 runs: largest |Z| of the mean against Poisson: {z.max():.2f}')
    assert np.sum(z >= 3) <= 2, 'the ensemble mean follows the exact law'

    csv = out_path('07_gsolve.csv')
    with open(csv, 'w') as fh:
        fh.write(f'# moosepy Gsolve method={g.method} seeds={[r[0] for r in runs]} '
                 f'volume={VOLUME} m^3\n')
        fh.write('time,' + ','.join(f'X_seed{s},XY_seed{s}' for s, _, _ in runs) + '\n')
        for i, ti in enumerate(t):
            fh.write(f'{ti:g},' + ','.join(f'{x[i]:g},{xy[i]:g}' for _, x, xy in runs) + '\n')
    print('wrote', os.path.basename(csv))

    fig, ax = plt.subplots(1, 2, figsize=(10, 4))
    for s, x, xy in runs:
        ax[0].step(t, x, where='post', lw=1, label=f'Gsolve seed {s}')
        ax[1].step(t, xy, where='post', lw=1, label=f'Gsolve seed {s}')
    ax[0].plot(t, ode_x, 'k--', lw=2, label='Ksolve')
    ax[1].plot(t, ode_xy, 'k--', lw=2, label='Ksolve')
    ax[0].set(xlabel='time (s)', ylabel='X (molecules)', title='X')
    ax[1].set(xlabel='time (s)', ylabel='XY (molecules)', title='XY')
    ax[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out_path('07_gsolve.png'), dpi=80)
    print('wrote 07_gsolve.png')


if __name__ == '__main__':
    main()
