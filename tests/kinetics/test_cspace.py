"""``moose.loadModel`` of ``.cspace`` files: the objects, parameters,
plots and trajectories MOOSE builds (pymoose 5.0.0 run beside moosepy), the
format's reaction types (analytic: the scheme each letter names), and bad
files refused with file and line, the tree unchanged."""

import json
import math
from pathlib import Path

import numpy as np
import pytest

import moosepy as moose
from moosepy.core.errors import ModelImportError
from side_pymoose import run_both

CORPUS = Path(__file__).resolve().parents[3] / 'shared' / 'moose-examples'
# every reaction type, each pool and rate given (values 1..14 uM, rates 101..)
ALL_TYPES = ('|AabX|Bbcd|Ecde|Fdef|Gefg|Hfgh|Ighi|Chij|Dijk|Jjkl|Kklm|Llmn| '
             + ' '.join(str(i) for i in range(1, 15)) + ' '
             + ' '.join(f'{100 * k + 1} {100 * k + 2}' for k in range(1, 13)))


@pytest.fixture(autouse=True)
def _clean():
    yield
    for p in ('/model', '/m2'):
        if moose.exists(p):
            moose.delete(p)


def _write(tmp_path, text, name='m.cspace'):
    f = tmp_path / name
    f.write_text(text)
    return str(f)


_SIDE = r'''
import json, sys, tempfile, os
if sys.argv[1] == 'moose':
    import moose
else:
    import moosepy as moose
out = {}
models = %(models)r
for k, text in enumerate(models):
    d = tempfile.mkdtemp()
    f = os.path.join(d, 'm.cspace')
    open(f, 'w').write(text)
    base = '/model%%d' %% k
    moose.loadModel(f, base, 'gsl')
    objs = []
    for x in moose.wildcardFind(base + '/##[ISA=PoolBase],' + base + '/##[ISA=Reac],'
                                + base + '/##[ISA=Enz],' + base + '/graphs/##[ISA=Table2]'):
        path = x.path.replace('[0]', '')
        rec = [path, x.className]
        if x.isA['PoolBase']:
            rec += [x.concInit, x.volume]
        elif x.isA['Enz']:
            rec += [x.Km, x.kcat, x.k1, x.k2, x.k3,
                    sorted(p.name for p in x.neighbors['sub']),
                    sorted(p.name for p in x.neighbors['prd']),
                    [p.name for p in x.neighbors['cplx']]]
        elif x.isA['Reac']:
            rec += [x.Kf, x.Kb, x.numKf, x.numKb,
                    sorted(p.name for p in x.neighbors['sub']),
                    sorted(p.name for p in x.neighbors['prd'])]
        else:
            rec += [len(x.vector), x.tick, x.dt,
                    [p.path.replace('[0]', '') for p in x.neighbors['requestOut']]]
        objs.append(rec)
    out['objs%%d' %% k] = json.dumps(sorted(objs))
    out['vol%%d' %% k] = moose.element(base + '/kinetics').volume
    out['kids%%d' %% k] = ' '.join(sorted(c.name for c in moose.element(base).children))
    out['info%%d' %% k] = moose.element(base + '/kinetics/info').className
moose.loadModel(f, '/unsolved', 'ee')
out['ee_ticks'] = ' '.join(sorted('%%s:%%d' %% (x.name, x.tick) for x in
                           moose.wildcardFind('/unsolved/kinetics/##[ISA=PoolBase],'
                                              '/unsolved/kinetics/##[ISA=Reac],'
                                              '/unsolved/kinetics/##[ISA=Enz]')))
out['ee_solvers'] = len(moose.wildcardFind('/unsolved/##[ISA=Ksolve]'))
moose.reinit()
moose.start(20.0)
out['ee_conc'] = [x.conc for x in sorted(moose.wildcardFind('/unsolved/kinetics/##[ISA=PoolBase]'),
                                         key=lambda x: x.path)]
for k in range(len(models)):
    for t in moose.wildcardFind('/model%%d/graphs/##[ISA=Table2]' %% k):
        out['%%d:%%s' %% (k, t.name)] = list(t.vector)
print('JSON' + json.dumps(out))
'''


