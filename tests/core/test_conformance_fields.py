"""Fields that issue 11 item 2 added or gave MOOSE's defaults, checked for
what they do (not only their default) against pymoose 5.0.0 through
``side_pymoose.run_both``: every expected value comes from MOOSE."""

import numpy as np

from side_pymoose import run_both

HEAD = '''
import sys, json
import numpy as np
if sys.argv[1] == 'moose':
    import moose
else:
    import moosepy as moose
out = {}
'''
TAIL = "\nprint('JSON' + json.dumps(out))\n"


def _both(body):
    return run_both(HEAD + body + TAIL, raw=True)


def _close(a, b):
    return np.allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float),
                       rtol=1e-9, atol=0, equal_nan=True)


def test_clock_basedt_and_stride():
    # baseDt: 50 us at start, lowered by a smaller setClock, never raised;
    # stride: the smallest dt in use over baseDt (C rounding), 1 before reinit
    out = _both('''
c = moose.element('/clock')
r = [[c.baseDt, c.stride]]
moose.setClock(8, 1e-3); r.append([c.baseDt, c.stride])
moose.setClock(0, 2e-5); r.append([c.baseDt, c.stride])
moose.Compartment('/a'); moose.Table('/t')
moose.reinit(); r.append([c.baseDt, c.stride])
moose.start(0.01); r.append([c.baseDt, c.stride])
for i in range(8):
    moose.setClock(i, 1e-3)
moose.reinit(); r.append([c.baseDt, c.stride])
out['r'] = r
''')
    assert _close(out['moosepy']['r'], out['moose']['r']), out


def test_vclamp_td_negative_means_no_derivative():
    # td starts at -1 and reads 0 after reinit; a clamp with td = -1 and one
    # with td = 0 inject the same current
    out = _both('''
res = []
for td in (None, 0.0):
    p = '/m%d' % len(res)
    moose.Neutral(p)
    c = moose.Compartment(p + '/c'); c.Cm = 1e-10; c.Rm = 1e9; c.initVm = -0.06
    v = moose.VClamp(p + '/v')
    if td is not None:
        v.td = td
    moose.connect(v, 'currentOut', c, 'injectMsg')
    moose.connect(c, 'VmOut', v, 'sensedIn')
    res.append([v.td])
moose.reinit()
for k in range(2):
    res[k].append(moose.element('/m%d/v' % k).td)
out['td'] = res
''')
    assert out['moose']['td'] == [[-1.0, 0.0], [0.0, 0.0]]
    assert out['moosepy']['td'] == out['moose']['td']


def test_function_derivative_nan_until_an_expression():
    out = _both('''
r = []
for e in ['', '5', 'x0*x0', 't*3']:
    f = moose.Function('/f%d' % len(r))
    if e:
        f.expr = e
    r.append(f.derivative)
out['d'] = r
''')
    assert _close(out['moosepy']['d'], out['moose']['d']), out
    assert np.isnan(out['moose']['d'][0])
