"""Network benchmark: N Hodgkin-Huxley cells joined by K random excitatory
synapses each, stepped by moosepy's HSolve (synapses and spikes inside the
compiled kernel, or Python-stepped with ``ABSORB_SYNAPSES = False``),
beside NEURON 9.0.2 and MOOSE 5.0.0 on the identical model when their side
venvs are installed.

Model (SI units; the same in all three simulators):

* cell: one compartment, area 1000 um^2 (1e-9 m^2), Cm 1 uF/cm^2
  (1e-11 F), squid HH at 6.3 C: gNa 120 mS/cm^2 (ENa 50 mV), gK 36 mS/cm^2
  (EK -77 mV), leak 0.3 mS/cm^2 (Rm = 1/(3 S/m^2 * area) = 3.33e8 ohm) at
  Em -54.3 mV; initVm -65 mV.  Rates are the exact HH formulas, tabulated
  on 3001 points over -0.1..0.05 V in moosepy/MOOSE (linear
  interpolation), evaluated exactly in NEURON (usetable_hh = 0).
* synapse: one dual-exponential excitatory synapse per cell (tau1 1 ms rise,
  tau2 3 ms decay, Ek 0 V), peak conductance of one event = Gbar * weight
  (MOOSE SynChan; NEURON Exp2Syn with weight Gbar*weight in uS, which also
  normalises the peak).  Gbar = 0.5 nS * sqrt(10 / K), so that the
  fluctuation of the summed input (~ Gbar sqrt(K)) is the same at every K
  (the mean grows as sqrt(K)); weights uniform 0.5..1.5.  With this the
  activity started by the kick is sustained, irregular, at 65-90 Hz per
  cell (the HH cell at 6.3 C fires at >= ~50 Hz or not at all).  Measured
  while choosing (summed Gbar*K): at K = 10, 2 nS (instead of 5) lets the
  activity die, 20-30 nS locks it into synchronous waves with pauses; at
  K = 50, 5 nS (instead of 11.2) dies within 30 ms, 6-8 nS is bursty.
* connectivity: each cell receives K synapses from K distinct random other
  cells (numpy default_rng(seed), seed 1); delays uniform 1..5 ms.  One
  SpikeGen per cell (threshold 0 V, refractT 2 ms; NEURON: NetCon on the
  soma's v, threshold 0 mV) drives them.
* background: each cell a constant inject of 0.70..0.95 (uniform, per cell)
  of the step rheobase (21 pA: a step of 22.5 pA from rest fires one spike,
  20 pA none; the repetitive-firing threshold is about 61 pA); 5 % of the
  cells (at least one) get a 0.3 nA, 0.5 ms kick at t = 2 ms (IClamp del 2
  ms; PulseGen firstDelay 2 ms + dt, see moosepy/electrical/stimuli.py).
* run 100 ms at dt = 25 us; every SpikeGen's spikes go to a Table
  ('spike'; NEURON: NetCon.record).

In moosepy and MOOSE each cell has its own HSolve (the moosepy group steps
all of them in one kernel call per chunk).  moosepy uses Crank-Nicolson
(its and MOOSE's scheme); NEURON is run with backward Euler (secondorder 0,
its default) and with Crank-Nicolson (secondorder 2).

Figures: sim-only wall time (the ``start``/``continuerun`` call, after
building, reinit and a warm-up run that compiles the kernel), cell-steps
per wall second (N * 4000 / time), spikes per wall second, synaptic
events delivered per wall second (spikes times their out-degree, counting
only the events whose arrival falls within the run), total spikes and mean
rate per cell.

Usage::

    python benchmarks/bench_network.py                    # default sizes, with references
    python benchmarks/bench_network.py --no-ref           # moosepy only
    python benchmarks/bench_network.py --sizes 100x10,1000x50 --rounds 3

NEURON runs through ``$NRN_PYTHON`` (default /work/nrnvenv/bin/python),
MOOSE through ``$MOOSE_PYTHON`` (default /work/sidevenv/bin/python), each
in its own process (bench_network_nrn.py, bench_network_moose.py), reading
the same connectivity from a temporary .npz file written here.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
os.environ.setdefault('MOOSEPY_AUTO_WARMUP', '0')   # measurements: no background compile

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
from hh_tables import hh_tables  # noqa: E402
import moosepy as moose  # noqa: E402
from moosepy.core.shell import reset_tree  # noqa: E402
from moosepy.electrical import hsolve  # noqa: E402

DT = 25e-6
RUNTIME = 0.1
AREA = 1e-9                    # m^2 (1000 um^2)
GBAR10 = 0.5e-9                # S: SynChan Gbar at K = 10 (scaled by sqrt(10/K))
RHEOBASE = 21e-12              # A: step rheobase from rest (see docstring)
KICK = (2e-3, 0.5e-3, 3e-10)   # s, s, A: start, width, amplitude
SEED = 1


# ------------------------------------------------------------------ model
def make_model(N, K, seed=SEED):
    """Connectivity and drives of the network, as plain arrays (the same
    for every simulator): ``pre[i, k]`` the k-th presynaptic cell of cell i,
    ``delay[i, k]`` [s], ``weight[i, k]`` [1], ``inject[i]`` [A],
    ``kicked`` (cell indices), ``gbar`` [S] of every SynChan."""
    if not 1 <= K < N:
        raise ValueError(f'need 1 <= K < N, got N={N}, K={K}')
    rng = np.random.default_rng(seed)
    pre = np.empty((N, K), dtype=np.int64)
    for i in range(N):
        p = rng.choice(N - 1, size=K, replace=False)
        pre[i] = p + (p >= i)             # skip cell i itself
    delay = rng.uniform(1e-3, 5e-3, size=(N, K))
    weight = rng.uniform(0.5, 1.5, size=(N, K))
    inject = RHEOBASE * rng.uniform(0.70, 0.95, size=N)
    kicked = np.sort(rng.choice(N, size=max(1, N // 20), replace=False))
    return {'N': N, 'K': K, 'pre': pre, 'delay': delay, 'weight': weight,
            'inject': inject, 'kicked': kicked, 'gbar': GBAR10 * np.sqrt(10.0 / K),
            'dt': DT, 'runtime': RUNTIME, 'kick': np.array(KICK)}


def save_model(model, path):
    np.savez(path, **{k: np.asarray(v) for k, v in model.items()})


def _prototypes():
    tabs = hh_tables()
    moose.Neutral('/library')
    na = moose.HHChannel('/library/Na')
    na.Xpower, na.Ypower, na.Ek = 3, 1, 0.050
    k = moose.HHChannel('/library/K')
    k.Xpower, k.Ek = 4, -0.077
    for path, key in (('/library/Na/gateX', 'm'), ('/library/Na/gateY', 'h'),
                      ('/library/K/gateX', 'n')):
        g = moose.element(path)
        g.min, g.max = -0.1, 0.05
        g.tableA, g.tableB = tabs[key]
        g.useInterpolation = True


def build_network(N, K, seed=SEED, method='cn', model=None):
    """Build the network in moosepy under /net (prototypes in /library) and
    set the clocks; returns (model, spike tables).  A MOOSE script would
    do the same, object by object: per cell /net/c<i>/{soma, soma/Na,
    soma/K, soma/syn (SynChan), soma/syn/sh (SimpleSynHandler, K synapses),
    spike (SpikeGen), spk (Table), hsolve}."""
    if model is None:
        model = make_model(N, K, seed)
    N, K = model['N'], model['K']
    _prototypes()
    moose.Neutral('/net')
    somas, gens, tables, handlers = [], [], [], []
    for i in range(N):
        cell = moose.Neutral(f'/net/c{i}')
        soma = moose.Compartment(cell.path + '/soma')
        soma.Cm, soma.Rm = 0.01 * AREA, 1.0 / (3.0 * AREA)
        soma.Em, soma.initVm = -0.0543, -0.065
        soma.inject = float(model['inject'][i])
        for name, dens in (('Na', 1200.0), ('K', 360.0)):
            ch = moose.element(moose.copy('/library/' + name, soma, name))
            ch.Gbar = dens * AREA
            moose.connect(ch, 'channel', soma, 'channel')
        chan = moose.SynChan(soma.path + '/syn')
        chan.Gbar, chan.Ek, chan.tau1, chan.tau2 = float(model['gbar']), 0.0, 1e-3, 3e-3
        moose.connect(chan, 'channel', soma, 'channel')
        sh = moose.SimpleSynHandler(chan.path + '/sh')
        sh.synapse.num = K
        moose.connect(sh, 'activationOut', chan, 'activation')
        sg = moose.SpikeGen(cell.path + '/spike')
        sg.threshold, sg.refractT = 0.0, 2e-3
        moose.connect(soma, 'VmOut', sg, 'Vm')
        tab = moose.Table(cell.path + '/spk')
        moose.connect(sg, 'spikeOut', tab, 'spike')
        hs = moose.HSolve(cell.path + '/hsolve')
        hs.dt, hs.target, hs.method = DT, soma.path, method
        somas.append(soma)
        gens.append(sg)
        tables.append(tab)
        handlers.append(sh)
    for i in range(N):
        syns = handlers[i].synapse
        for k in range(K):
            s = syns[k]
            s.weight = float(model['weight'][i, k])
            s.delay = float(model['delay'][i, k])
            moose.connect(gens[int(model['pre'][i, k])], 'spikeOut', s, 'addSpike')
    start, width, level = model['kick']
    pg = moose.PulseGen('/net/kick')
    pg.firstDelay, pg.firstWidth, pg.firstLevel = float(start) + DT, float(width), float(level)
    pg.secondDelay = 1e9
    for i in model['kicked']:
        moose.connect(pg, 'output', somas[int(i)], 'injectMsg')
    for tick in range(10):
        moose.setClock(tick, DT)
    return model, tables


def events_delivered(model, spikes, t_end):
    """Synaptic events that arrive within the run: for every spike of cell
    j at time t and every synapse (i, k) with pre[i, k] == j, one event if
    t + delay[i, k] <= t_end."""
    N, K = model['N'], model['K']
    total = 0
    for j_syn in range(N):
        for k in range(K):
            sp = spikes[int(model['pre'][j_syn, k])]
            total += int(np.count_nonzero(np.asarray(sp) + model['delay'][j_syn, k] <= t_end))
    return total


# ------------------------------------------------------------------ runs
def warmup():
    """Compile the kernels (and the synapse paths) on a tiny network."""
    old = hsolve.ABSORB_SYNAPSES
    try:
        hsolve.ABSORB_SYNAPSES = True
        reset_tree()
        build_network(8, 3)
        moose.reinit()
        moose.start(0.005)
    finally:
        hsolve.ABSORB_SYNAPSES = old
        reset_tree()


def run_moosepy(N, K, absorb=True, model=None, repeats=1):
    """Build once, then reinit + start `repeats` times, keeping the best
    sim-only time; returns a result dict with the spike times."""
    old = hsolve.ABSORB_SYNAPSES
    hsolve.ABSORB_SYNAPSES = absorb
    try:
        reset_tree()
        t0 = time.perf_counter()
        model, tables = build_network(N, K, model=model)
        tb = time.perf_counter() - t0
        best = 1e9
        for _ in range(repeats):
            moose.reinit()
            t1 = time.perf_counter()
            moose.start(model['runtime'])
            best = min(best, time.perf_counter() - t1)
        spikes = [np.asarray(t.vector, dtype=float).copy() for t in tables]
    finally:
        hsolve.ABSORB_SYNAPSES = old
        reset_tree()
    r = result('moosepy ' + ('kernel' if absorb else 'Python'), model, best, spikes,
               build_s=tb)
    r['raster'] = spikes
    return r


def result(name, model, sim_s, spikes, **extra):
    n_sp = int(sum(len(s) for s in spikes))
    r = {'sim': name, 'N': model['N'], 'K': model['K'], 'sim_s': sim_s, 'spikes': n_sp,
         'events': events_delivered(model, spikes, model['runtime']),
         'silent': int(sum(len(s) == 0 for s in spikes)),
         'rate_hz': n_sp / model['N'] / model['runtime']}
    r.update(extra)
    return r


def divergence(a, b, tol=0.2e-3):
    """Earliest spike time [s] at which the two rasters (lists of spike
    times per cell) stop matching spike for spike within *tol*; None when
    they match to the end."""
    worst = None
    for x, y in zip(a, b):
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        n = min(len(x), len(y))
        bad = np.nonzero(np.abs(x[:n] - y[:n]) > tol)[0]
        t = None
        if len(bad):
            t = min(x[bad[0]], y[bad[0]])
        elif len(x) != len(y):
            t = (x if len(x) > n else y)[n]
        if t is not None and (worst is None or t < worst):
            worst = float(t)
    return worst


def run_side(python, script, args, timeout=900):
    if not python:
        return None, None
    if not Path(python).exists():
        return None, f'{script}: {python} not found, skipped'
    try:
        out = subprocess.run([python, str(HERE / script)] + args, capture_output=True,
                             text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, f'{script} {" ".join(args[1:])}: timed out after {timeout} s'
    for line in out.stdout.splitlines()[::-1]:
        if line.startswith('{'):
            return json.loads(line), None
    return None, (f'{script} failed (rc {out.returncode}): '
                  f'{(out.stderr or out.stdout).strip().splitlines()[-1:]}')


def side_result(raw, model):
    spikes = [np.asarray(s, dtype=float) for s in raw['spikes_per_cell']]
    r = result(raw['sim'], model, raw['sim_s'], spikes)
    r['raster'] = spikes
    for k in ('spike_table_lengths', 'first_from_spike_table'):
        if k in raw:
            r[k] = raw[k]
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--no-ref', action='store_true', help='moosepy only')
    ap.add_argument('--sizes', default='100x10,100x50,1000x10,1000x50',
                    help='comma-separated NxK (cells x synapses per cell)')
    ap.add_argument('--python-max-n', type=int, default=100,
                    help='run the Python-stepped path (ABSORB_SYNAPSES = False) up to this N')
    ap.add_argument('--no-moose', action='store_true', help='skip MOOSE')
    ap.add_argument('--rounds', type=int, default=2, help='interleaved rounds (best kept)')
    ap.add_argument('--seed', type=int, default=SEED)
    a = ap.parse_args()
    nrn = None if a.no_ref else os.environ.get('NRN_PYTHON', '/work/nrnvenv/bin/python')
    moo = None if (a.no_ref or a.no_moose) else \
        os.environ.get('MOOSE_PYTHON', '/work/sidevenv/bin/python')
    sizes = [tuple(int(x) for x in s.lower().split('x')) for s in a.sizes.split(',')]
    notes = []
    warmup()
    tmp = tempfile.mkdtemp(prefix='bench_network_')
    models, best = {}, {}

    def keep(key, name, r):
        if r is None:
            return
        d = best.setdefault(key, {})
        if name not in d or r['sim_s'] < d[name]['sim_s']:
            d[name] = r
    # rounds of all simulators per size, interleaved so that a busy machine
    # slows them alike; the best sim-only time of the rounds is kept (the
    # spike trains are the same every round: the runs are deterministic)
    for rnd in range(a.rounds):
        for N, K in sizes:
            key = (N, K)
            if key not in models:
                models[key] = make_model(N, K, a.seed)
                save_model(models[key], os.path.join(tmp, f'net_{N}x{K}.npz'))
            model, path = models[key], os.path.join(tmp, f'net_{N}x{K}.npz')
            r = run_moosepy(N, K, True, model, repeats=2)
            keep(key, 'moosepy kernel', r)
            if N <= a.python_max_n and rnd == 0:       # slow: one round only
                keep(key, 'moosepy Python', run_moosepy(N, K, False, model))
            for so in (0, 2):
                raw, err = run_side(nrn, 'bench_network_nrn.py', [path, str(so), '2'])
                if err and rnd == 0:
                    notes.append(err)
                if raw:
                    keep(key, raw['sim'], side_result(raw, model))
            raw, err = run_side(moo, 'bench_network_moose.py', [path, '1'])
            if err and rnd == 0:
                notes.append(err)
            if raw:
                keep(key, raw['sim'], side_result(raw, model))
    order = ['moosepy kernel', 'moosepy Python', 'NEURON BE', 'NEURON CN', 'MOOSE']
    steps = int(round(RUNTIME / DT))
    print(f'network benchmark: {RUNTIME * 1e3:.0f} ms at dt {DT * 1e6:.0f} us ({steps} steps), '
          f'seed {a.seed}, best of {a.rounds} rounds; load average '
          f'{" ".join(f"{x:.2f}" for x in os.getloadavg())}')
    print(f"{'simulator':<16}{'N':>6}{'K':>4}{'sim s':>9}{'Mcell-st/s':>11}"
          f"{'spikes/s':>10}{'events/s':>11}{'spikes':>8}{'rate Hz':>8}{'silent':>7}"
          f"{'x kernel':>9}   notes")
    for N, K in sizes:
        d = best.get((N, K), {})
        ref = d.get('moosepy kernel')
        for name in order:
            r = d.get(name)
            if r is None:
                continue
            t = r['sim_s']
            line = (f"{name:<16}{N:>6}{K:>4}{t:>9.3f}{N * steps / t / 1e6:>11.2f}"
                    f"{r['spikes'] / t:>10.3g}{r['events'] / t:>11.3g}{r['spikes']:>8}"
                    f"{r['rate_hz']:>8.1f}{r['silent']:>7}{t / ref['sim_s']:>9.1f}")
            extra = []
            if name == 'moosepy kernel':
                extra.append(f"build {r['build_s']:.1f} s, {r['events']} events in the run")
            if name != 'moosepy kernel' and ref is not None and 'raster' in r:
                kick = [int(i) for i in models[(N, K)]['kicked']]
                d1 = [r['raster'][i][0] - ref['raster'][i][0] for i in kick
                      if len(r['raster'][i]) and len(ref['raster'][i])]
                if d1:
                    extra.append(f'first spike of the kicked cells {1e6 * min(d1):+.1f}..'
                                 f'{1e6 * max(d1):+.1f} us from moosepy\'s')
            if name not in ('moosepy kernel', 'moosepy Python') and ref is not None \
                    and 'raster' in r:
                dv = divergence(ref['raster'], r['raster'])
                same = sum(len(x) == len(y) for x, y in zip(ref['raster'], r['raster']))
                extra.append('spike trains as moosepy kernel to 0.2 ms throughout'
                             if dv is None else
                             f'trains match moosepy to 0.2 ms until {dv * 1e3:.1f} ms')
                extra.append(f'{same}/{N} cells same count')
            if name == 'moosepy Python' and ref is not None:
                dv = divergence(ref['raster'], r['raster'], tol=1e-12)
                extra.append('spike times equal the kernel path to 1e-12 s' if dv is None
                             else f'differs from the kernel path from {dv * 1e3:.3f} ms')
            if 'spike_table_lengths' in r:
                extra.append(f"Table 'spike' kept {max(r['spike_table_lengths'])} "
                             f"spike(s) per cell at most")
                kick = [int(i) for i in models[(N, K)]['kicked']]
                d2 = [r['first_from_spike_table'][i] - ref['raster'][i][0] for i in kick
                      if r['first_from_spike_table'][i] is not None and len(ref['raster'][i])]
                if d2:
                    extra.append(f"its stamp of the kicked cells' first spike "
                                 f"{1e6 * min(d2):+.1f}..{1e6 * max(d2):+.1f} us from moosepy's")
            print(line + '   ' + '; '.join(extra))
    for n in notes:
        print('note:', n)
    print("notes: sim s = the start/continuerun call only (after build, reinit and a "
          "warm-up compiling moosepy's kernel); Mcell-st/s = N x steps per wall "
          "microsecond; spikes/s and events/s per wall second (events: spikes x "
          "out-degree arriving within the run). moosepy and MOOSE: Crank-Nicolson, "
          "tabulated rates; NEURON: exact rates, BE = secondorder 0 (its default), "
          "CN = secondorder 2. Spike times: SpikeGen's (moosepy), NetCon's at the step "
          "where v crosses 0 (NEURON), interpolated from Vm (MOOSE, whose Table "
          "'spike' keeps only the first spike, stamped with the Table's previous tick). "
          "moosepy's and MOOSE's SpikeGens fire at the end of the step in which Vm "
          "crosses the threshold, with or without HSolve (measured with one script run "
          "by both); MOOSE's Table stamps that spike one step earlier. "
          "The network is chaotic: a cell whose input is just at threshold fires or "
          "not on a difference of microseconds, so the rasters of different schemes "
          "part within 10-25 ms while the totals agree to ~1-2 %.")


if __name__ == '__main__':
    main()
