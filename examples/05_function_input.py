"""05 - Functions as inputs: a time course drives a pool, a pool drives a rate.

* A Function of time ``t`` sets the concentration of a buffered pool S:
  ``S = 0.5 (1 + sin(2 pi t / 50))`` mM, through ``'valueOut' -> 'setConc'``.
* S makes X (``S -> S + X``, S as catalyst) and X decays (``X ->``), so X
  follows S, low-pass filtered.
* A second Function of X (``'nOut' -> x[0] 'input'``, in molecules) sets
  the forward rate of a fast isomerisation ``A <-> B`` through
  ``'valueOut' -> 'setNumKf'``: numKf = 0.2 + 5 X^2 / (K^2 + X^2) /s, a Hill
  activation with K = 0.5 mM expressed in molecules (``c['K']``).

Expected result: S follows the sine (to within 1e-6 mM at every sample
after t = 0), X oscillates with the same 50 s period and a lag, and since
A <-> B (Kb = 5 /s) equilibrates much faster than X changes, the fraction
B/(A+B) tracks numKf(X)/(numKf(X) + Kb) to within 0.01 all along.
Run it with ``python 05_function_input.py``; it writes
``05_function_input.png``.
"""

import time

import numpy as np
from _common import out_path, plt  # headless plotting, figure path

import moosepy as moose

RUNTIME = 200.0
PERIOD = 50.0            # s, of the sine input
VOLUME = 1e-18           # m^3
KHILL = 0.5              # mM
KB = 5.0                 # 1/s


def reac(mesh, name, subs, prds, kf, kb=0.0):
    r = moose.Reac(mesh.path + '/' + name)
    for s in subs:
        moose.connect(r, 'sub', s, 'reac')
    for p in prds:
        moose.connect(r, 'prd', p, 'reac')
    r.Kf, r.Kb = kf, kb
    return r


def sine(t):
    return 0.5 * (1.0 + np.sin(2 * np.pi * t / PERIOD))


def build():
    moose.Neutral('/model')
    mesh = moose.CubeMesh('/model/kinetics')
    mesh.volume = VOLUME
    S = moose.BufPool(mesh.path + '/S')
    X = moose.Pool(mesh.path + '/X')
    A = moose.Pool(mesh.path + '/A')
    B = moose.Pool(mesh.path + '/B')
    S.concInit = sine(0.0)
    X.concInit = 0.0
    A.concInit, B.concInit = 1.0, 0.0

    # input: a Function of time sets S (in mM, so to 'setConc')
    fin = moose.Function(mesh.path + '/input')
    fin.c['T'] = PERIOD
    fin.expr = '0.5 * (1 + sin(2 * pi * t / T))'
    moose.connect(fin, 'valueOut', S, 'setConc')

    reac(mesh, 'make', [S], [S, X], 0.2)          # dX/dt = 0.2 S - 0.2 X
    reac(mesh, 'decay', [X], [], 0.2)
    iso = reac(mesh, 'iso', [A], [B], 0.2, KB)

    # modulation: a Function of X (in molecules, from 'nOut') sets numKf of iso
    fmod = moose.Function(iso.path + '/rate')
    fmod.c['K'] = KHILL * moose.NA * VOLUME
    fmod.expr = '0.2 + 5 * x0^2 / (K^2 + x0^2)'
    moose.connect(X, 'nOut', fmod.x[0], 'input')
    moose.connect(fmod, 'valueOut', iso, 'setNumKf')

    graphs = moose.Neutral('/model/graphs')
    tabs = {}
    for p in (S, X, A, B):
        t = moose.Table2(graphs.path + '/' + p.name)
        moose.connect(t, 'requestOut', p, 'getConc')
        tabs[p.name] = t

    stoich = moose.Stoich(mesh.path + '/stoich')
    ksolve = moose.Ksolve(mesh.path + '/ksolve')
    stoich.compartment = mesh
    stoich.ksolve = ksolve
    stoich.reacSystemPath = mesh.path + '/##'
    return stoich, tabs


def main():
    stoich, tabs = build()
    moose.reinit()
    t0 = time.perf_counter()
    moose.start(RUNTIME)
    wall = time.perf_counter() - t0
    print(f'simulated {RUNTIME:g} s in {wall:.3f} s wall time; Stoich: '
          f'{stoich.numVarPools} variable, {stoich.numBufPools} buffered, '
          f'{stoich.numFuncPools} function-driven pools')

    v = {k: t.vector for k, t in tabs.items()}
    t = np.arange(len(v['S'])) * tabs['S'].dt
    s_err = np.max(np.abs(v['S'][1:] - sine(t[1:])))
    kf = 0.2 + 5 * v['X'] ** 2 / (KHILL ** 2 + v['X'] ** 2)
    frac = v['B'] / (v['A'] + v['B'])
    frac_qss = kf / (kf + KB)
    late = t > 20.0
    f_err = np.max(np.abs(frac[late] - frac_qss[late]))
    # lag of X behind S: X = filtered sine, lag = atan(w/0.2)/w
    w = 2 * np.pi / PERIOD
    third = np.flatnonzero((t >= 2 * PERIOD) & (t <= 3 * PERIOD))   # third cycle of S
    k_peak_x = third[np.argmax(v['X'][third])]
    print(f'max |S - sine(t)| for t > 0: {s_err:.2e} mM')
    print(f'X: {v["X"][late].min():.3f} .. {v["X"][late].max():.3f} mM, peak at '
          f't = {t[k_peak_x]:g} s (S peaks at 112.5 s; expected lag '
          f'{np.arctan(w / 0.2) / w:.1f} s)')
    print(f'B/(A+B): {frac[late].min():.3f} .. {frac[late].max():.3f}; max deviation '
          f'from numKf/(numKf+Kb): {f_err:.2e}')

    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(8, 6), sharex=True)
    ax1.plot(t, v['S'], label='S (Function of t)')
    ax1.plot(t, v['X'], label='X')
    ax1.set(ylabel='conc (mM)', title='Function inputs')
    ax1.legend(loc='upper right')
    ax2.plot(t, frac, label='B/(A+B)')
    ax2.plot(t, frac_qss, ':', label='numKf/(numKf+Kb)')
    ax2.set(xlabel='time (s)', ylabel='fraction')
    ax2.legend(loc='upper right')
    fig.tight_layout()
    path = out_path('05_function_input.png')
    fig.savefig(path, dpi=80)
    print('wrote', path)

    assert s_err < 1e-6, s_err                         # S follows the time function
    assert np.ptp(v['X'][late]) > 0.3                  # X is driven
    assert abs(t[k_peak_x] - (112.5 + np.arctan(w / 0.2) / w)) < 1.5
    assert np.ptp(frac[late]) > 0.2                    # the rate is modulated...
    assert f_err < 0.01, f_err                         # ... by numKf = f(X)


if __name__ == '__main__':
    main()
