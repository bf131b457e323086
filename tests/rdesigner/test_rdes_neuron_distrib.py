"""Neuron.passiveDistribution and Neuron.channelDistribution (MOOSE's
string form, moosepy.rdesigner.distrib) compared with pymoose 5.0.0: the
same Rm, Ra, Cm, Em, initVm and channel Gbar/Ek/CaConc fields per
compartment, on a hand-built branched cell and on an SWC cell; and the
errors moosepy raises where MOOSE warns, ignores or crashes."""

import pytest

import moosepy as moose
from moosepy.core.errors import FieldError, MooseError

from side_pymoose import run_both

SWC = '/work/shared/moose-examples/tutorials/Rdesigneur/cells/h10.CNG.swc'

HEAD = r'''
import sys, json
if sys.argv[1] == 'moose':
    import moose
else:
    import moosepy as moose

def library():
    moose.Neutral('/library')
    for nm in ('Na', 'K', 'Ca'):
        ch = moose.HHChannel('/library/' + nm)
        ch.Xpower = 1
        ch.Gbar = 7.0
        ch.Ek = 0.01
    cc = moose.CaConc('/library/Ca_conc')
    cc.tau = 0.02
    cc.thick = 1e-7

def hand_cell():
    """soma, a dendrite of three compartments and a side branch on dend0."""
    n = moose.Neuron('/cell')
    spec = [('soma', None, 20e-6, 20e-6, (1, 0, 0)), ('dend0', 'soma', 50e-6, 4e-6, (1, 0, 0)),
            ('dend1', 'dend0', 50e-6, 3e-6, (1, 0, 0)), ('dend2', 'dend1', 50e-6, 2e-6, (1, 0, 0)),
            ('side0', 'dend0', 30e-6, 1.5e-6, (0, 1, 0)), ('side1', 'side0', 30e-6, 1e-6, (0, 1, 0))]
    made = {}
    for name, pa, L, d, u in spec:
        c = moose.Compartment('/cell/' + name)
        c.length, c.diameter = L, d
        x0, y0 = (0.0, 0.0) if pa is None else (made[pa].x, made[pa].y)
        c.x0, c.y0, c.z0 = x0, y0, 0.0
        c.x, c.y, c.z = x0 + u[0] * L, y0 + u[1] * L, 0.0
        c.Rm, c.Ra, c.Cm, c.Em = 1e9, 1e6, 1e-11, -0.065
        if pa is not None:
            moose.connect(made[pa], 'axial', c, 'raxial')
        made[name] = c
    return n

def dump(n):
    out = {'passive': list(n.passiveDistribution), 'chan': list(n.channelDistribution)}
    for c in moose.wildcardFind(n.path + '/#[ISA=CompartmentBase]'):
        d = {f: float(getattr(c, f)) for f in ('Rm', 'Ra', 'Cm', 'Em', 'initVm')}
        for nm in ('Na', 'K', 'Ca'):
            if moose.exists(c.path + '/' + nm):
                k = moose.element(c.path + '/' + nm)
                d[nm + '.Gbar'], d[nm + '.Ek'] = float(k.Gbar), float(k.Ek)
                d[nm + '.to'] = sorted(x.name for x in k.neighbors['IkOut'])
        if moose.exists(c.path + '/Ca_conc'):
            k = moose.element(c.path + '/Ca_conc')
            for f in ('B', 'tau', 'thick', 'CaBasal'):
                d['Ca_conc.' + f] = float(getattr(k, f))
        out[c.name] = d
    return out
'''

