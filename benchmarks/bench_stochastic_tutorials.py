"""The stochastic rdesigneur tutorials on moosepy and on pymoose 5.0.0:
the same statistics over several seeds (issue 13 item 1, second half).

    python benchmarks/bench_stochastic_tutorials.py [--work DIR] [--jobs 2]
        [--only ex11.0 ...] [--n N] [--quick] [--alpha 0.01] [--rows K]
        [--pymoose PYTHON] [--json FILE]

Six tutorials of moose-examples/tutorials/Rdesigneur are random (CORPUS.md
marks them ``stoch``): Gsolve (ex11.0), random synaptic input (ex12.0),
random spine spacing (ex13.1-13.3), unseeded random spine placement
(ex9.2).  Each runs unchanged under the corpus runner (run_corpus.py:
imports mapped to moosepy on one side, pymoose as installed on the other;
every table saved) N times on each side, run k with its seed moved: the
generated sitecustomize (run_corpus's, plus SEED_BLOCK below) wraps the
simulator's ``seed`` at import, so the script's ``moose.seed(v)`` seeds
with ``v + 7919*k``, and seeds ``12345 + 7919*k`` at import for scripts
that never seed.  Run 0 keeps the script's own seed; both sides get the
same seeds.

moosepy draws spine placement from MOOSE's global stream (same spines for
the same seed), its Gsolve and RandSpike from generators of its own: at the
same seed ex11.0 and ex12.0 are independent samples on the two sides, while
ex13.x and ex9.2 build the same spines run by run (column "paired": the
largest difference of a statistic between the two sides at one seed).

Statistics of a run, from its /model/graphs tables of the last run segment
(run_stats): per table, or for groups of more than PER_ENTRY_MAX tables and
for random layouts per group (one group per plotList entry), the time mean,
the SD over time, the final value, the maximum, spike counts of Vm tables
(upward crossings of -20 mV), the number of tables.  Each statistic's two
samples are compared by Welch's t test, with a numerical floor num_rtol *
(the plot's scale: the largest |value| of that plot's statistics) added in
quadrature to the standard error of the difference: the deterministic
difference allowed at one seed, 1e-4, or 1e-2 for ex13.x, whose chemistry
runs under LSODA (rdesigneur's default ode_method; MOOSE's LSODA does not
apply epsRel/epsAbs, benchmarks/README.md) and differs from pymoose's by up
to 7e-3 of a plot's scale at one seed (the same spines: column "paired"),
against a seed-to-seed spread of about 5 %.  SDs below 1e-12 of the plot's scale count as 0 (round-off of flat
tables).  A tutorial passes when the smallest p of its m statistics, times
m (Bonferroni), is at least alpha.  Reported too: the ratio of the sample
SDs (worst statistic; range over all with spread), and the power: the
smallest d in SCALES for which moosepy's sample with every statistic (or
only those that vary from seed to seed) scaled by 1 + d is rejected, i.e.
the test can fail, and fails there at these N.

Comparisons other than moosepy against pymoose (VARIANTS, made by the
sitecustomize too):

* ex11.0: pymoose's Gsolve keeps the next event time it drew when a
  stimulus sets a buffered pool (Ca_ext: pulses 2.6 ms wide); moosepy draws
  it again (the exact SSA).  So pymoose misses most pulses: presynaptic Ca
  2.2x lower.  "moosepy keeping MOOSE rule" (moosepy with that rule put
  back) must match pymoose; "pymoose useClockedUpdate" (MOOSE redraws once
  per tick, after its solver step) is shown for information.
  tests/stochastic/test_gsolve_outside_change.py has the analytic check.
* ex12.0: every statistic agrees (see NOTES); its spine chem Ca plot needs
  the pools read as MOOSE's are (dsolve.READ_BEFORE_EXCHANGE).
"""

import argparse
import importlib.util
import json
import os
import re
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
os.environ.setdefault('MOOSEPY_AUTO_WARMUP', '0')   # measurements: no background compile

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
_CORPUS_CANDIDATES = (Path('/work/shared/moose-examples'),
                      REPO.parent / 'shared' / 'moose-examples')
_PYMOOSE_CANDIDATES = (REPO.parent / 'pymoose-venv' / 'bin' / 'python',
                       Path('/work/pymoose-venv/bin/python'),
                       Path('/work/sidevenv/bin/python'))