def _corpus_models():
    texts = []
    for rel in ('genesis/M1719.cspace', 'snippets/Osc.cspace',
                'tutorials/ChemicalBistables/19085.cspace'):
        p = CORPUS / rel
        if p.exists():
            texts.append(p.read_text())
    return texts


def test_same_objects_and_trajectories_as_pymoose():
    """The corpus' cspace files and one string with every reaction type:
    paths, classes, parameters, messages, plot tables, then 20 s under
    Ksolve 'gsl' (both: RK5 with adaptive steps; plots at 1 s)."""
    models = _corpus_models() + [ALL_TYPES]
    res = run_both(_SIDE % {'models': models}, timeout=300)
    a, b = res['moosepy'], res['moose']
    assert sorted(a) == sorted(b)
    for key in b:
        if key.startswith('objs'):
            oa, ob = json.loads(a[key]), json.loads(b[key])
            assert [o[:2] for o in oa] == [o[:2] for o in ob], key
            for x, y in zip(oa, ob):
                for u, v in zip(x[2:], y[2:]):
                    if isinstance(v, (int, float)):
                        assert math.isclose(u, v, rel_tol=1e-9, abs_tol=1e-30), (x, y)
                    else:
                        assert list(u) == list(v), (x, y)
        elif key.startswith(('vol', 'kids', 'info', 'ee_')):
            if key == 'ee_conc':
                assert np.allclose(a[key], b[key], rtol=1e-12), key
                continue
            assert a[key] == b[key], key
        else:
            ya, yb = np.asarray(a[key]), np.asarray(b[key])
            assert ya.shape == yb.shape == (21,), key
            scale = max(np.abs(yb).max(), 1e-12)
            assert np.abs(ya - yb).max() <= 1e-4 * scale, key


def test_reaction_types_build_their_schemes(tmp_path):
    """Each type letter gives the scheme the format defines; the numbers
    after the topology are concentrations [uM] then two rates per term
    (Reac: Kf, Kb; Enz: kcat with k2 = 4 kcat, Km [uM])."""
    moose.loadModel(_write(tmp_path, ALL_TYPES), '/model', 'ee')
    k = '/model/kinetics/'

    def names(obj, port):
        return sorted(p.name for p in obj.neighbors[port])

    want_reacs = {'AabX': ('a', 'b'), 'Bbcd': ('bb', 'c'), 'Ecde': ('c', 'de'),
                  'Fdef': ('dd', 'ef'), 'Gefg': ('eef', 'g'), 'Hfgh': ('ffg', 'hh'),
                  'Ighi': ('ggggh', 'i')}
    for j, (name, (subs, prds)) in enumerate(want_reacs.items()):
        r = moose.element(k + name)
        assert r.className == 'Reac'
        assert ''.join(names(r, 'sub')) == subs and ''.join(names(r, 'prd')) == prds
        assert r.Kf == 100 * (j + 1) + 1 and r.Kb == 100 * (j + 1) + 2
    want_enz = {'Chij': ('h', 'h', 'i'), 'Dijk': ('j', 'i', 'j'), 'Jjkl': ('k', 'j', 'l'),
                'Kklm': ('k', 'k', 'lm'), 'Llmn': ('m', 'l', 'mn')}
    for j, (name, (host, sub, prds)) in enumerate(want_enz.items(), start=8):
        e = moose.element(f'{k}{host}/{name}')
        assert e.className == 'Enz'
        assert [p.name for p in e.neighbors['enz']] == [host]
        assert ''.join(names(e, 'sub')) == sub and ''.join(names(e, 'prd')) == prds
        assert moose.element(f'{e.path}/{name}_cplx').className == 'Pool'
        assert e.kcat == 100 * j + 1 and e.k2 == 4 * (100 * j + 1)
        assert math.isclose(e.Km, (100 * j + 2) * 1e-3, rel_tol=1e-12)
    for i in range(14):
        pool = moose.element(k + chr(ord('a') + i))
        assert math.isclose(pool.concInit, (i + 1) * 1e-3, rel_tol=1e-12)
        assert moose.exists(f'/model/graphs/plot{pool.name}')
    assert math.isclose(moose.element('/model/kinetics').volume, 1e-18, rel_tol=1e-12)