HAND = HEAD + r'''
library()
n = hand_cell()
n.buildSegmentTree()
n.passiveDistribution = [
    '.', '#', 'RM', 'p > 60e-6 ? 2 + p*1e4 : 0', 'CM', '0.01 + dia*1e3', 'RA', '1.5',
    'Em', '-0.07 + L*0.001', '',
    '.', 'soma', 'initVm', '-0.06 - g*10', 'Ra', '2e6', '',
    '.', 'side#', 'Em', '-0.05', 'Cm', 'len*dia*0.03', '']
n.channelDistribution = [
    'Na', '#', 'Gbar', 'p < 60e-6 ? 1000 : 200*exp(-p/maxP)', 'Ek', '0.05 + g', '',
    'K', '#', 'Gbar', 'H(maxL/2 - L)*50 + maxG*0', '',
    'Ca', 'dend#,side1', 'Gbar', 'p - 60e-6', '',
    'Ca_conc', 'dend#,side#', 'B', '2', 'tau', '0.03 + maxP', 'thick', 'dia/10', '',
    'K', 'soma', 'Gbar', '60', 'Ek', '-0.09', '',
    'K', 'dend0', 'Ek', '-0.1', '']      # first value <= 0: nothing at all
print('JSON' + json.dumps(dump(n)))
'''

# after buildSegmentTree, RA and RM change; the channels' L still comes from
# the tree as it was built (MOOSE's Neuron keeps it until the next build)
STALE = HEAD + r'''
library()
n = hand_cell()
n.buildSegmentTree()
n.passiveDistribution = ['.', '#', 'RA', '20', 'RM', '0.1', '']
n.channelDistribution = ['Na', '#', 'Gbar', '1 + L*1e4 + maxL', '']
out = {'stale': dump(n)}
n.buildSegmentTree()
n.channelDistribution = ['K', '#', 'Gbar', '1 + L*1e4 + maxL', '']
out['rebuilt'] = dump(n)
print('JSON' + json.dumps(out))
'''

SWCRUN = HEAD + r'''
library()
moose.loadModel(sys.argv[2], '/cell')
n = moose.element('/cell')
n.buildSegmentTree()
# (Em and initVm set everywhere: moose.loadModel of an SWC leaves MOOSE's
# compartment defaults, -0.06 V, where moosepy's reader puts -0.065 V)
n.passiveDistribution = ['.', '#', 'RM', '1.5', 'CM', '0.012', 'RA', '1 + p*1e3',
                         'Em', '-0.065', 'initVm', '-0.07 + g', '',
                         '.', 'soma', 'Em', '-0.062', '']
n.channelDistribution = ['Na', '#', 'Gbar', 'p < 100e-6 ? 400 : 100*exp(-(p-100e-6)/50e-6)', '',
                         'K', '#', 'Gbar', '20 + 30*L/maxL', 'Ek', '-0.08', '',
                         'Ca', 'dend#', 'Gbar', 'dia < 1e-6 ? 5 : 0', '']
print('JSON' + json.dumps(dump(n)))
'''


def _compare(m, p):
    assert sorted(m) == sorted(p)
    for name in m:
        if name in ('passive', 'chan'):
            assert list(p[name]) == list(m[name]), name
            continue
        assert sorted(m[name]) == sorted(p[name]), name
        for f in m[name]:
            if f.endswith('.to'):
                assert list(p[name][f]) == list(m[name][f]), (name, f)
            else:
                assert p[name][f] == pytest.approx(m[name][f], rel=1e-12, abs=1e-30), \
                    (name, f, m[name][f], p[name][f])


def test_hand_cell_distributions_match_pymoose():
    r = run_both(HAND, raw=True)
    m, p = r['moose'], r['moosepy']
    _compare(m, p)
    # the distributions did something on this cell: not just the defaults
    assert 'Na.Gbar' in m['soma'] and 'Na.Gbar' in m['side1']
    assert 'Ca.Gbar' not in m['dend0'] and 'Ca.Gbar' in m['dend1']
    assert m['dend1']['Ca.to'] == ['Ca_conc']
    assert m['soma']['K.Ek'] == -0.09 and m['dend0']['K.Ek'] == 0.01