SEED_STEP = 7919        # run k seeds the script's seed v as v + SEED_STEP*k
UNSEEDED_BASE = 12345   # an unseeded script gets UNSEEDED_BASE + SEED_STEP*k
SPIKE_THRESHOLD = -0.02  # V: an upward crossing is a spike
SCALES = (0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0)

# name: N per side (full run), N for the quick test (0: not in it), timeout
# per run [s], plots that hold Vm, numerical floor (relative), whether the
# spine layout changes with the seed in a way that renumbers tables (then
# tables are summarised per group, not per entry), comparisons
# (label, side A, side B, expected outcome) when not just moosepy/pymoose
_EX11_COMPARE = [
    ('', 'moosepy', 'moose', 'differ'),
    ('moosepy keeping MOOSE rule', 'moosepy+moose-gsolve-rule', 'moose', 'same'),
    ('pymoose useClockedUpdate', 'moosepy', 'moose+clocked', 'info'),
]
TUTORIALS = {
    'ex11.0_presyn_dynamics': dict(n=40, quick=5, timeout=120, vm=('plot4',),
                                   num_rtol=1e-4, layout_random=False,
                                   compare=_EX11_COMPARE),
    'ex12.0_multiscale_seq_selectivity': dict(n=5, quick=0, timeout=600,
                                              vm=('plot0',), num_rtol=1e-4,
                                              layout_random=False),
    'ex13.1_BCM_multiscale': dict(n=8, quick=0, timeout=300, vm=('plot0',),
                                  num_rtol=1e-2, layout_random=False),
    'ex13.2_BCM_metaplasticity': dict(n=6, quick=0, timeout=600, vm=('plot0',),
                                      num_rtol=1e-2, layout_random=False),
    'ex13.3_BCM_syn_wt_feedback': dict(n=6, quick=0, timeout=600, vm=('plot0',),
                                       num_rtol=1e-2, layout_random=False),
    'ex9.2_spines_in_neuronal_morpho': dict(n=10, quick=2, timeout=300,
                                            vm=('plot0',), num_rtol=1e-4,
                                            layout_random=True),
}
NOTES = {
    'ex11.0_presyn_dynamics':
        "pymoose's Gsolve keeps its drawn next event time when the stimulus sets "
        "Ca_ext (MOOSE 5.0 Gsolve::setN refreshes propensities only); moosepy redraws "
        "(exact).  With MOOSE's rule put back moosepy matches pymoose.",
    'ex12.0_multiscale_seq_selectivity':
        "Agrees (worst z 1.96 at N 5): the spine chem Ca plot (plot1) reads the pools as "
        "MOOSE does, each Ksolve's state right after its chemical step and before the "
        "tick's junction exchanges (dsolve.READ_BEFORE_EXCHANGE; read after them it was "
        "+15 %, z 26).  Fixed on the way: spines on MOOSE's dendrite voxels (52c0ee9), "
        "proto22's K_AHP "
        "reading Ca (MOOSE sets useConcentration when Zpower is set) and setupAlpha tables "
        "as MOOSE's floats (d10570c): with random input at rate 0, P_MAPK total at 20 s "
        "-0.2 % (was +19 %), 1592 spikes on both sides (benchmarks/README.md).",
}
PER_ENTRY_MAX = 8   # groups with more entries than this are summarised


def find_corpus():
    return next((p for p in _CORPUS_CANDIDATES if (p / 'run_corpus.py').is_file()), None)


def find_pymoose():
    return next((str(p) for p in _PYMOOSE_CANDIDATES if p.exists()), None)


