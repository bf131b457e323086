"""Malformed kkit files: each either loads or raises ModelImportError naming
the file and a line number; never another exception, never a hang, and a
failed load leaves the element tree as it was.

The mutants are made, with a fixed seed, from the real models in
../shared/models-ref/kkit/ (skipped when absent): truncations at random
points, corrupted numbers, unknown object paths in addmsg lines, missing
fields, unknown object and message types, deleted and duplicated lines,
and binary junk.
"""

import random
import re
import signal
from pathlib import Path

import pytest

import moosepy as moose
from moosepy.kinetics.kkit import read_kkit

KKIT = Path(__file__).resolve().parents[3] / 'shared' / 'models-ref' / 'kkit'
FILES = sorted(KKIT.glob('*.g')) if KKIT.is_dir() else []
N_MUTANTS = 180
SEED = 20261125
NUM = re.compile(r'(?<![\w./*-])-?\d+(\.\d+)?(e[-+]?\d+)?(?![\w.])')


def _lines(text):
    return text.split('\n')


def truncate(rng, text):
    return text[:rng.randrange(1, len(text))]


def corrupt_number(rng, text):
    lines = _lines(text)
    cands = [i for i, l in enumerate(lines) if NUM.search(l) and not l.startswith('//')]
    i = rng.choice(cands)
    hits = list(NUM.finditer(lines[i]))
    m = rng.choice(hits)
    junk = rng.choice(['1.2.3', 'abc', 'nan', '1e999', '-5', '--1', '0x1F', '', '1,5', 'inf'])
    lines[i] = lines[i][:m.start()] + junk + lines[i][m.end():]
    return '\n'.join(lines)


def unknown_id(rng, text):
    lines = _lines(text)
    cands = [i for i, l in enumerate(lines) if l.startswith('addmsg')]
    i = rng.choice(cands)
    tok = lines[i].split()
    tok[rng.choice([1, 2])] = '/kinetics/no_such_object_' + str(rng.randrange(100))
    lines[i] = ' '.join(tok)
    return '\n'.join(lines)


def missing_field(rng, text):
    lines = _lines(text)
    cands = [i for i, l in enumerate(lines) if l.startswith('simundump')]
    i = rng.choice(cands)
    tok = lines[i].split()
    if len(tok) > 3:
        del tok[rng.randrange(3, len(tok))]
    lines[i] = ' '.join(tok)
    return '\n'.join(lines)


def unknown_type(rng, text):
    lines = _lines(text)
    cands = [i for i, l in enumerate(lines) if l.startswith(('simundump', 'addmsg'))]
    i = rng.choice(cands)
    tok = lines[i].split()
    if tok[0] == 'simundump':
        tok[1] = rng.choice(['kfoo', 'transport', 'table', 'stim', 'proto'])
    elif len(tok) > 3:
        tok[3] = rng.choice(['FOO', 'AXIAL', 'reac'])
    lines[i] = ' '.join(tok)
    return '\n'.join(lines)


def delete_lines(rng, text):
    lines = _lines(text)
    for _ in range(rng.randint(1, 5)):
        del lines[rng.randrange(len(lines))]
    return '\n'.join(lines)


def duplicate_line(rng, text):
    lines = _lines(text)
    i = rng.randrange(len(lines))
    lines.insert(i, lines[i])
    return '\n'.join(lines)


def binary_junk(rng, text):
    data = text.encode()
    k = rng.randrange(len(data))
    junk = bytes(rng.randrange(256) for _ in range(rng.randint(1, 40)))
    return data[:k] + junk + data[k:]


def bad_path(rng, text):
    lines = _lines(text)
    cands = [i for i, l in enumerate(lines) if l.startswith('simundump k')]
    i = rng.choice(cands)
    tok = lines[i].split()
    tok[2] = rng.choice(['kinetics/x', '/elsewhere/x', '/kinetics/', '/kinetics//x',
                         '/kinetics/missing_group/x'])
    lines[i] = ' '.join(tok)
    return '\n'.join(lines)


MUTATIONS = [truncate, corrupt_number, unknown_id, missing_field, unknown_type,
             delete_lines, duplicate_line, binary_junk, bad_path]


def mutants():
    rng = random.Random(SEED)
    out = []
    for k in range(N_MUTANTS):
        src = FILES[k % len(FILES)]
        mut = MUTATIONS[(k // len(FILES) + k) % len(MUTATIONS)]
        out.append((k, src, mut, mut(rng, src.read_text())))
    return out


def tree():
    return sorted(e.path for e in moose.wildcardFind('/##'))


class _Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise _Timeout()


@pytest.mark.skipif(not FILES, reason=f'{KKIT} is absent')
def test_mutated_files_load_or_raise_model_import_error(tmp_path):
    before = tree()
    old = signal.signal(signal.SIGALRM, _alarm)
    outcome = {'loaded': 0, 'refused': 0}
    kinds = set()
    try:
        for k, src, mut, text in mutants():
            f = tmp_path / f'{k:03d}_{mut.__name__}_{src.name}'
            if isinstance(text, bytes):
                f.write_bytes(text)
            else:
                f.write_text(text)
            signal.alarm(10)
            try:
                read_kkit(str(f), '/model', 'gsl')
            except moose.ModelImportError as e:
                msg = str(e)
                assert msg.startswith(str(f) + ':'), msg
                assert re.match(re.escape(str(f)) + r':\d+: \S', msg), msg
                assert tree() == before, f'{f.name}: tree changed after a failed load'
                outcome['refused'] += 1
                kinds.add(mut.__name__)
            except _Timeout:
                pytest.fail(f'{f.name}: no answer within 10 s')
            else:
                assert moose.exists('/model')
                moose.delete('/model')
                assert tree() == before
                outcome['loaded'] += 1
            finally:
                signal.alarm(0)
    finally:
        signal.signal(signal.SIGALRM, old)
    assert outcome['loaded'] + outcome['refused'] == N_MUTANTS
    # the mutations do produce errors of every kind (the test can fail)
    assert outcome['refused'] > N_MUTANTS // 2
    assert len(kinds) >= 7, kinds
