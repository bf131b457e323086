"""03 - A bistable switch built from positive feedback.

A kinase X is activated to Xp (total 1 mM).  Two Xp molecules bind into a
dimer D, and the dimer is an enzyme (MMenz) that activates more X: a
cooperative positive feedback.  A first-order phosphatase reaction and a
slow basal activation complete the cycle.  A buffered stimulus kinase Stim
(a BufPool, 0 at rest) can also activate X.

    X --basal--> Xp,   Xp --dephos--> X,   Xp + Xp <-> D,
    D: X -> Xp (MMenz),   Stim: X -> Xp (MMenz)

The run is split into phases by successive ``moose.start()`` calls; between
them the script changes a pool's concentration, as one does in MOOSE:

1. 100 s at rest: the switch stays in its low state (Xp about 0.01 mM).
2. 20 s with ``Stim.conc = 0.1`` (a transient stimulus).
3. 200 s with ``Stim.conc = 0``: Xp stays high (about 0.6 mM) - memory.
4. A reset pulse: all of Xp and D put back into X by setting ``X.conc``,
   ``Xp.conc = 0`` and ``D.conc = 0`` (total X kept at 1 mM), then 200 s:
   the switch falls back to, and stays in, the low state.

Expected result: two stable states at rest, reached from two different
initial conditions, and the transient stimulus flips the switch for good.
Run it with ``python 03_bistable_switch.py``; it writes
``03_bistable_switch.png``.
"""

import time

import numpy as np
from _common import out_path, plt  # headless plotting, figure path

import moosepy as moose


def reac(mesh, name, subs, prds, kf, kb):
    r = moose.Reac(mesh.path + '/' + name)
    for s in subs:
        moose.connect(r, 'sub', s, 'reac')
    for p in prds:
        moose.connect(r, 'prd', p, 'reac')
    r.Kf, r.Kb = kf, kb
    return r


def mmenz(enzpool, name, sub, prd, km, kcat):
    e = moose.MMenz(enzpool.path + '/' + name)
    moose.connect(enzpool, 'nOut', e, 'enzDest')
    moose.connect(e, 'sub', sub, 'reac')
    moose.connect(e, 'prd', prd, 'reac')
    e.Km, e.kcat = km, kcat
    return e


def build():
    moose.Neutral('/model')
    mesh = moose.CubeMesh('/model/kinetics')
    mesh.volume = 1e-18
    X = moose.Pool(mesh.path + '/X')
    Xp = moose.Pool(mesh.path + '/Xp')
    D = moose.Pool(mesh.path + '/D')
    stim = moose.BufPool(mesh.path + '/Stim')
    X.concInit, Xp.concInit, D.concInit, stim.concInit = 1.0, 0.0, 0.0, 0.0

    reac(mesh, 'basal', [X], [Xp], 0.01, 0.0)        # 1/s
    reac(mesh, 'dephos', [Xp], [X], 1.0, 0.0)        # 1/s
    reac(mesh, 'dimer', [Xp, Xp], [D], 10.0, 30.0)   # 1/(mM s), 1/s: Kd 3 mM
    mmenz(D, 'auto', X, Xp, 0.5, 20.0)               # positive feedback
    mmenz(stim, 'kin', X, Xp, 0.5, 10.0)             # the stimulus

    graphs = moose.Neutral('/model/graphs')
    tabs = {}
    for p in (X, Xp, D, stim):
        t = moose.Table2(graphs.path + '/' + p.name)
        moose.connect(t, 'requestOut', p, 'getConc')
        tabs[p.name] = t

    stoich = moose.Stoich(mesh.path + '/stoich')
    ksolve = moose.Ksolve(mesh.path + '/ksolve')
    ksolve.method = 'lsoda'
    stoich.compartment = mesh
    stoich.ksolve = ksolve
    stoich.reacSystemPath = mesh.path + '/##'
    return (X, Xp, D, stim), tabs


def main():
    (X, Xp, D, stim), tabs = build()
    t0 = time.perf_counter()

    # -- two stable states from two initial conditions -------------------
    finals = []
    for xp0 in (0.0, 0.8):
        Xp.concInit, X.concInit = xp0, 1.0 - xp0
        moose.reinit()
        moose.start(300)
        finals.append(Xp.conc)
    print(f'from Xp(0) = 0.0: Xp -> {finals[0]:.4f} mM;  from Xp(0) = 0.8: '
          f'Xp -> {finals[1]:.4f} mM')

    # -- the switching protocol, from rest --------------------------------
    Xp.concInit, X.concInit = 0.0, 1.0
    moose.reinit()
    moose.start(100)                  # 1. rest
    rest = Xp.conc
    stim.conc = 0.1                   # 2. transient stimulus
    moose.start(20)
    during = Xp.conc
    stim.conc = 0.0                   # 3. stimulus off: memory
    moose.start(200)
    after = Xp.conc
    X.conc = X.conc + Xp.conc + 2 * D.conc    # 4. reset pulse: all back to X
    Xp.conc = 0.0
    D.conc = 0.0
    moose.start(200)
    reset = Xp.conc
    wall = time.perf_counter() - t0

    print(f'Xp (mM): at rest {rest:.4f}, end of stimulus {during:.4f}, '
          f'200 s after it {after:.4f}, 200 s after reset {reset:.4f}')
    print(f'wall time for all runs: {wall:.3f} s')

    v = {k: t.vector for k, t in tabs.items()}
    t = np.arange(len(v['Xp'])) * tabs['Xp'].dt
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.plot(t, v['Xp'], label='Xp')
    ax.plot(t, v['D'], label='D (dimer)')
    ax.plot(t, v['Stim'], label='Stim')
    for x in (100, 120, 320):
        ax.axvline(x, ls=':', c='gray')
    ax.set(xlabel='time (s)', ylabel='conc (mM)',
           title='bistable switch: stimulus at 100-120 s, reset at 320 s')
    ax.legend()
    fig.tight_layout()
    path = out_path('03_bistable_switch.png')
    fig.savefig(path, dpi=80)
    print('wrote', path)

    lo, hi = finals
    assert lo < 0.05 and hi > 0.4, finals                # two distinct stable states
    assert abs(rest - lo) < 1e-3                        # rest is the low state
    assert abs(after - hi) < 1e-3                       # stimulus flipped it and it stayed
    assert abs(reset - lo) < 1e-3                       # reset returns it to low
    total = X.conc + Xp.conc + 2 * D.conc
    assert abs(total - 1.0) < 1e-6, total
    assert len(v['Xp']) == 521 and v['Stim'][110] == 0.1 and v['Stim'][200] == 0.0


if __name__ == '__main__':
    main()
