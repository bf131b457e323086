"""Bad morphology files raise ModelImportError naming the file and line and
what is valid, and leave nothing in the tree; mutated copies of a real SWC
either load or raise ModelImportError, never anything else."""

import re
from pathlib import Path

import numpy as np
import pytest

import moosepy as moose
from moosepy.core.errors import ModelImportError
from moosepy.electrical.morphology import read_swc, read_p

SHARED = Path(__file__).resolve().parents[2].parent / 'shared'
REAL = SHARED / 'models-ref' / 'swc' / 'h10.CNG.swc'

GOOD = """# id type x y z r parent
1 1 0 0 0 5 -1
2 3 10 0 0 1 1
3 3 20 0 0 1 2
4 3 20 10 0 0.5 3
5 3 20 -10 0 0.5 3
"""


def _write(tmp_path, text, name='cell.swc'):
    p = tmp_path / name
    p.write_text(text)
    return p


def _user_elements():
    return sorted(n for n in moose.element('/')._el.children
                  if n not in ('classes', 'clock', 'Msgs'))


def _fails(path, line, *words, reader=read_swc, **kw):
    before = _user_elements()
    with pytest.raises(ModelImportError) as exc:
        reader(path, '/cell', **kw)
    msg = str(exc.value)
    assert str(path) in msg
    if line is not None:
        assert f'line {line}' in msg, msg
    for w in words:
        assert w in msg, msg
    assert not moose.exists('/cell')
    assert _user_elements() == before
    return msg


def test_good_file_loads(tmp_path):
    cell = read_swc(_write(tmp_path, GOOD), '/cell')
    assert cell.numCompartments == 5


@pytest.mark.parametrize('edit,line,words', [
    (('3 3 20 0 0 1 2', '3 3 20 0 0 1 9'), 4, ('parent 9', 'not in the file')),
    (('2 3 10 0 0 1 1', '2 3 10 0 0 1 4'), 3, ('cycle',)),
    (('4 3 20 10 0 0.5 3', '4 3 20 10 0 0.5 4'), 5, ('its own parent',)),
    (('2 3 10 0 0 1 1', '2 3 10 0 0 0 1'), 3, ('radius', '> 0')),
    (('5 3 20 -10 0 0.5 3', '5 3 20 -10 0 -0.5 3'), 6, ('radius',)),
    (('3 3 20 0 0 1 2', '3 3 20 0 1 2'), 4, ('expected 7 columns, found 6', 'id type x y z')),
    (('3 3 20 0 0 1 2', '3 3 20 0 0 1 2 7'), 4, ('found 8',)),
    (('3 3 20 0 0 1 2', '3 3 2O 0 0 1 2'), 4, ("non-numeric field '2O'",)),
    (('3 3 20 0 0 1 2', '3 3 nan 0 0 1 2'), 4, ('non-finite',)),
    (('3 3 20 0 0 1 2', '3 3.5 20 0 0 1 2'), 4, ('type', 'not an integer')),
    (('3 3 20 0 0 1 2', '2 3 20 0 0 1 1'), 4, ('duplicate id 2',)),
    (('5 3 20 -10 0 0.5 3', '5 3 20 -10 0 0.5 -1'), 6, ('2 root points',)),
])
def test_swc_errors(tmp_path, edit, line, words):
    text = GOOD.replace(edit[0], edit[1])
    assert text != GOOD
    _fails(_write(tmp_path, text), line, *words)


def test_swc_longer_cycle_and_empty(tmp_path):
    text = GOOD + '6 3 0 5 0 1 8\n7 3 0 6 0 1 6\n8 3 0 7 0 1 7\n'
    msg = _fails(_write(tmp_path, text), None, 'cycle')
    assert re.search(r'lines \d+, \d+, \d+', msg)
    _fails(_write(tmp_path, '# only comments\n\n'), None, 'no data lines')


