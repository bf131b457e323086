"""04 - A chemical oscillator: the Brusselator, written with Reacs.

Four mass-action reactions (A and B buffered at 1 and 3 mM):

    A -> X                  Kf = 1 /s            (source of X, rate a = A)
    X + X + Y -> X + X + X  Kf = 1 /(mM^2 s)     (autocatalysis, third order)
    B + X -> B + Y          Kf = 1 /(mM s)       (B is a catalyst: rate b X)
    X -> (nothing)          Kf = 1 /s            (decay)

give dX/dt = a - (b + 1) X + X^2 Y and dY/dt = b X - X^2 Y, whose fixed
point (X, Y) = (a, b/a) is unstable for b > 1 + a^2: the system settles on
a limit cycle.  The third-order reaction is built by connecting X twice on
'sub' and three times on 'prd', as MOOSE counts stoichiometry by messages.

Expected result: sustained relaxation oscillations of X between about 0.37
and 3.75 mM with a period of about 7.16 s (a = 1, b = 3), measured from the
Table2 (sampled every 0.1 s) by the times at which X rises through 2 mM.
Run it with ``python 04_oscillator.py``; it writes ``04_oscillator.png``.
"""

import time

import numpy as np
from _common import out_path, plt  # headless plotting, figure path

import moosepy as moose

RUNTIME = 200.0
PLOT_DT = 0.1


def reac(mesh, name, subs, prds, kf, kb=0.0):
    r = moose.Reac(mesh.path + '/' + name)
    for s in subs:
        moose.connect(r, 'sub', s, 'reac')
    for p in prds:
        moose.connect(r, 'prd', p, 'reac')
    r.Kf, r.Kb = kf, kb
    return r


def build():
    moose.Neutral('/model')
    mesh = moose.CubeMesh('/model/kinetics')
    mesh.volume = 1e-18
    A = moose.BufPool(mesh.path + '/A')
    B = moose.BufPool(mesh.path + '/B')
    X = moose.Pool(mesh.path + '/X')
    Y = moose.Pool(mesh.path + '/Y')
    A.concInit, B.concInit = 1.0, 3.0
    X.concInit, Y.concInit = 1.0, 1.0

    reac(mesh, 'source', [A], [X], 1.0)
    reac(mesh, 'autocat', [X, X, Y], [X, X, X], 1.0)
    reac(mesh, 'convert', [B, X], [B, Y], 1.0)
    reac(mesh, 'decay', [X], [], 1.0)

    graphs = moose.Neutral('/model/graphs')
    tabs = {}
    for p in (X, Y):
        t = moose.Table2(graphs.path + '/' + p.name)
        moose.connect(t, 'requestOut', p, 'getConc')
        tabs[p.name] = t
    moose.setClock(18, PLOT_DT)     # Table2 tick; the Ksolve syncs every 0.1 s

    stoich = moose.Stoich(mesh.path + '/stoich')
    ksolve = moose.Ksolve(mesh.path + '/ksolve')
    stoich.compartment = mesh
    stoich.ksolve = ksolve
    stoich.reacSystemPath = mesh.path + '/##'
    return tabs


def rising_crossings(t, x, level):
    """Times at which x rises through level (linear interpolation)."""
    k = np.nonzero((x[:-1] < level) & (x[1:] >= level))[0]
    return t[k] + (level - x[k]) / (x[k + 1] - x[k]) * (t[k + 1] - t[k])


def main():
    tabs = build()
    moose.reinit()
    t0 = time.perf_counter()
    moose.start(RUNTIME)
    wall = time.perf_counter() - t0

    x, y = tabs['X'].vector, tabs['Y'].vector
    t = np.arange(len(x)) * PLOT_DT
    late = t > RUNTIME / 2                  # past the initial transient
    ups = rising_crossings(t, x, 2.0)
    periods = np.diff(ups[ups > RUNTIME / 2])
    period = periods.mean()
    print(f'simulated {RUNTIME:g} s in {wall:.3f} s wall time ({len(x)} samples)')
    print(f'{len(ups)} cycles; period {period:.3f} s (spread {np.ptp(periods):.3f} s)')
    print(f'X range in the second half: {x[late].min():.3f} .. {x[late].max():.3f} mM')

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4),
                                   gridspec_kw={'width_ratios': [2, 1]})
    ax1.plot(t, x, label='X')
    ax1.plot(t, y, label='Y')
    ax1.set(xlabel='time (s)', ylabel='conc (mM)',
            title=f'Brusselator, period {period:.2f} s')
    ax1.legend()
    ax2.plot(x, y)
    ax2.set(xlabel='X (mM)', ylabel='Y (mM)', title='phase plane')
    fig.tight_layout()
    path = out_path('04_oscillator.png')
    fig.savefig(path, dpi=80)
    print('wrote', path)

    assert len(ups) >= 20                                    # it keeps oscillating
    assert 7.0 < period < 7.3, period                        # expected 7.16 s
    assert np.ptp(periods) < 0.05                            # on the limit cycle
    assert 3.6 < x[late].max() < 3.9 and 0.3 < x[late].min() < 0.45


if __name__ == '__main__':
    main()
