"""Issue 15, items 1-2 for the text formats (SWC, kkit .g, GENESIS .p):
size, line length and line-count bounds before parsing
(moosepy.core.limits.check_text), cycles and deep trees without recursion,
errors naming file and line, in bounded time."""

import time

import pytest

import moosepy as moose
from moosepy.electrical.morphology import parse_swc
from moosepy.core.limits import check_text

from hostile_files import TIME_LIMIT

MILLION = 1_000_000


def _swc_chain(path, n, tail=''):
    with open(path, 'w') as f:
        f.write('# a chain of points\n1 1 0 0 0 5 -1\n')
        f.write(''.join(f'{i} 3 {i} 0 0 1 {i - 1}\n' for i in range(2, n + 1)))
        f.write(tail)


def test_swc_cycle_after_a_million_points(tmp_path):
    f = tmp_path / 'cycle.swc'
    n = MILLION
    _swc_chain(f, n, f'{n + 1} 3 0 1 0 1 {n + 3}\n{n + 2} 3 0 2 0 1 {n + 1}\n'
                     f'{n + 3} 3 0 3 0 1 {n + 2}\n')
    t0 = time.perf_counter()
    with pytest.raises(moose.ModelImportError) as ei:
        moose.loadModel(str(f), '/cell')
    elapsed = time.perf_counter() - t0
    msg = str(ei.value)
    # data lines start at file line 2
    assert f'{f}, line {n + 2}: points {n + 1}, {n + 2}, {n + 3} form a cycle' in msg, msg
    assert not moose.exists('/cell')
    print(f'10^6-point SWC with a cycle: refused in {elapsed:.2f} s')
    assert elapsed < TIME_LIMIT


def test_swc_chain_of_100000_points_parses_in_bulk(tmp_path):
    """A valid chain 100x deeper than the recursion limit: parents and
    depth-first order without recursion."""
    f = tmp_path / 'chain.swc'
    _swc_chain(f, 100_000)
    t0 = time.perf_counter()
    d = parse_swc(f)
    elapsed = time.perf_counter() - t0
    assert len(d.ids) == 100_000
    assert d.parent[0] == -1 and (d.parent[1:] == range(99_999)).all()
    assert d.lines[-1] == 100_001
    assert elapsed < TIME_LIMIT


@pytest.mark.parametrize('tail, words', [
    ('7 3 0 0 0 1 7\n', 'line 7: point 7 is its own parent'),
    ('7 3 0 0 0 1 99\n', 'line 7: parent 99 of point 7 is not in the file'),
    ('3 3 0 0 0 1 1\n', 'line 7: duplicate id 3 (first on line 4)'),
    ('1e30 3 0 0 0 1 1\n', 'line 7: id or parent beyond 2^53'),
    ('7 3 0 0 0 nan 1\n', 'line 7: non-finite number'),
    ('7 3 0 0 0 -1 1\n', 'line 7: radius -1 must be > 0'),
])
def test_swc_bad_points_name_the_line(tmp_path, tail, words):
    f = tmp_path / 'bad.swc'
    _swc_chain(f, 5, tail)
    with pytest.raises(moose.ModelImportError, match=words.replace('^', r'\^')
                       .replace('(', r'\(').replace(')', r'\)')):
        parse_swc(f)


def _kkit_nested_groups(path, n):
    src = (pytest.importorskip('pathlib').Path(__file__).resolve().parents[3] / 'shared' /
           'models-ref' / 'kkit' / 'enz_rea.g')
    if not src.exists():
        pytest.skip('../shared/models-ref/kkit is absent')
    head = src.read_text().split('simundump kpool')[0]
    lines, p = [], '/kinetics'
    for _ in range(n):
        p += '/g'
        lines.append(f'simundump group {p} 0 blue green x 0 0 "" g defaultfile.g 0 0 0 1 2 0')
    text = head + '\n'.join(lines) + '\nenddump\n'
    path.write_text(text)
    return text


def test_kkit_paths_deeper_than_max_depth(tmp_path):
    f = tmp_path / 'deep.g'
    text = _kkit_nested_groups(f, 600)
    line = 1 + next(k for k, ln in enumerate(text.split('\n'))
                    if ln.startswith('simundump') and ln.split()[2].count('/') == 513)
    t0 = time.perf_counter()
    with pytest.raises(moose.ModelImportError) as ei:
        moose.loadModel(str(f), '/model')
    msg = str(ei.value)
    assert f'{f}, line {line}: a path 513 levels deep exceeds the bound max_depth = ' \
           f'512' in msg, msg
    assert not moose.exists('/model')
    assert time.perf_counter() - t0 < TIME_LIMIT


@pytest.mark.parametrize('suffix', ['.g', '.swc', '.p'])
def test_text_bounds_are_checked_before_parsing(tmp_path, suffix):
    f = tmp_path / f'long{suffix}'
    f.write_text('// x\n' * MILLION)
    t0 = time.perf_counter()
    with moose.limits.override(max_elements=100_000):
        with pytest.raises(moose.ModelImportError) as ei:
            moose.loadModel(str(f), '/model')
    msg = str(ei.value)
    assert f'{f}, line 100001: more than 100000 lines exceeds the bound max_elements' in msg
    assert time.perf_counter() - t0 < TIME_LIMIT
    g = tmp_path / f'wide{suffix}'
    g.write_text('1 1 0 0 0 5 -1\n' + '#' * (17 * 1024 * 1024) + '\n')
    with pytest.raises(moose.ModelImportError, match=r'line 2: a line longer than 16777216 '
                       r'characters exceeds the bound max_line_length'):
        moose.loadModel(str(g), '/model')
    with moose.limits.override(max_bytes=1000):
        with pytest.raises(moose.ModelImportError, match=r'file size \d+ bytes exceeds the '
                           r'bound max_bytes = 1000'):
            check_text(f)