def test_bad_options_and_paths(tmp_path):
    p = _write(tmp_path, GOOD)
    _fails(p, None, 'RA must be a positive number', RA=0.0)
    _fails(p, None, 'unknown option', max_len=1.0)
    _fails(p, None, 'length must be', length=-1.0)
    moose.Neutral('/cell')
    with pytest.raises(ModelImportError, match='already there'):
        read_swc(p, '/cell')
    moose.delete('/cell')
    with pytest.raises(ModelImportError, match='does not exist'):
        read_swc(p, '/nowhere/cell')
    with pytest.raises(ModelImportError, match='cannot read'):
        read_swc(tmp_path / 'missing.swc', '/cell')
    assert not moose.exists('/nowhere')


def test_failure_during_build_leaves_nothing(tmp_path, monkeypatch):
    """An error while creating compartments deletes the partial cell."""
    from moosepy.electrical import morphology
    calls = {'n': 0}
    real = morphology._comp_class

    def flaky(symmetric=False):
        cls = real(symmetric)

        class Boom(cls):
            _internal = True

            def __init_obj__(self):
                # the third compartment's making fails
                calls['n'] += 1
                if calls['n'] == 3:
                    raise moose.FieldError('boom')
                super().__init_obj__()
        return Boom
    monkeypatch.setattr(morphology, '_comp_class', flaky)
    with pytest.raises(moose.FieldError):
        read_swc(_write(tmp_path, GOOD), '/cell')
    assert not moose.exists('/cell')


P_GOOD = """// test cell
*cartesian
*relative
*set_global RM 1.0
*set_global RA 1.0
*set_global CM 0.01
soma none 0 10 0 10
dend soma 0 20 0 2
"""


@pytest.mark.parametrize('edit,line,words', [
    (('*relative', '*relativ'), 3, ("unknown keyword '*relativ'", 'valid: *cartesian')),
    (('*set_global RA 1.0', '*set_global RX 1.0'), 5, ("unknown parameter 'RX'", 'EREST_ACT')),
    (('*set_global RA 1.0', '*set_global RA one'), 5, ("'one' is not a number",)),
    (('dend soma 0 20 0 2', 'dend soma 0 2x0 0 2'), 8, ("'2x0' is not a number",)),
    (('dend soma 0 20 0 2', 'dend somma 0 20 0 2'), 8, ("parent 'somma'", 'defined: soma')),
    (('dend soma 0 20 0 2', 'dend soma 0 20 0'), 8, ('expected at least 6 fields',)),
    (('dend soma 0 20 0 2', 'dend soma 0 20 0 2 Na'), 8, ('name/value pairs',)),
    (('dend soma 0 20 0 2', 'dend soma 0 20 0 2 Na 120'), 8, ("channel 'Na'", 'no /library')),
    (('dend soma 0 20 0 2', 'dend soma 0 20 0 -2'), 8, ('diameter',)),
    (('dend soma 0 20 0 2', 'soma soma 0 20 0 2'), 8, ('duplicate compartment name',)),
    (('*cartesian', '/* open comment'), 2, ('unterminated',)),
])
def test_p_errors(tmp_path, edit, line, words):
    text = P_GOOD.replace(edit[0], edit[1])
    assert text != P_GOOD
    p = _write(tmp_path, text, 'cell.p')
    if edit[1] == '/* open comment':
        line = len(text.splitlines())
    _fails(p, line, *words, reader=read_p)


def test_p_unknown_channel_lists_library(tmp_path):
    from moosepy.electrical.channels import HHChannel
    moose.Neutral('/library')
    HHChannel('/library/K')
    p = _write(tmp_path, P_GOOD.replace('0 20 0 2', '0 20 0 2 Na 120'), 'cell.p')
    _fails(p, 8, '/library has K', reader=read_p)
    read_p(_write(tmp_path, P_GOOD.replace('0 20 0 2', '0 20 0 2 K 120'), 'ok.p'), '/cell')
    assert moose.element('/cell/dend/K').Gbar > 0


