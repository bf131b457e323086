"""rdesigner geometry expressions: the evaluator (analytic cases), its
errors, and the distance variables p, g, L, len, dia, x, y, z of a
branched cell against pymoose 5.0.0's Neuron.valuesFromExpression."""

import json

import numpy as np
import pytest

import moosepy.rdesigner as rd
from moosepy.rdesigner.geometry import Expr, ExprError

from side_pymoose import run_both


@pytest.mark.parametrize('text, vals, want', [
    ('1200', {}, 1200.0),
    ('2^3^2', {}, 512.0),                      # right associative
    ('-2^2', {}, -4.0),
    ('p < 50e-6 ? 500 : 100', {'p': np.array([1e-5, 1e-4])}, [500, 100]),
    ('300*(H(100-p*1e6)) * (1+(p*1e4))', {'p': np.array([0.0, 50e-6, 150e-6])},
     [300.0, 300 * 1.5, 0.0]),
    ('(t>0.1 && t<0.2) * 2e-8', {'t': np.array([0.05, 0.15, 0.25])}, [0, 2e-8, 0]),
    ('!(dia < 1.5e-6) || len > 1', {'dia': np.array([1e-6, 2e-6]), 'len': 0.0}, [0, 1]),
    ('max(p, 2, g) + min(3, 4) + if(p > 1, 10, 20)', {'p': 1.0, 'g': 5.0}, 5 + 3 + 20),
    ('exp(0) + log(1) + sqrt(4) + abs(-1) + pi - pi + sin(0) + fmod(7, 4)', {}, 7.0),
    ('(1+cos(t/10))*(t>31.4 && t<94) * 0.5e-9', {'t': 40.0}, (1 + np.cos(4.0)) * 0.5e-9),
])
def test_expression_values(text, vals, want):
    variables = tuple(vals) if vals else ('p',)
    got = Expr(text, variables)(vals)
    assert np.allclose(got, want, rtol=1e-15, atol=0)


@pytest.mark.parametrize('text, words', [
    ('p +', ['unexpected end']),
    ('p ? 1', ["expected ':'"]),
    ('dai * 2', ["unknown variable 'dai'", "did you mean 'dia'"]),
    ('foo(p)', ["unknown function 'foo'"]),
    ('sqrt(p, 2)', ['takes 1 argument']),
    ('p $ 2', ['unexpected character']),
    ('', ['empty expression']),
    ('__import__("os")', ['unexpected character']),
    ('__import__(p)', ["unknown function '__import__'"]),
])
def test_expression_errors(text, words):
    with pytest.raises(ExprError) as exc:
        Expr(text, where='chanDistrib[3] Gbar')
    for w in words:
        assert w in str(exc.value)
    assert 'chanDistrib[3] Gbar' in str(exc.value)


SCRIPT = r'''
import sys, json
if sys.argv[1] == 'moose':
    import moose, rdesigneur as rd
else:
    import moosepy as moose, moosepy.rdesigner as rd
rdes = rd.rdesigneur(verbose=False,
    cellProto=[['branchedCell', 'c', 10e-6, 20e-6, 4e-6, 100e-6, 4, 2e-6, 60e-6, 3]],
    passiveDistrib=[['#', 'RM', '2', 'RA', '1.5']])
rdes.buildModel()
out = {}
if sys.argv[1] == 'moose':
    v = list(moose.element('/model/elec').valuesFromExpression['# p*1e6 + g*1e3'])
    names = [c.name for c in moose.wildcardFind('/model/elec/#[ISA=CompartmentBase]')]
    out['vals'] = v
else:
    from moosepy.rdesigner.geometry import match_path, select
    elems = match_path(rdes.elecid, '#')
    comp = [e for e in elems]
    vals = rdes.geom.values([e for e in elems if e.cls.__name__ == 'Compartment'])
    names = [e.name for e in elems if e.cls.__name__ == 'Compartment']
    ex = vals['p'] * 1e6 + vals['g'] * 1e3
    out['vals'] = [list(map(float, [ex[i], vals['p'][i], vals['g'][i], vals['L'][i],
        vals['len'][i], vals['dia'][i], vals['maxP'][i], vals['maxG'][i], vals['maxL'][i],
        vals['x'][i], vals['y'][i], vals['z'][i], 0.0])) for i in range(len(names))]
sel = rdes.compartmentsFromExpression('#', 'p > 100e-6 && y > 0') if sys.argv[1] != 'moose' \
    else moose.element('/model/elec').compartmentsFromExpression['# p > 100e-6 && y > 0']
out['sel'] = sorted(c.name for c in sel)
out['names'] = names
print('JSON' + json.dumps(out))
'''


def test_distances_match_pymoose():
    r = run_both(SCRIPT)
    m, p = r['moose'], r['moosepy']
    # pymoose gives 13 numbers for every element '#' matches (zeros for the
    # spine field element and non-compartments): keep the compartments'
    mv = np.asarray(m['vals'], dtype=float).reshape(-1, 13)
    mv = mv[mv[:, 5] > 0]                         # compartments have a diameter
    pv = np.asarray(p['vals'], dtype=float)
    assert list(m['names']) == list(p['names'])
    assert mv.shape == pv.shape
    np.testing.assert_allclose(pv[:, :12], mv[:, :12], rtol=1e-12, atol=1e-18)
    assert list(m['sel']) == list(p['sel']) and len(p['sel']) > 0