def load_runner(corpus):
    """run_corpus.py as a module (it is a script next to the corpus)."""
    spec = importlib.util.spec_from_file_location('run_corpus_for_stoch',
                                                  corpus / 'run_corpus.py')
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# appended to run_corpus's sitecustomize: seeds moved by the run index, and
# the variant's change to the simulator (none by default)
SEED_BLOCK = r'''
# --- added by bench_stochastic_tutorials.py: run %(k)d of a seed series
_SEED_K, _SEED_STEP, _SEED_UNSEEDED = %(k)d, %(step)d, %(unseeded)d
_SEED_LOG, _VARIANT = %(log)r, %(variant)r
_install_unseeded = _install


def _seed_log(what, value):
    with open(_SEED_LOG, "a") as fh:
        fh.write("%%s %%s\n" %% (what, value))


def _install(m):
    _install_unseeded(m)
    orig = m.seed

    def seed(value=None, *a, **k):
        if value is None:
            _seed_log("script-none", None)
            return orig(*a, **k) if a or k else orig()
        moved = int(value) + _SEED_STEP * _SEED_K
        _seed_log("script", "%%s->%%s" %% (value, moved))
        return orig(moved, *a, **k)
    m.seed = seed
    first = _SEED_UNSEEDED + _SEED_STEP * _SEED_K
    _seed_log("import", first)
    orig(first)
    if _VARIANT == "clocked":
        # MOOSE: every Gsolve redraws its next event time at every tick
        prev_reinit = m.reinit

        def reinit(*a, **k):
            for g in m.wildcardFind("/##[ISA=Gsolve]"):
                g.useClockedUpdate = True
            _seed_log("variant", "useClockedUpdate on %%d Gsolve" %%
                      len(m.wildcardFind("/##[ISA=Gsolve]")))
            return prev_reinit(*a, **k)
        m.reinit = reinit
    elif _VARIANT == "moose-gsolve-rule":
        # moosepy keeping MOOSE 5.0's rule: a count set from outside (a
        # buffered pool's conc from a stimulus) changes the propensities but
        # not the next event time already drawn
        import importlib
        g = importlib.import_module(m.__name__ + ".stochastic.gsolve")
        check = g._check_state

        def _check_state(el, comp):
            check(el, comp)
            return False
        g._check_state = _check_state
        _seed_log("variant", "moose-gsolve-rule")
    elif _VARIANT:
        raise RuntimeError("unknown variant %%r" %% (_VARIANT,))
'''

# variants: side -> what the generated sitecustomize changes
VARIANTS = {
    'moose': {'': 'pymoose 5.0.0 as installed',
              'clocked': 'pymoose, every Gsolve with useClockedUpdate = True'},
    'moosepy': {'': 'moosepy as it is',
                'moose-gsolve-rule': "moosepy keeping MOOSE 5.0's Gsolve rule (an outside "
                                     "change of a count keeps the next event time drawn)"},
}


def run_series(runner, name, side, ks, work, python, timeout, jobs=1, log=print):
    """Run tutorials/Rdesigneur/<name>.py on *side* ('moose' or 'moosepy',
    '+variant' appended for a variant of VARIANTS) for every seed index in
    *ks*; returns {k: npz path or None}.  Runs whose dump is already in
    *work* are not repeated."""
    script = 'tutorials/Rdesigneur/%s.py' % name
    sim, _, variant = side.partition('+')
    if variant not in VARIANTS[sim]:
        raise ValueError('unknown variant %r of %s; known: %s' % (variant, sim,
                                                                 sorted(VARIANTS[sim])))
    todo, done = [], {}
    for k in ks:
        out = Path(work) / name / side / ('k%03d' % k)
        npz = out / (runner.safe_name(script) + '.npz')
        ok = out / 'ok'
        if ok.exists() and npz.exists():
            done[k] = str(npz)
        else:
            todo.append((k, out, npz, ok))

    def one(item):
        k, out, npz, ok = item
        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        root = tempfile.mkdtemp(prefix='stoch-%s-' % sim)
        try:
            harness = os.path.join(root, '_harness')
            os.makedirs(harness)
            with open(os.path.join(harness, 'sitecustomize.py'), 'w') as fh:
                fh.write(runner.SITECUSTOMIZE + SEED_BLOCK % dict(
                    k=k, step=SEED_STEP, unseeded=UNSEEDED_BASE,
                    log=str(out / 'seeds.txt'), variant=variant))
            args = argparse.Namespace(
                sim=sim, rdes_module='rdesigneur' if sim == 'moose' else 'moosepy.rdesigner',
                python=python, out=str(out), timeout=timeout, no_block=False, keep=False)
            ent = {'path': script, 'stoch': True, 'needs': [], 'comment': ''}
            t0 = time.time()
            rec = runner.run_one(ent, args, root, harness)
            rec['wall_s'] = round(time.time() - t0, 2)
        finally:
            shutil.rmtree(root, ignore_errors=True)
        (out / 'result.json').write_text(json.dumps(rec))
        if rec['status'] == 'ok' and npz.exists():
            ok.write_text('ok\n')
            log('  %-26s %-34s k=%-3d ok    %6.1fs' % (side, name, k, rec['wall_s']))
            return k, str(npz)
        log('  %-26s %-34s k=%-3d %s %s' % (side, name, k, rec['status'], rec.get('msg', '')))
        return k, None

    if jobs > 1 and len(todo) > 1:
        with ThreadPoolExecutor(jobs) as ex:
            for k, p in ex.map(one, todo):
                done[k] = p
    else:
        for item in todo:
            k, p = one(item)
            done[k] = p
    return done


