"""kin_large at equal accuracy: moosepy against MOOSE (pymoose 5.0.0), warm
simulation-only CPU time beside each run's error.

Why: MOOSE's LSODA ignores the Ksolve's ``epsRel``/``epsAbs``
(``VoxelPools::advance`` calls ``lsoda_update`` without them, so LSODA's
defaults rtol 1e-3, atol 1e-6 apply), while moosepy's honours them (default
1e-7).  The same script then asks far more accuracy of moosepy than MOOSE
gives, and comparing their times alone compares different work.  This
benchmark prints, for kin_large (``kin_models.build_kin_large``: 200 pools,
400 reversible reactions, 100 s), each configuration's time and its error
against a tight reference, so that equal accuracy can be read off:

* moosepy lsoda at the Ksolve's default tolerances, at MOOSE's effective
  LSODA tolerances (``epsRel=1e-3, epsAbs=1e-6``) and between;
* moosepy rk5 (GSL's rkf45, MOOSE's default method) at its defaults;
* MOOSE lsoda (whatever the tolerances) and MOOSE gsl (rk5) at its defaults.

Error: the largest over pools of |c - c_ref| / max(|c_ref|, 1e-6 max|c_ref|)
of the concentrations at 100 s; c_ref from scipy's odeint (rtol 1e-11,
atol 1e-14 mM) of the same mass-action equations, written here from the
model's reaction list (independent of both simulators).

Time: ``process_time`` of ``moose.start(100)`` after ``reinit``, runs 2..N
in one process (run 1 loads kernels); processes alternate between the
simulators, ``--rounds`` times.

    python benchmarks/bench_equal_accuracy.py [--pymoose PY] [--rounds 3] [--runs 8]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
os.environ.setdefault('MOOSEPY_AUTO_WARMUP', '0')   # measurements: no background compile

HERE = os.path.dirname(os.path.abspath(__file__))

# (label, simulator, method, (epsRel, epsAbs) or None for the defaults)
CONFIGS = [
    ('moosepy lsoda, defaults', 'moosepy', 'lsoda', None),
    ('moosepy lsoda, 1e-5/1e-8', 'moosepy', 'lsoda', (1e-5, 1e-8)),
    ('moosepy lsoda, 1e-3/1e-6', 'moosepy', 'lsoda', (1e-3, 1e-6)),
    ('moosepy rk5, defaults', 'moosepy', 'rk5', None),
    ('MOOSE lsoda', 'moose', 'lsoda', None),
    ('MOOSE gsl (rk5)', 'moose', 'gsl', None),
]


def child(sim, method, tol, runs):
    import time
    sys.path.insert(0, HERE)
    if sim == 'moose':
        import moose
    else:
        import moosepy as moose
    import kin_models
    m = kin_models.build_kin_large(moose, method=method)
    if tol is not None:
        m['ksolve'].epsRel, m['ksolve'].epsAbs = tol
    cpu = []
    for _ in range(runs):
        moose.reinit()
        c0 = time.process_time()
        moose.start(m['runtime'])
        cpu.append(time.process_time() - c0)
    conc = [m['pools'][k].conc for k in sorted(m['pools'])]
    print('RESULT ' + json.dumps({'cpu': cpu, 'conc': conc}))


def reference():
    """Concentrations [mM] at 100 s of kin_large's equations, by odeint."""
    import numpy as np
    from scipy.integrate import odeint
    sys.path.insert(0, HERE)
    import kin_models
    rng = np.random.default_rng(1)
    _, reactions, conc0 = kin_models._draw_network(rng, 200, 400)

    n, nr = len(conc0), len(reactions)
    # each side as two index columns into [c, 1.0] (a missing second
    # species reads the 1.0); the stoichiometry as a dense matrix
    S1, S2, P1, P2 = (np.full(nr, n) for _ in range(4))
    kf, kb = np.empty(nr), np.empty(nr)
    N = np.zeros((n, nr))
    for j, (subs, prds, f_, b_) in enumerate(reactions):
        S1[j] = subs[0]
        P1[j] = prds[0]
        if len(subs) > 1:
            S2[j] = subs[1]
        if len(prds) > 1:
            P2[j] = prds[1]
        kf[j], kb[j] = f_, b_
        for s in subs:
            N[s, j] -= 1
        for q in prds:
            N[q, j] += 1

    def f(c, t):
        x = np.append(c, 1.0)
        return N @ (kf * x[S1] * x[S2] - kb * x[P1] * x[P2])

    out = odeint(f, np.asarray(conc0, float), [0.0, 100.0], rtol=1e-11, atol=1e-14,
                 mxstep=100000)
    return out[-1]


def error(conc, ref):
    import numpy as np
    c, r = np.asarray(conc), np.asarray(ref)
    floor = 1e-6 * np.max(np.abs(r))
    return float(np.max(np.abs(c - r) / np.maximum(np.abs(r), floor)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--pymoose', default='/work/pymoose-venv/bin/python')
    ap.add_argument('--rounds', type=int, default=3)
    ap.add_argument('--runs', type=int, default=8)
    ap.add_argument('--child', nargs=4, metavar=('SIM', 'METHOD', 'EPSREL', 'EPSABS'),
                    help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        sim, method, er, ea = a.child
        tol = None if er == '-' else (float(er), float(ea))
        child(sim, method, tol, a.runs)
        return
    print(f'# kin_large, {a.rounds} rounds x {a.runs} runs; load {os.getloadavg()}', flush=True)
    ref = reference()
    res = {c[0]: {'cpu': [], 'err': None} for c in CONFIGS}
    for r in range(a.rounds):
        for label, sim, method, tol in (CONFIGS if r % 2 == 0 else CONFIGS[::-1]):
            py = a.pymoose if sim == 'moose' else sys.executable
            er, ea = ('-', '-') if tol is None else (repr(tol[0]), repr(tol[1]))
            out = subprocess.run([py, os.path.abspath(__file__), '--runs', str(a.runs),
                                  '--child', sim, method, er, ea],
                                 capture_output=True, text=True, timeout=900)
            got = [json.loads(line[7:]) for line in out.stdout.splitlines()
                   if line.startswith('RESULT ')]
            if out.returncode or not got:
                print(f'  {label}: failed: {out.stderr.strip()[-300:]}')
                continue
            res[label]['cpu'].extend(got[0]['cpu'][1:])
            res[label]['err'] = error(got[0]['conc'], ref)
        print(f'  round {r + 1} done, load {os.getloadavg()}', flush=True)
    base = res['MOOSE lsoda']['cpu']
    mb = statistics.median(base) if base else float('nan')
    print(f"{'configuration':28s} {'CPU s median (min-max)':>26s} {'/ MOOSE lsoda':>14s} "
          f"{'error at 100 s':>15s}")
    for label, *_ in CONFIGS:
        c = res[label]['cpu']
        if not c:
            continue
        med = statistics.median(c)
        print(f'{label:28s} {med:10.4f} ({min(c):.4f}-{max(c):.4f}) {med / mb:14.2f} '
              f'{res[label]["err"]:15.2e}')
    print(f'# load at end {os.getloadavg()}')


if __name__ == '__main__':
    main()