def test_channel_L_uses_the_tree_as_built():
    r = run_both(STALE, raw=True)
    m, p = r['moose'], r['moosepy']
    for k in ('stale', 'rebuilt'):
        _compare(m[k], p[k])
    # the two Gbar sets differ because the second saw the new RA and RM
    assert m['rebuilt']['dend2']['K.Gbar'] != m['rebuilt']['dend2']['Na.Gbar']


def test_swc_cell_distributions_match_pymoose():
    r = run_both(SWCRUN, raw=True, args=(SWC,))
    m, p = r['moose'], r['moosepy']
    _compare(m, p)
    comps = [k for k in m if k not in ('passive', 'chan')]
    assert len(comps) > 50
    assert sum('Ca.Gbar' in m[k] for k in comps) > 0


# ------------------------------------------------------ moosepy-only checks
def _cell():
    for p in ('/cell', '/library'):
        if moose.exists(p):
            moose.delete(p)
    moose.Neutral('/library')
    moose.HHChannel('/library/Na')
    n = moose.Neuron('/cell')
    prev = None
    for k, name in enumerate(('soma', 'dend0', 'dend1')):
        c = moose.Compartment('/cell/' + name)
        c.length, c.diameter = 10e-6, 2e-6
        c.x0, c.x = 10e-6 * k, 10e-6 * (k + 1)
        c.Rm, c.Ra, c.Cm = 1e9, 1e6, 1e-11
        if prev is not None:
            moose.connect(prev, 'axial', c, 'raxial')
        prev = c
    n.buildSegmentTree()
    return n


@pytest.mark.parametrize('field,value,needle', [
    ('passiveDistribution', ['.', '#', 'CMM', '1', ''], "did you mean 'CM'"),
    ('passiveDistribution', ['.', '#', 'RM', '1'], "not ended by an empty string"),
    ('passiveDistribution', ['.', '#', 'RM', ''], 'has 3 entries'),
    ('passiveDistribution', ['#', 'RM', '1', 'CM', '2', ''], 'has 5 entries'),
    ('passiveDistribution', ['.', '#', 'RM', 'q + 1', ''], "unknown variable 'q'"),
    ('passiveDistribution', ['.', '#', 'RM', '(1', ''], 'cannot parse'),
    ('passiveDistribution', ['.', 'axon#', 'RM', '1', ''], 'matches no compartment'),
    ('passiveDistribution', ['.', '#', 'RM', '1', 'CM', '-p', ''], 'cannot be negative'),
    ('passiveDistribution', ['.', '#', 'RM', 1.0, ''], 'every entry is a string'),
    ('passiveDistribution', '. # RM 1', 'expected a list of strings'),
    ('channelDistribution', ['Nax', '#', 'Gbar', '1', ''], "did you mean 'Na'"),
    ('channelDistribution', ['Na', '#', 'Gbr', '1', ''], "did you mean 'Gbar'"),
    ('channelDistribution', ['Na', '#', 'Gbar', 'p/0', ''], 'expected a finite value'),
])
def test_bad_distribution_raises_and_changes_nothing(field, value, needle):
    n = _cell()
    before = [(c.Rm, c.Ra, c.Cm, c.Em) for c in moose.wildcardFind('/cell/#[ISA=Compartment]')]
    # a good line first: nothing of it may be applied when a later one is bad
    good = ['.', '#', 'RM', '5', ''] if field == 'passiveDistribution' else \
        ['Na', 'soma', 'Gbar', '10', '']
    with pytest.raises(MooseError) as exc:
        setattr(n, field, good + value if isinstance(value, list) else value)
    assert needle in str(exc.value)
    assert f'/cell[0] (Neuron).{field}' in str(exc.value)
    after = [(c.Rm, c.Ra, c.Cm, c.Em) for c in moose.wildcardFind('/cell/#[ISA=Compartment]')]
    assert after == before
    assert not moose.wildcardFind('/cell/##[ISA=HHChannel]')
    assert getattr(n, field) == []


