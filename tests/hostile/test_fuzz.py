"""The fuzz suite (issue 15, item 5): seeded mutants of real files of every
format moosepy reads, each loaded (and for models reinit and a short run)
in a worker process with a time and memory limit; per format, no mutant
may crash the process, hang, raise an exception that is not moosepy's, or
(same-content mutants: line endings, whitespace, a comment) give another
model than its seed.  See ``fuzzlib.py`` for the operators and classes.

CI size: ``MOOSEPY_FUZZ_N`` mutants a format (default 40).  The large run
(``MOOSEPY_FUZZ_SLOW_N``, default 1000 a format, other seeds) is marked
``slow`` and runs only when ``MOOSEPY_FUZZ_SLOW=1``: this project's CI
runs slow tests by default (``.ci/run``: ``pytest -q``), and the large run
takes tens of minutes.  ``benchmarks/fuzz_report.py`` prints the same
counts for moosepy and pymoose 5.0.0.
"""

import os

import pytest

import fuzzlib

N_CI = int(os.environ.get('MOOSEPY_FUZZ_N', 40))
N_SLOW = int(os.environ.get('MOOSEPY_FUZZ_SLOW_N', 1000))
SLOW = os.environ.get('MOOSEPY_FUZZ_SLOW') == '1'

#: formats whose readers exist: their seeds must load.  The others (cspace,
#: morphml: readers being added) are skipped while moosepy loads none of
#: their seeds, and join in by themselves once it does.
REQUIRED = ('sbml', 'kkit', 'swc', 'p', 'channelml', 'rdspec')
BAD = ('crash', 'hang', 'foreign', 'wrong', 'exit')


def _describe(r):
    out = f"  {r['cls']}: {r['op']} of {os.path.basename(r['seed_file'])} -> {r['path']}"
    if r.get('exc'):
        out += f"\n    {r['exc']}: {r.get('msg', '')[:300]}"
    if r.get('tb'):
        out += '\n    ' + r['tb'][-800:].replace('\n', '\n    ')
    if r.get('tail'):
        out += '\n    stderr: ' + r['tail'][-500:].replace('\n', '\n    ')
    if r['cls'] == 'wrong':
        out += f"\n    seed gave {r.get('seed_fp')}, this {r.get('fp')} ({r.get('was')})"
    return out


def _check(fmt, n, seed, outdir):
    results, skip = fuzzlib.run_format(fmt, n, seed=seed, outdir=outdir)
    if skip:
        if fmt in REQUIRED:
            pytest.fail(skip)
        pytest.skip(skip)
    c = fuzzlib.counts(results)
    bad = [r for r in results if r['cls'] in BAD]
    assert not bad, (f'{fmt}: {c}\n' + '\n'.join(_describe(r) for r in bad))
    assert len(results) == n
    # the mutants exercise both sides: some refused, some loaded
    assert c['rejected'] > 0 and c['ok'] > 0, c
    return c


@pytest.mark.parametrize('fmt', list(fuzzlib.FORMATS))
def test_fuzz_ci(fmt, tmp_path):
    _check(fmt, N_CI, 0, tmp_path)


@pytest.mark.slow
@pytest.mark.skipif(not SLOW, reason='large fuzz run: set MOOSEPY_FUZZ_SLOW=1 (tens of minutes)')
@pytest.mark.parametrize('fmt', list(fuzzlib.FORMATS))
def test_fuzz_large(fmt, tmp_path):
    _check(fmt, N_SLOW, 1, tmp_path)


def test_operators_are_deterministic_and_change_the_file(tmp_path):
    a = fuzzlib.make_mutants('kkit', 30, seed=5, outdir=tmp_path / 'a')
    b = fuzzlib.make_mutants('kkit', 30, seed=5, outdir=tmp_path / 'b')
    assert [j['op'] for j in a] == [j['op'] for j in b]
    for x, y in zip(a, b):
        if x['op'] != 'directory':
            with open(x['path'], 'rb') as fx, open(y['path'], 'rb') as fy:
                assert fx.read() == fy.read()
    changed = [j for j in a if j['op'] not in ('directory',) and not j['same']
               and open(j['path'], 'rb').read() != open(j['seed_file'], 'rb').read()]
    assert len(changed) >= 20


def test_runner_classifies_crash_hang_and_foreign(tmp_path, monkeypatch):
    """The runner's own classes, on jobs built to crash the worker (a
    SIGSEGV), hang it, or raise a foreign exception: the classes the
    suite counts must be reachable, or 0 would prove nothing."""
    jobs = [dict(i=0, fmt='selftest', op='x', seed_file='', path='ok', same=False),
            dict(i=1, fmt='selftest', op='x', seed_file='', path='segv', same=False),
            dict(i=2, fmt='selftest', op='x', seed_file='', path='ok', same=False),
            dict(i=3, fmt='selftest', op='x', seed_file='', path='hang', same=False),
            dict(i=4, fmt='selftest', op='x', seed_file='', path='keyerror', same=False),
            dict(i=5, fmt='selftest', op='x', seed_file='', path='moose', same=False)]
    res = fuzzlib.run_jobs(jobs, time_limit=3.0, first_extra=30.0, workdir=tmp_path,
                           retry=False)
    assert [res[i]['cls'] for i in range(6)] == ['ok', 'crash', 'ok', 'hang', 'foreign',
                                                 'rejected']
    assert res[1]['rc'] == -11
    assert res[4]['exc'] == 'KeyError' and 'selftest' in res[4]['tb']
