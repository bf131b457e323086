"""Run one case of the SBML Test Suite (semantic, TimeCourse) and judge it by
the suite's rule: every point ``|C - U| <= Ta + Tr * |C|``, NaN matches NaN,
infinities match exactly.  Used by the tests and the benchmark."""

import math
import os
import re
from pathlib import Path

import numpy as np

from .system import read_document, build
from .engine import Engine, species_value


def read_settings(path):
    st = {}
    for line in Path(path).read_text().splitlines():
        if ':' in line:
            k, v = line.split(':', 1)
            st[k.strip()] = v.strip()
    out = {
        'start': float(st.get('start', 0) or 0),
        'duration': float(st['duration']),
        'steps': int(float(st['steps'])),
        'variables': [x.strip() for x in st.get('variables', '').split(',') if x.strip()],
        'absolute': float(st.get('absolute', 0) or 0),
        'relative': float(st.get('relative', 0) or 0),
        'amount': {x.strip() for x in st.get('amount', '').split(',') if x.strip()},
        'concentration': {x.strip() for x in st.get('concentration', '').split(',')
                          if x.strip()},
    }
    return out


def case_files(case_dir):
    d = Path(case_dir)
    num = d.name
    xmls = sorted(d.glob(f'{num}-sbml-l*v*.xml'))
    model = (d / f'{num}-model.m').read_text(errors='replace') if (
        d / f'{num}-model.m').exists() else ''
    return d / f'{num}-settings.txt', d / f'{num}-results.csv', xmls[-1], model


def case_type(model_text):
    m = re.search(r'testType:\s*(\w+)', model_text)
    return m.group(1) if m else 'TimeCourse'


def simulate(xml, settings, method='lsoda'):
    """Simulate an SBML file for a case's settings; returns (times, matrix)."""
    doc = read_document(str(xml))
    S = build(doc, str(xml))
    eng = Engine(S, method=method, seed=0)   # random event order: reproducible
    eng.reset()
    st = settings
    times = np.linspace(st['start'], st['start'] + st['duration'], st['steps'] + 1)
    cols = []
    for var in st['variables']:
        if var in S.species:
            want = 'amount' if var in st['amount'] else 'concentration'
            cols.append(('sp', var, want))
        elif var in S.slots:
            cols.append(('v', S.slots[var], None))
        else:
            raise KeyError(f'variable {var!r} not in model')
    rows = []

    def record(t, v):
        row = []
        for kind, x, want in cols:
            row.append(species_value(S, v, x, want) if kind == 'sp' else v[x])
        rows.append(row)
    eng.advance(times[-1], list(times), record)
    return times, np.array(rows), eng


def read_expected(csv):
    lines = Path(csv).read_text().strip().splitlines()
    header = [h.strip() for h in lines[0].split(',')]
    data = []
    for ln in lines[1:]:
        data.append([_num(x) for x in ln.split(',')])
    return header, np.array(data)


def _num(x):
    s = x.strip().lower()
    if s == 'nan':
        return math.nan
    if s in ('inf', '+inf'):
        return math.inf
    if s == '-inf':
        return -math.inf
    return float(s)


def judge(expected, got, ta, tr):
    """Return None if *got* passes, else a description of the worst point."""
    if got.shape != expected.shape:
        return f'shape {got.shape} != expected {expected.shape}'
    C, U = expected, got
    nanC, nanU = np.isnan(C), np.isnan(U)
    bad = nanC != nanU
    infC = np.isinf(C)
    bad |= infC & (C != U)
    fin = ~nanC & ~infC
    with np.errstate(invalid='ignore'):
        bad |= fin & ~(np.abs(C - U) <= ta + tr * np.abs(C))
    if bad.any():
        i, j = np.argwhere(bad)[0]
        return f'row {i}, column {j}: expected {C[i, j]!r}, got {U[i, j]!r} ({bad.sum()} bad)'
    return None


def run_case(case_dir, method='lsoda'):
    """(status, message): status is 'pass', 'fail' or 'error'."""
    stf, csv, xml, model = case_files(case_dir)
    st = read_settings(stf)
    header, exp = read_expected(csv)
    times, got, eng = simulate(xml, st, method)
    exp = exp[:, 1:]
    msg = judge(exp, got, st['absolute'], st['relative'])
    return ('pass', '') if msg is None else ('fail', msg)


def suite_root():
    here = Path(__file__).resolve()
    for p in here.parents:
        cand = p.parent / 'shared' / 'sbml-test-suite'
        if cand.is_dir():
            return cand
    env = os.environ.get('SBML_TEST_SUITE')
    return Path(env) if env else None