def test_field_errors_are_field_errors_naming_the_line():
    n = _cell()
    with pytest.raises(FieldError, match=r"/cell.*channelDistribution line 1.*'/library/Kx'"):
        n.channelDistribution = ['Na', '#', 'Gbar', '1', '', 'Kx', '#', 'Gbar', '1', '']


def test_existing_channel_is_reused_and_read_back():
    n = _cell()
    n.channelDistribution = ['Na', '#', 'Gbar', '10', '']
    n.channelDistribution = ['Na', 'soma', 'Gbar', '20', 'Ek', '0.07', '']
    chans = moose.wildcardFind('/cell/##[ISA=HHChannel]')
    assert len(chans) == 3
    soma = moose.element('/cell/soma/Na')
    area = 10e-6 * 2e-6 * 3.141592653589793
    assert soma.Gbar == pytest.approx(20 * area, rel=1e-14)
    assert soma.Ek == 0.07
    assert moose.element('/cell/dend0/Na').Gbar == pytest.approx(10 * area, rel=1e-14)
    assert len(soma.neighbors['channel']) == 1       # connected once, not twice
    assert n.channelDistribution == ['Na', 'soma', 'Gbar', '20', 'Ek', '0.07', '']


RDES = r'''
import sys, json
if sys.argv[1] == 'moose':
    import moose, rdesigneur as rd
else:
    import moosepy as moose, moosepy.rdesigner as rd
rdes = rd.rdesigneur(verbose=False,
    cellProto=[['ballAndStick', 'elec', 10e-6, 20e-6, 4e-6, 200e-6, 4]],
    chanProto=[['make_HH_Na()', 'Na'], ['make_Ca_conc()', 'Ca_conc'], ['make_Ca()', 'Ca']],
    passiveDistrib=[['#', 'RM', '2', 'CM', 'p > 100e-6 ? 0.02 : 0'],
                    ['.', 'dend3', 'Ra', '1e7']],
    chanDistrib=[['Na', '#', 'Gbar', 'p > 100e-6 ? 100 : 0', 'Ek', '0.06'],
                 ['Ca_conc', '#', 'tau', '0.02'], ['Ca', 'dend#', 'Gbar', '10']])
rdes.buildModel()
e = moose.element('/model/elec')
print('JSON' + json.dumps({'passive': list(e.passiveDistribution),
                           'chan': list(e.channelDistribution)}))
'''


def test_rdesigneur_leaves_the_distribution_strings_on_the_neuron():
    r = run_both(RDES, raw=True)
    m, p = r['moose'], r['moosepy']
    assert p == m
    assert m['passive'][:3] == ['.', '#', 'RM']


LOOKUP = HEAD + r'''
n = hand_cell()
n.buildSegmentTree()
out = {}
for key in ('# p', 'dend#,side1 g*1e6 + L', '## len > 40e-6', 'soma 1', 'side# x*1e5 + y*1e6'):
    out[key] = [float(v) for v in n.valuesFromExpression[key]]
    out['c ' + key] = [c.path for c in n.compartmentsFromExpression[key]]
print('JSON' + json.dumps(out))
'''


def test_expression_lookups_match_pymoose():
    """valuesFromExpression: 13 numbers per element the path finds (the
    Spine field element and other non-compartments give zeros);
    compartmentsFromExpression: those where the expression > 0."""
    r = run_both(LOOKUP, raw=True)
    m, p = r['moose'], r['moosepy']
    assert sorted(m) == sorted(p)
    for k in m:
        if k.startswith('c '):
            assert p[k] == m[k], k
        else:
            assert len(p[k]) == len(m[k]), k
            assert p[k] == pytest.approx(m[k], rel=1e-12, abs=1e-30), k
    assert len(m['# p']) == 13 * 7 and m['c ## len > 40e-6'][-1] == '/cell[0]/dend2[0]'