# --------------------------------------------------------------------------
# statistics of one run
# --------------------------------------------------------------------------

_KEY = re.compile(r'^/model/graphs/(plot\d+)(?:\[(\d+)\])?#(\d+)$')


def load_dump(path):
    with np.load(path, allow_pickle=False) as z:
        keys = [str(k) for k in z['keys']]
        off, flat = z['offsets'], z['data']
        return {k: flat[off[i]:off[i + 1]] for i, k in enumerate(keys)}


def graphs(data):
    """{plot name: {entry index: vector}} of the last recorded segment."""
    rows = []
    for k in data:
        m = _KEY.match(k)
        if m:
            rows.append((m.group(1), int(m.group(2) or 0), int(m.group(3)), k))
    if not rows:
        return {}
    last = max(r[2] for r in rows)
    out = {}
    for g, i, seg, k in rows:
        if seg == last:
            out.setdefault(g, {})[i] = np.asarray(data[k], dtype=float)
    return out


def spikes(v):
    above = v > SPIKE_THRESHOLD
    return float(np.count_nonzero(above[1:] & ~above[:-1]))


def run_stats(data, vm=(), layout_random=False):
    """{statistic name: value} of one run's dump."""
    st = {}
    for g, entries in sorted(graphs(data).items()):
        idx = sorted(entries)
        st['%s n_tables' % g] = float(len(idx))
        is_vm = g in vm
        if not layout_random and len(idx) <= PER_ENTRY_MAX:
            for i in idx:
                v = entries[i]
                tag = '%s[%d]' % (g, i)
                st[tag + ' mean'] = float(v.mean())
                st[tag + ' sd_t'] = float(v.std())
                st[tag + ' final'] = float(v[-1])
                st[tag + ' max'] = float(v.max())
                if is_vm:
                    st[tag + ' spikes'] = spikes(v)
            continue
        # many tables (or a random layout): group summaries
        means = np.array([entries[i].mean() for i in idx])
        st[g + ' mean of means'] = float(means.mean())
        st[g + ' sd of means'] = float(means.std())
        st[g + ' mean sd_t'] = float(np.mean([entries[i].std() for i in idx]))
        st[g + ' mean final'] = float(np.mean([entries[i][-1] for i in idx]))
        st[g + ' max'] = float(max(entries[i].max() for i in idx))
        if is_vm:
            sp = np.array([spikes(entries[i]) for i in idx])
            st[g + ' spikes total'] = float(sp.sum())
            st[g + ' spiking tables'] = float(np.count_nonzero(sp))
        if layout_random:      # entry 0 is the soma (the first compartment)
            v = entries[idx[0]]
            st[g + '[0] mean'] = float(v.mean())
            st[g + '[0] final'] = float(v[-1])
            if is_vm:
                st[g + '[0] spikes'] = spikes(v)
    return st


# --------------------------------------------------------------------------
# comparing two samples
# --------------------------------------------------------------------------

def _group(name):
    """(plot, unit) of a statistic: its values share the plot's scale."""
    return name.split('[')[0].split(' ')[0], _unit(name)


def group_scales(*samples):
    """{(plot, unit): largest |value| of its statistics in *samples*}."""
    scale = {}
    for sample in samples:
        for r in sample:
            for nm, v in r.items():
                key = _group(nm)
                scale[key] = max(scale.get(key, 0.0), abs(v))
    return scale


def _spread(x, scale):
    """SD of *x*, 0 below round-off of the plot's scale (a flat table's
    SD over time reads 1e-21 in one run and 0 in the next)."""
    sd = float(np.std(x, ddof=1)) if len(x) > 1 else 0.0
    return sd if sd > 1e-12 * scale else 0.0