def test_defaults_and_skipped_letters(tmp_path):
    """Values not given keep MOOSE's defaults (1 uM, rates 0.1, Km 1 uM);
    letters up to the highest named exist as pools (here b, unused)."""
    moose.loadModel(_write(tmp_path, 'x: |AacX|Dcad| 2'), '/model', 'ee')
    names = [c.name for c in moose.element('/model/kinetics').children
             if c.className == 'Pool']
    assert names == ['a', 'b', 'c', 'd']
    assert math.isclose(moose.element('/model/kinetics/a').concInit, 2e-3)
    assert math.isclose(moose.element('/model/kinetics/b').concInit, 1e-3)
    r = moose.element('/model/kinetics/AacX')
    assert (r.Kf, r.Kb) == (0.1, 0.1)
    e = moose.element('/model/kinetics/a/Dcad')
    assert e.kcat == 0.1 and math.isclose(e.Km, 1e-3)


def test_solvers(tmp_path):
    f = _write(tmp_path, '|AabX| 1 0 1 0')
    moose.loadModel(f, '/model', 'gsl')
    assert moose.element('/model/kinetics/ksolve').className == 'Ksolve'
    assert moose.element('/model/kinetics/info').solver == 'gsl'
    # a -> b at Kf = 1/s from 1 uM: a(t) = exp(-t) uM
    moose.reinit()
    moose.start(2.0)
    a = moose.element('/model/kinetics/a').conc
    assert math.isclose(a, 1e-3 * math.exp(-2.0), rel_tol=1e-6)


@pytest.mark.parametrize('text, what', [
    ('AabX 1 2', "no '|'"),
    ('junk |AabX| 1', 'before the topology'),
    ('|AabX', "does not end with '|'"),
    ('|Aab| 1', 'bad term'),
    ('|ZabX| 1', "unknown reaction type 'Z'"),
    ('|EabX| 1', "uses molecule slot 4"),
    ('|AAbX| 1', 'bad term'),
    ('|AabX| 1 2 3 4 5', '5 parameters given; the model has 4'),
    ('|AabX| 1 x', "expected a number, got 'x'"),
    ('|AabX| 1 nan', 'finite'),
    ('|AabX| -1', 'must be >= 0'),
    ('|CabX| 1 1 1 0', 'Km > 0'),
    ('|AabX| 1\n|AabX| 2', 'a second non-blank line'),
    ('', 'empty file'),
    ('|AabX| 1 \x01', 'control character'),
])
def test_bad_files_name_file_and_line(tmp_path, text, what):
    f = _write(tmp_path, text)
    before = sorted(x.path for x in moose.wildcardFind('/##'))
    with pytest.raises(ModelImportError, match='m.cspace') as e:
        moose.loadModel(f, '/model', 'gsl')
    assert what in str(e.value)
    assert ':1:' in str(e.value) or ':2:' in str(e.value)
    assert sorted(x.path for x in moose.wildcardFind('/##')) == before


def test_bounded_by_limits(tmp_path):
    f = _write(tmp_path, '|AabX| ' + ' 1' * 100)
    with moose.limits.override(max_line_length=50):
        with pytest.raises(ModelImportError, match='max_line_length'):
            moose.loadModel(f, '/model', 'gsl')
    assert not moose.exists('/model')


def test_not_utf8_and_existing_model(tmp_path):
    f = tmp_path / 'b.cspace'
    f.write_bytes(b'|AabX| 1 \xff')
    with pytest.raises(ModelImportError, match='b.cspace:1: not a text file'):
        moose.loadModel(str(f), '/model', 'gsl')
    g = _write(tmp_path, '|AabX| 1')
    moose.loadModel(g, '/model', 'ee')
    with pytest.raises(ModelImportError, match='already exists'):
        moose.loadModel(g, '/model', 'ee')
