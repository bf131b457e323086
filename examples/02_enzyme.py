"""02 - Explicit enzyme (Enz, with its complex) against Michaelis-Menten (MMenz).

Two copies of the same conversion S -> P, catalysed with the same Km
(0.5 mM) and kcat (2 /s):

* ``Enz``: E + S <-> ES -> E + P, mass action with an explicit complex
  pool ES (a child of the Enz, connected on 'cplx'); ratio = k2/k3 = 4.
* ``MMenz``: rate = kcat [E] [S] / (Km + [S]), no complex; the enzyme
  pool sends 'nOut' to the MMenz 'enzDest'.

Expected result: with the enzyme scarce (E0 = 0.01 mM against S0 = 1 mM)
the Michaelis-Menten approximation holds: both product curves reach S0
(essentially complete by 300 s) and differ by at most about E0 (the substrate held in the
complex).  The complex quickly settles to its quasi-steady-state value
E0 [S]/(Km + [S]) and falls as S is used up, and E + ES stays at E0.
The MMenz curve follows the integrated Michaelis-Menten law
Km ln(S0/S) + (S0 - S) = kcat E0 t.
Run it with ``python 02_enzyme.py``; it writes ``02_enzyme.png``.
"""

import time

import numpy as np
from _common import out_path, plt  # headless plotting, figure path

import moosepy as moose

RUNTIME = 300.0
S0, E0 = 1.0, 0.01       # mM
KM, KCAT = 0.5, 2.0      # mM, 1/s


def pool(mesh, name, conc):
    p = moose.Pool(mesh.path + '/' + name)
    p.concInit = conc
    return p


def build():
    moose.Neutral('/model')
    mesh = moose.CubeMesh('/model/kinetics')
    mesh.volume = 1e-18

    # explicit enzyme with a complex
    E1, S1, P1 = pool(mesh, 'E1', E0), pool(mesh, 'S1', S0), pool(mesh, 'P1', 0.0)
    enz = moose.Enz(E1.path + '/enz')
    cplx = moose.Pool(enz.path + '/cplx')
    cplx.concInit = 0.0
    moose.connect(enz, 'enz', E1, 'reac')
    moose.connect(enz, 'sub', S1, 'reac')
    moose.connect(enz, 'prd', P1, 'reac')
    moose.connect(enz, 'cplx', cplx, 'reac')
    enz.Km = KM
    enz.kcat = KCAT
    enz.ratio = 4.0          # k2 = 4 k3

    # Michaelis-Menten enzyme on a second copy of the substrate
    E2, S2, P2 = pool(mesh, 'E2', E0), pool(mesh, 'S2', S0), pool(mesh, 'P2', 0.0)
    mm = moose.MMenz(E2.path + '/mmenz')
    moose.connect(E2, 'nOut', mm, 'enzDest')
    moose.connect(mm, 'sub', S2, 'reac')
    moose.connect(mm, 'prd', P2, 'reac')
    mm.Km = KM
    mm.kcat = KCAT

    graphs = moose.Neutral('/model/graphs')
    tabs = {}
    for p in (E1, S1, P1, cplx, S2, P2):
        t = moose.Table2(graphs.path + '/' + p.name)
        moose.connect(t, 'requestOut', p, 'getConc')
        tabs[p.name] = t

    stoich = moose.Stoich(mesh.path + '/stoich')
    ksolve = moose.Ksolve(mesh.path + '/ksolve')
    stoich.compartment = mesh
    stoich.ksolve = ksolve
    stoich.reacSystemPath = mesh.path + '/##'
    return enz, mm, tabs


def main():
    enz, mm, tabs = build()
    print(f'Enz:   Km = {enz.Km:g} mM, kcat = {enz.kcat:g} /s, k1 = {enz.k1:.4g} /(# s), '
          f'k2 = {enz.k2:g} /s, k3 = {enz.k3:g} /s')
    print(f'MMenz: Km = {mm.Km:g} mM, kcat = {mm.kcat:g} /s, numKm = {mm.numKm:.5g} #')

    moose.reinit()
    t0 = time.perf_counter()
    moose.start(RUNTIME)
    wall = time.perf_counter() - t0

    v = {k: t.vector for k, t in tabs.items()}
    t = np.arange(len(v['P1'])) * tabs['P1'].dt
    dP = np.abs(v['P1'] - v['P2'])
    qss = E0 * v['S1'] / (KM + v['S1'])          # quasi-steady-state complex
    k = np.searchsorted(t, 20.0)                  # after the fast transient
    qss_err = np.max(np.abs(v['cplx'][k:] - qss[k:]))
    # integrated Michaelis-Menten law: the time at which S2 should be reached
    ok = v['S2'] > 1e-3
    t_mm = (KM * np.log(S0 / v['S2'][ok]) + S0 - v['S2'][ok]) / (KCAT * E0)
    mm_err = np.max(np.abs(t_mm - t[ok]))
    print(f'simulated {RUNTIME:g} s in {wall:.3f} s wall time')
    print(f'MMenz vs integrated MM law: max time error {mm_err:.2e} s')
    print(f'P at t = 100 s: Enz {v["P1"][100]:.4f} mM, MMenz {v["P2"][100]:.4f} mM')
    print(f'final P: Enz {v["P1"][-1]:.4f} mM, MMenz {v["P2"][-1]:.4f} mM')
    print(f'max |P_Enz - P_MMenz| = {dP.max():.2e} mM (E0 = {E0:g} mM)')
    print(f'complex peak {v["cplx"].max():.5f} mM; max deviation from '
          f'E0 S/(Km+S) after 20 s: {qss_err:.2e} mM')

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    ax1.plot(t, v['S1'], 'C0', label='S (Enz)')
    ax1.plot(t, v['P1'], 'C1', label='P (Enz)')
    ax1.plot(t, v['S2'], 'C0--', label='S (MMenz)')
    ax1.plot(t, v['P2'], 'C1--', label='P (MMenz)')
    ax1.set(xlabel='time (s)', ylabel='conc (mM)', title='substrate and product')
    ax1.legend()
    ax2.plot(t, v['cplx'] * 1e3, label='ES complex')
    ax2.plot(t, qss * 1e3, ':', label='E0 S/(Km+S)')
    ax2.plot(t, v['E1'] * 1e3, label='free E')
    ax2.set(xlabel='time (s)', ylabel='conc (uM)', title='explicit enzyme')
    ax2.legend()
    fig.tight_layout()
    path = out_path('02_enzyme.png')
    fig.savefig(path, dpi=80)
    print('wrote', path)

    assert v['P1'][-1] > 0.99 * S0 and v['P2'][-1] > 0.99 * S0     # conversion complete
    assert mm_err < 1e-3                                             # MMenz exact MM rate
    assert dP.max() < 2 * E0                                         # MM approximation
    assert v['cplx'].max() > 0.5 * E0 * S0 / (KM + S0)               # the complex forms
    assert qss_err < 0.05 * E0                                        # ... at its QSS value
    assert np.max(np.abs(v['E1'] + v['cplx'] - E0)) < 1e-8           # enzyme conserved
    assert np.max(np.abs(v['S1'] + v['cplx'] + v['P1'] - S0)) < 1e-7


if __name__ == '__main__':
    main()