def compare_samples(A, B, num_rtol, alpha=0.01):
    """Welch's t test on every statistic of sample A (moosepy: list of
    run_stats dicts) against sample B (pymoose), with a numerical floor
    num_rtol * (the plot's scale: largest |value| of the statistics of that
    plot and unit) added in quadrature to the standard error of the
    difference; Bonferroni over the statistics compared.  Returns a dict: m,
    worst (name, z, p, p_bonf, mean A, mean B, sd A, sd B, sd ratio),
    sd_ratio range over statistics with spread on both sides, passed, rows
    (every statistic), missing (statistics on one side only)."""
    from scipy import stats as sst
    names = sorted(set().union(*A) & set().union(*B)) if A and B else []
    missing = sorted(set().union(*A) ^ set().union(*B)) if A and B else []
    scale = group_scales(A, B)
    rows = []
    for nm in names:
        a = np.array([r[nm] for r in A if nm in r])
        b = np.array([r[nm] for r in B if nm in r])
        if len(a) < 2 or len(b) < 2:
            continue
        gs = scale[_group(nm)]
        ma, mb = a.mean(), b.mean()
        sa, sb = _spread(a, gs), _spread(b, gs)
        va, vb = sa ** 2 / len(a), sb ** 2 / len(b)
        floor = num_rtol * gs
        se = np.sqrt(va + vb + floor ** 2)
        d = ma - mb
        if se == 0.0:
            z = 0.0 if d == 0.0 else np.inf
        else:
            z = abs(d) / se
        if va + vb > 0:     # Welch-Satterthwaite degrees of freedom
            df = (va + vb) ** 2 / ((va ** 2 / (len(a) - 1) if va else 0.0)
                                   + (vb ** 2 / (len(b) - 1) if vb else 0.0))
            df *= (1.0 + floor ** 2 / (va + vb)) ** 2   # the floor is exact
            p = float(2.0 * sst.t.sf(z, df))
        else:
            p = 1.0 if z == 0.0 else float(2.0 * sst.norm.sf(z))
        rows.append(dict(name=nm, z=float(z), p=p, mean_a=float(ma), mean_b=float(mb),
                         sd_a=sa, sd_b=sb,
                         sd_ratio=float(sa / sb) if sb > 0 else (1.0 if sa == 0 else np.inf)))
    m = len(rows)
    for r in rows:
        r['p_bonf'] = min(1.0, r['p'] * m)
    worst = min(rows, key=lambda r: (r['p'], -r['z'])) if rows else None
    ratios = [r['sd_ratio'] for r in rows if r['sd_a'] > 0 and r['sd_b'] > 0]
    return dict(m=m, rows=rows, worst=worst, missing=missing,
                sd_ratio=(min(ratios), max(ratios)) if ratios else None,
                passed=bool(rows) and worst['p_bonf'] >= alpha)


def scaled(sample, factor, names=None):
    """*sample* with every statistic (or those in *names*) multiplied by
    *factor*, except table counts (an altered simulator would still build
    the same tables)."""
    return [{k: (v * factor if (names is None or k in names) and not k.endswith('n_tables')
                 else v) for k, v in r.items()} for r in sample]


def random_names(A, B):
    """Statistics with spread in both samples (the seed changes them)."""
    scale = group_scales(A, B)
    return {k for k in set(A[0]) & set(B[0])
            if _spread([r[k] for r in A if k in r], scale[_group(k)]) > 0
            and _spread([r[k] for r in B if k in r], scale[_group(k)]) > 0}


def power(A, B, num_rtol, alpha=0.01, scales=SCALES, names=None):
    """The smallest d in *scales* for which A, its statistics (or those in
    *names*) scaled by 1 + d, is rejected (None when none is)."""
    for d in scales:
        if not compare_samples(scaled(A, 1.0 + d, names), B, num_rtol, alpha)['passed']:
            return d
    return None


def _unit(name):
    return 'count' if name.endswith(('n_tables', 'spikes', 'spikes total',
                                     'spiking tables')) else 'value'


