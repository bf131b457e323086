"""01 - Mass-action reactions reach the equilibrium set by Kf/Kb.

Two small systems, each in its own CubeMesh with its own Stoich and Ksolve:

* first order   ``A <-> B``      (Kf = 0.1 /s, Kb = 0.05 /s)
* second order  ``C + D <-> E``  (Kf = 1 /(mM s), Kb = 0.1 /s)

Expected result: after 100 s both are at equilibrium:
``[B]/[A] = Kf/Kb = 2`` and ``[E]/([C][D]) = Kf/Kb = 10 /mM``, which for
C0 = 1 mM, D0 = 0.5 mM gives E = 0.4258 mM (root of the quadratic
``(C0-E)(D0-E) = Kd E`` with Kd = Kb/Kf = 0.1 mM).  The binding reaction
relaxes faster than the isomerisation (its rate is Kf([C]+[D])+Kb, about
1 /s, against Kf+Kb = 0.15 /s).  The script also prints numKf, the
per-molecule rate that MOOSE derives from Kf and the volume.
Run it with ``python 01_reaction.py``; it writes ``01_reaction.png``.
"""

import time

import numpy as np
from _common import out_path, plt  # headless plotting, figure path

import moosepy as moose

RUNTIME = 100.0     # s
VOLUME = 1e-18      # m^3


def make_solver(mesh, method='rk5'):
    stoich = moose.Stoich(mesh.path + '/stoich')
    ksolve = moose.Ksolve(mesh.path + '/ksolve')
    ksolve.method = method
    stoich.compartment = mesh
    stoich.ksolve = ksolve
    stoich.reacSystemPath = mesh.path + '/##'   # set last: this builds the system
    return stoich


def plot(table_parent, pool):
    tab = moose.Table2(table_parent.path + '/' + pool.name)
    moose.connect(tab, 'requestOut', pool, 'getConc')
    return tab


def build():
    moose.Neutral('/model')
    graphs = moose.Neutral('/model/graphs')

    # --- first order: A <-> B -------------------------------------------
    uni = moose.CubeMesh('/model/uni')
    uni.volume = VOLUME
    A = moose.Pool('/model/uni/A')
    B = moose.Pool('/model/uni/B')
    A.concInit, B.concInit = 1.0, 0.0          # mM
    r1 = moose.Reac('/model/uni/r1')
    moose.connect(r1, 'sub', A, 'reac')
    moose.connect(r1, 'prd', B, 'reac')
    r1.Kf, r1.Kb = 0.1, 0.05                   # 1/s
    make_solver(uni)

    # --- second order: C + D <-> E ----------------------------------------
    bi = moose.CubeMesh('/model/bi')
    bi.volume = VOLUME
    C = moose.Pool('/model/bi/C')
    D = moose.Pool('/model/bi/D')
    E = moose.Pool('/model/bi/E')
    C.concInit, D.concInit, E.concInit = 1.0, 0.5, 0.0
    r2 = moose.Reac('/model/bi/r2')
    moose.connect(r2, 'sub', C, 'reac')
    moose.connect(r2, 'sub', D, 'reac')
    moose.connect(r2, 'prd', E, 'reac')
    r2.Kf = 1.0                                # 1/(mM s)
    r2.Kb = 0.1                                # 1/s
    make_solver(bi)

    tabs = {p.name: plot(graphs, p) for p in (A, B, C, D, E)}
    return (r1, r2), tabs


def main():
    (r1, r2), tabs = build()
    print(f'r1 (1st order): Kf = {r1.Kf:g} /s, numKf = {r1.numKf:g} /s')
    print(f'r2 (2nd order): Kf = {r2.Kf:g} /(mM s), numKf = {r2.numKf:.4g} /(# s) '
          f'(= Kf / (NA * V) = {r2.Kf / (moose.NA * VOLUME):.4g})')

    moose.reinit()
    t0 = time.perf_counter()
    moose.start(RUNTIME)
    wall = time.perf_counter() - t0

    v = {k: t.vector for k, t in tabs.items()}
    t = np.arange(len(v['A'])) * moose.element('/model/graphs/A').dt

    ratio1 = v['B'][-1] / v['A'][-1]
    kd = r2.Kb / r2.Kf
    c0, d0 = 1.0, 0.5
    e_exact = ((c0 + d0 + kd) - np.sqrt((c0 + d0 + kd) ** 2 - 4 * c0 * d0)) / 2
    ratio2 = v['E'][-1] / (v['C'][-1] * v['D'][-1])
    print(f'simulated {RUNTIME:g} s in {wall:.3f} s wall time')
    print(f'A <-> B : [B]/[A] = {ratio1:.5f}   (Kf/Kb = {r1.Kf / r1.Kb:.5f})')
    print(f'C+D <-> E: [E]/([C][D]) = {ratio2:.5f} /mM (Kf/Kb = {r2.Kf / r2.Kb:.5f}); '
          f'E = {v["E"][-1]:.5f} mM (exact {e_exact:.5f})')

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    for k in ('A', 'B'):
        ax1.plot(t, v[k], label=k)
    ax1.axhline(r1.Kf / (r1.Kf + r1.Kb), ls=':', c='gray', label='B eq.')
    ax1.set(title='A <-> B', xlabel='time (s)', ylabel='conc (mM)')
    ax1.legend()
    for k in ('C', 'D', 'E'):
        ax2.plot(t, v[k], label=k)
    ax2.axhline(e_exact, ls=':', c='gray', label='E eq.')
    ax2.set(title='C + D <-> E', xlabel='time (s)')
    ax2.legend()
    fig.tight_layout()
    path = out_path('01_reaction.png')
    fig.savefig(path, dpi=80)
    print('wrote', path)

    # the key claims
    assert abs(ratio1 - r1.Kf / r1.Kb) < 1e-4 * (r1.Kf / r1.Kb), ratio1
    assert abs(ratio2 - r2.Kf / r2.Kb) < 1e-4 * (r2.Kf / r2.Kb), ratio2
    assert abs(v['E'][-1] - e_exact) < 1e-5
    assert abs(v['A'][-1] + v['B'][-1] - 1.0) < 1e-6          # mass conserved
    assert abs(v['C'][-1] + v['E'][-1] - c0) < 1e-6


if __name__ == '__main__':
    main()