# ------------------------------------------------------------------ mutations
def _mutants(text, n, seed):
    rng = np.random.default_rng(seed)
    lines = text.splitlines()
    data = [k for k, s in enumerate(lines) if s.strip() and not s.lstrip().startswith('#')]
    out = []
    for i in range(n):
        kind = i % 6
        ls = list(lines)
        k = int(rng.choice(data))
        parts = ls[k].split()
        if kind == 0:          # truncate the file at a random character
            cut = int(rng.integers(1, len(text)))
            out.append(text[:cut])
            continue
        if kind == 1:          # corrupt a number
            j = int(rng.integers(0, len(parts)))
            parts[j] = rng.choice(['x', '1e', '--1', '', 'nan', '0x1', '1,5'])
        elif kind == 2:        # drop a column
            del parts[int(rng.integers(0, len(parts)))]
        elif kind == 3:        # random parent
            parts[6] = str(int(rng.integers(-3, len(data) + 5)))
        elif kind == 4:        # zero / negative radius or a huge coordinate
            parts[int(rng.choice([5, 2]))] = rng.choice(['0', '-1', '1e300'])
        else:                  # delete or duplicate a line
            if rng.random() < 0.5:
                del ls[k]
                out.append('\n'.join(ls))
                continue
            ls.insert(k, ls[k])
        ls[k] = ' '.join(parts)
        out.append('\n'.join(ls))
    return out


@pytest.mark.skipif(not REAL.exists(), reason='../shared/models-ref absent')
def test_mutated_real_swc_load_or_raise_cleanly(tmp_path):
    text = REAL.read_text()
    outcomes = {'ok': 0, 'error': 0}
    for i, t in enumerate(_mutants(text, 54, seed=2024)):
        p = _write(tmp_path, t, f'm{i}.swc')
        try:
            cell = read_swc(p, '/cell')
        except ModelImportError as exc:
            assert str(p) in str(exc)
            assert not moose.exists('/cell')
            outcomes['error'] += 1
            continue
        assert cell.numCompartments >= 1
        assert all(c.Rm > 0 and c.Cm > 0 and c.Ra > 0 for c in cell.compartments)
        moose.delete('/cell')
        outcomes['ok'] += 1
    assert outcomes['ok'] > 0 and outcomes['error'] > 10


P_REAL = SHARED / 'models-ref' / 'genesis-p' / 'ca1_minimal.p'


@pytest.mark.skipif(not P_REAL.exists(), reason='../shared/models-ref absent')
def test_mutated_real_p_load_or_raise_cleanly(tmp_path):
    text = P_REAL.read_text()
    lines = text.splitlines()
    data = [k for k, s in enumerate(lines) if s.strip() and not s.strip().startswith('//')]
    rng = np.random.default_rng(7)
    outcomes = {'ok': 0, 'error': 0}
    for i in range(30):
        ls = list(lines)
        k = int(rng.choice(data))
        parts = ls[k].split()
        kind = i % 5
        if kind == 0:
            cut = int(rng.integers(1, len(text)))
            t = text[:cut]
        else:
            if kind == 1 and parts:
                parts[int(rng.integers(0, len(parts)))] = str(rng.choice(['x', '1e', '', '-5']))
            elif kind == 2 and parts:
                del parts[int(rng.integers(0, len(parts)))]
            elif kind == 3:
                parts.append(str(rng.choice(['Na', 'Na 10', '*bogus'])))
            else:
                parts.insert(0, '*' + str(rng.choice(['spherical', 'relative', 'origin 1 2'])))
            ls[k] = ' '.join(parts)
            t = '\n'.join(ls)
        p = tmp_path / f'm{i}.p'
        p.write_text(t)
        try:
            cell = read_p(p, '/cell')
        except ModelImportError as exc:
            assert str(p) in str(exc)
            assert not moose.exists('/cell')
            outcomes['error'] += 1
            continue
        assert all(c.Rm > 0 and c.Cm > 0 for c in cell.compartments)
        moose.delete('/cell')
        outcomes['ok'] += 1
    assert outcomes['ok'] > 0 and outcomes['error'] > 5