# ---------------------------------------------------------------- object path
def simulate_objects(xml, settings, method='lsoda', base='/sbml_case'):
    """Simulate a case through ``readSBML(..., build='objects')``: the
    model as MOOSE objects run by a Ksolve, sampled by Tables at the output
    times; returns (times, matrix).  ModelImportError if the object model
    cannot express the file; NotImplementedError for an output the objects
    do not hold (a reaction's rate)."""
    import libsbml
    import moosepy as moose
    from .reader import readSBML, _unit_scales
    st = settings
    if st['start'] != 0:
        raise NotImplementedError('a start time other than 0')
    if moose.exists(base):
        moose.delete(base)
    root = readSBML(str(xml), base, method, build='objects')
    doc = libsbml.readSBML(str(xml))
    model = doc.getModel()
    nscale, _vscale = _unit_scales(model)
    S = build(read_document(str(xml)), str(xml))
    eng = Engine(S)
    eng.reset()
    pools = {p._el.data.get('sbml_id'): p for p in moose.wildcardFind(base + '/##[ISA=PoolBase]')
             if p._el.data.get('sbml_id')}
    dt = st['duration'] / st['steps']
    cols = []
    for k, var in enumerate(st['variables']):
        if var in S.species:
            sp = S.species[var]
            size = float(eng.v[S.slots[sp.comp]])
            want = 'amount' if var in st['amount'] else 'concentration'
            scale = 1.0 / nscale if want == 'amount' else 1.0 / (nscale * size)
            tab = moose.Table2(f'{base}/tab{k}')
            moose.connect(tab, 'requestOut', pools[var], 'getN')
            cols.append(('tab', tab, scale))
        elif var in pools:                      # a parameter held by a pool
            tab = moose.Table2(f'{base}/tab{k}')
            moose.connect(tab, 'requestOut', pools[var], 'getN')
            cols.append(('tab', tab, 1.0))
        elif S.kinds.get(var) in ('parameter', 'compartment', 'specref'):
            cols.append(('const', float(eng.v[S.slots[var]]), None))
        elif S.kinds.get(var) == 'reaction' and S.laws.get(var) is not None:
            # a reaction's rate: its law at the pools' sampled values
            from .objects import _Resolver, _uses
            proxies = {x for x in S.state_names if S.kinds.get(x) == 'parameter'}
            law = _Resolver(S, eng.v.copy(), proxies)(S.laws[var], f'reaction {var!r}')
            reads = {}
            for name in sorted(_uses(law)[0]):
                tab = moose.Table2(f'{base}/tab{k}_{len(reads)}')
                moose.connect(tab, 'requestOut', pools[name], 'getN')
                if name in S.species:
                    sp = S.species[name]
                    f = nscale if sp.hosu else nscale * float(eng.v[S.slots[sp.comp]])
                else:
                    f = 1.0
                reads[name] = (tab, 1.0 / f)
            cols.append(('law', (law, reads), None))
        else:
            raise NotImplementedError(f'output {var!r} ({S.kinds.get(var)}) is not held by '
                                      f'an object')
    for i in range(10, 19):
        moose.setClock(i, dt)
    moose.reinit()
    moose.start(st['duration'])
    n = st['steps'] + 1
    out = np.empty((n, len(cols)))
    times = np.linspace(0.0, st['duration'], n)
    for j, (kind, x, scale) in enumerate(cols):
        if kind == 'const':
            out[:, j] = x
        elif kind == 'law':
            from .objects import _evaluate
            law, reads = x
            env = {name: np.asarray(tab.vector)[:n] * sc for name, (tab, sc) in reads.items()}
            env['#t'] = times
            out[:, j] = _evaluate(law, env, n)
        else:
            v = np.asarray(x.vector)[:n]
            if len(v) < n:
                raise NotImplementedError(f'table has {len(v)} points, {n} expected')
            out[:, j] = v * scale
    moose.delete(base)
    return times, out


def run_case_objects(case_dir, method='lsoda'):
    """(status, message) of a case through the object build: 'pass',
    'fail', 'engine' (the object model cannot express it: auto takes the
    engine; message = the reason) or 'error'."""
    from ...core.errors import ModelImportError
    stf, csv, xml, model = case_files(case_dir)
    st = read_settings(stf)
    header, exp = read_expected(csv)
    try:
        times, got = simulate_objects(xml, st, method)
    except ModelImportError as e:
        msg = str(e)
        return 'engine', msg.split('cannot express ', 1)[-1].split('; use build=')[0]
    except NotImplementedError as e:
        return 'error', str(e)
    msg = judge(exp[:, 1:], got, st['absolute'], st['relative'])
    return ('pass', '') if msg is None else ('fail', msg)


def main(argv=None):
    """``python -m moosepy.kinetics.sbml.testsuite [--objects] [first last]``:
    run the semantic cases and print the pass rate (the engine by default,
    or the object build, with the cases it leaves to the engine counted
    apart)."""
    import argparse
    import collections
    import logging
    import time
    ap = argparse.ArgumentParser()
    ap.add_argument('--objects', action='store_true')
    ap.add_argument('range', nargs='*', type=int)
    a = ap.parse_args(argv)
    logging.getLogger('moosepy').setLevel(logging.ERROR)
    root = suite_root() / 'semantic'
    cases = sorted(p.name for p in root.iterdir())
    if a.range:
        cases = [c for c in cases if a.range[0] <= int(c) <= a.range[-1]]
    count = collections.Counter()
    t0 = time.time()
    for c in cases:
        d = root / c
        if case_type(case_files(d)[3]) != 'TimeCourse':
            count['fba'] += 1
            continue
        try:
            status, msg = run_case_objects(d) if a.objects else run_case(d)
        except Exception as e:         # noqa: BLE001 - counted and shown
            status, msg = 'error', f'{type(e).__name__}: {e}'
        count[status] += 1
        if status not in ('pass',):
            print(c, status, msg[:200], flush=True)
    print(dict(count), f'{time.time() - t0:.0f} s')


if __name__ == '__main__':
    main()