def paired(A, B):
    """Run by run (same seed index): the largest difference of any
    statistic, relative to its plot's scale (largest |value| of that plot's
    statistics of the same unit over all runs of both sides, so that a flat
    table's SD of 1e-22 against 0 is no 100 % difference); inf when the two
    runs of a seed have different statistics (e.g. other numbers of tables)."""
    ks = sorted(set(A) & set(B))
    if not ks:
        return None
    scale = group_scales([A[k] for k in ks], [B[k] for k in ks])
    worst = 0.0
    for k in ks:
        a, b = A[k], B[k]
        if set(a) != set(b):
            return float('inf')
        for nm in a:
            s = scale[_group(nm)]
            if s > 0:
                worst = max(worst, abs(a[nm] - b[nm]) / s)
    return worst


# --------------------------------------------------------------------------
# one tutorial, both sides
# --------------------------------------------------------------------------

def comparisons(name):
    """[(label, side A, side B, expected outcome)] of a tutorial."""
    return TUTORIALS[name].get('compare') or [('', 'moosepy', 'moose', 'same')]


def evaluate(name, n, work, pymoose, jobs=1, alpha=0.01, runner=None, labels=None,
             log=print):
    """Run *name* n times (seed indices 0..n-1) on each side its
    comparisons need and compare.  Returns a list of result dicts, one per
    comparison (those with a label in *labels*, all when None)."""
    cfg = TUTORIALS[name]
    runner = runner or load_runner(find_corpus())
    comps = [c for c in comparisons(name) if labels is None or c[0] in labels]
    ks = list(range(n))
    got, stats, wall = {}, {}, {}
    for _, sa, sb, _ in comps:
        for side in (sb, sa):
            if side in got:
                continue
            t0 = time.time()
            py = pymoose if side.startswith('moose+') or side == 'moose' else sys.executable
            got[side] = run_series(runner, name, side, ks, work, py, cfg['timeout'],
                                   jobs=jobs, log=log)
            wall[side] = time.time() - t0
            stats[side] = {k: run_stats(load_dump(p), cfg['vm'], cfg['layout_random'])
                           for k, p in got[side].items() if p}
    out = []
    for label, sa, sb, expect in comps:
        A = [stats[sa][k] for k in sorted(stats[sa])]
        B = [stats[sb][k] for k in sorted(stats[sb])]
        res = compare_samples(A, B, cfg['num_rtol'], alpha)
        failed = {side: sorted(k for k, p in got[side].items() if not p) for side in (sa, sb)}
        if failed[sa] or failed[sb]:
            res['passed'] = False
        res.update(name=name, label=label, side_a=sa, side_b=sb, expect=expect,
                   n_a=len(A), n_b=len(B), paired=paired(stats[sa], stats[sb]),
                   power=power(A, B, cfg['num_rtol'], alpha) if res['passed'] else None,
                   power_rand=power(A, B, cfg['num_rtol'], alpha, names=random_names(A, B))
                   if res['passed'] and A and B else None,
                   failed_runs=failed, wall_s=round(wall.get(sa, 0) + wall.get(sb, 0), 1),
                   sample_a=A, sample_b=B,
                   as_expected=expect == 'info' or res['passed'] == (expect == 'same'))
        out.append(res)
    return out


def fmt_row(r):
    w = r['worst']
    ratio = r['sd_ratio']
    tag = r['name'] + (' [%s]' % r['label'] if r['label'] else '')
    verdict = 'PASS' if r['passed'] else 'FAIL'
    if not r['as_expected']:
        verdict += ' (unexpected)'
    elif r['expect'] == 'differ':
        verdict += ' (expected)'
    elif r['expect'] == 'info':
        verdict += ' (info)'
    elif r['expect'] == 'open':
        verdict += ' (open)'
    return ('%-52s %3d %3d %4d  %-22s %6.2f %9.2e %6.3f  %-11s %-8s %-5s %-5s %s' % (
        tag, r['n_a'], r['n_b'], r['m'], (w['name'] if w else '-')[:22],
        w['z'] if w else float('nan'), w['p_bonf'] if w else float('nan'),
        w['sd_ratio'] if w else float('nan'),
        ('%.2f-%.2f' % ratio) if ratio else '-',
        ('%.2g' % r['paired']) if r['paired'] is not None else '-',
        ('%g' % r['power']) if r['power'] is not None else '-',
        ('%g' % r['power_rand']) if r['power_rand'] is not None else '-', verdict))


