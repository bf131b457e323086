"""Mutated SBML files: each loads, or raises ModelImportError naming the
file; nothing else escapes, nothing hangs, and a failed load leaves the tree
as it was.  A loaded mutant that runs either runs or raises a moosepy error."""

import random
import re
import signal
from pathlib import Path

import pytest

import moosepy as moose

SUITE = Path(__file__).resolve().parents[3] / 'shared' / 'sbml-test-suite' / 'semantic'
SOURCES = ['00001', '00026', '00100', '00300', '00500', '00700', '00900', '01100', '01200',
           '01400']


def _sources():
    out = []
    for c in SOURCES:
        xs = sorted((SUITE / c).glob(f'{c}-sbml-l*.xml'))
        if xs:
            out.append(xs[-1].read_text())
    return out


def _mutants(texts, n, seed=20261125):
    rng = random.Random(seed)
    out = []
    kinds = ['truncate', 'number', 'idref', 'drop_attr', 'math_name', 'junk', 'dup_id',
             'swap_tag']
    while len(out) < n:
        src = rng.choice(texts)
        kind = kinds[len(out) % len(kinds)]
        if kind == 'truncate':
            t = src[:rng.randrange(1, len(src))]
        elif kind == 'number':
            nums = list(re.finditer(r'"(-?[0-9][0-9.eE+-]*)"', src))
            if not nums:
                continue
            m = rng.choice(nums)
            bad = rng.choice(['abc', '1e999', '-', '--1', 'nan', '', '1.2.3', '-1e308'])
            t = src[:m.start(1)] + bad + src[m.end(1):]
        elif kind == 'idref':
            refs = list(re.finditer(r'(species|compartment|variable|symbol)="([^"]+)"', src))
            if not refs:
                continue
            m = rng.choice(refs)
            t = src[:m.start(2)] + 'no_such_id' + src[m.end(2):]
        elif kind == 'drop_attr':
            attrs = list(re.finditer(r' (id|compartment|species|constant|variable|'
                                     r'hasOnlySubstanceUnits|boundaryCondition)="[^"]*"', src))
            if not attrs:
                continue
            m = rng.choice(attrs)
            t = src[:m.start()] + src[m.end():]
        elif kind == 'math_name':
            cis = list(re.finditer(r'<ci>\s*([^<\s]+)\s*</ci>', src))
            if not cis:
                continue
            m = rng.choice(cis)
            t = src[:m.start(1)] + 'unknown_name' + src[m.end(1):]
        elif kind == 'junk':
            k = rng.randrange(len(src))
            t = src[:k] + ''.join(chr(rng.randrange(1, 255)) for _ in range(20)) + src[k:]
        elif kind == 'dup_id':
            ids = re.findall(r' id="([^"]+)"', src)
            if len(ids) < 2:
                continue
            a, b = rng.sample(ids, 2)
            t = src.replace(f'id="{a}"', f'id="{b}"', 1)
        else:
            t = src.replace('<listOfReactions>', '<listOfReactionz>', 1)
        out.append((kind, t))
    return out


def _tree():
    # class registration (/classes) on first use of a reader is not model content
    return sorted(x.path for x in moose.wildcardFind('/##')
                  if not x.path.startswith('/classes'))


class _Timeout(Exception):
    pass


def _alarm(_s, _f):
    raise _Timeout()


@pytest.mark.skipif(not SUITE.is_dir(), reason='SBML Test Suite folder absent')
def test_mutated_files_raise_only_model_import_error(tmp_path):
    texts = _sources()
    assert len(texts) >= 5
    muts = _mutants(texts, 240)
    old = signal.signal(signal.SIGALRM, _alarm)
    loaded = failed = 0
    try:
        for k, (kind, text) in enumerate(muts):
            f = tmp_path / f'm{k}.xml'
            f.write_bytes(text.encode('utf-8', 'surrogateescape'))
            before = _tree()
            signal.alarm(20)
            try:
                moose.readSBML(str(f), '/mut')
            except moose.ModelImportError as e:
                failed += 1
                assert str(f) in str(e), f'{kind}: message does not name the file: {e}'
                assert _tree() == before, kind
                continue
            except _Timeout:
                pytest.fail(f'mutant {k} ({kind}) hangs the reader')
            finally:
                signal.alarm(0)
            loaded += 1
            signal.alarm(20)
            try:
                moose.reinit()
                moose.start(1.0)
            except moose.MooseError:
                pass
            except _Timeout:
                pytest.fail(f'mutant {k} ({kind}) hangs the solver')
            finally:
                signal.alarm(0)
            moose.delete('/mut')
    finally:
        signal.signal(signal.SIGALRM, old)
    assert failed >= 100, (loaded, failed)