HEADER = ('%-52s %3s %3s %4s  %-22s %6s %9s %6s  %-11s %-8s %-5s %-5s %s' % (
    'tutorial [comparison]', 'Na', 'Nb', 'm', 'worst statistic', 'z', 'p*m', 'sdA/B',
    'sd range', 'paired', 'pow', 'powR', 'result'))
LEGEND = """\
Na, Nb: runs of side A (moosepy), of side B (pymoose 5.0.0), seed indices 0..N-1 on both
m: statistics compared; worst: the one with the smallest Welch p; z = |mean A - mean B| / SE
(numerical floor included); p*m: its Bonferroni p (PASS when >= alpha); sdA/B: ratio of the
sample SDs of the worst statistic; sd range: that ratio over all statistics with spread on
both sides; paired: largest difference of a statistic between A and B at the same seed,
relative to its plot's scale; pow: smallest d for which A with every statistic scaled by
1+d is rejected (self-check: the test can fail); powR: the same, scaling only the
statistics that vary from seed to seed."""


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--work', default=None,
                    help='folder for the runs (kept and reused: runs already there are '
                    'not repeated); default: a temporary folder')
    ap.add_argument('--only', nargs='*', default=None, help='tutorial name prefixes')
    ap.add_argument('--n', type=int, default=None, help='runs per side (default: per tutorial)')
    ap.add_argument('--quick', action='store_true',
                    help="the test's N (tutorials with quick N > 0)")
    ap.add_argument('--jobs', type=int, default=1)
    ap.add_argument('--alpha', type=float, default=0.01)
    ap.add_argument('--pymoose', default=None, help='python of the pymoose 5.0.0 venv')
    ap.add_argument('--json', default=None, help='write every statistic here')
    ap.add_argument('--rows', type=int, default=0,
                    help='print the N worst statistics of each comparison')
    a = ap.parse_args(argv)
    corpus = find_corpus()
    if corpus is None:
        raise SystemExit('moose-examples corpus not found (%s)'
                         % ', '.join(map(str, _CORPUS_CANDIDATES)))
    pymoose = a.pymoose or find_pymoose()
    if pymoose is None:
        raise SystemExit('pymoose venv not found; give --pymoose')
    runner = load_runner(corpus)
    work = a.work or tempfile.mkdtemp(prefix='stoch-tutorials-')
    names = [n for n in TUTORIALS
             if a.only is None or any(n.startswith(p) for p in a.only)]
    results = []
    t_all = time.time()
    for name in names:
        n = a.n or (TUTORIALS[name]['quick'] if a.quick else TUTORIALS[name]['n'])
        if n < 2:
            continue
        print('# %s: %d runs per side -> %s' % (name, n, work), flush=True)
        rs = evaluate(name, n, work, pymoose, jobs=a.jobs, alpha=a.alpha, runner=runner,
                      log=lambda s: print(s, flush=True))
        results += rs
        for r in rs:
            if a.rows:
                print('  %s: %s against %s' % (r['label'] or 'default', r['side_a'], r['side_b']))
                for row in sorted(r['rows'], key=lambda x: x['p'])[:a.rows]:
                    print('    %-32s z %6.2f p*m %8.2e  A %.5g +- %.3g  B %.5g +- %.3g'
                          % (row['name'], row['z'], row['p_bonf'], row['mean_a'], row['sd_a'],
                             row['mean_b'], row['sd_b']))
            if r['missing']:
                print('    statistics on one side only: %s' % r['missing'][:6])
    print()
    print(HEADER)
    for r in results:
        print(fmt_row(r))
    print()
    print(LEGEND)
    for name in names:
        if name in NOTES:
            print('%s: %s' % (name, NOTES[name]))
        for label, sa, sb, expect in comparisons(name):
            if label:
                print('[%s] %s: A = %s; B = %s' % (label, name, VARIANTS['moosepy'][
                    sa.partition('+')[2]], VARIANTS['moose'][sb.partition('+')[2]]))
    print('alpha %g; runs in %s; %.0f s wall' % (a.alpha, work, time.time() - t_all))
    if a.json:
        with open(a.json, 'w') as fh:
            json.dump([{k: v for k, v in r.items() if not k.startswith('sample_')}
                       for r in results], fh, indent=1, default=str)
    return 0 if all(r['as_expected'] for r in results) else 1


if __name__ == '__main__':
    sys.exit(main())
