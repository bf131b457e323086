"""Function inputs and derivatives as MOOSE 5.0 gives them:
``requestOut -> get<Field>`` feeds y0, y1, ... (not x slots), ``rate`` is
(value - last value) / dt from 0 at reinit, and ``derivative`` is the
derivative of the expression with respect to ``independent`` (x_i, y_i or
t) at the current inputs (five-point stencil).  Tables of value,
derivative and rate against pymoose 5.0.0 (corpus snippets/function.py)."""

import json

import numpy as np

from side_pymoose import run_both

_SIDE = r'''
import sys, json
if sys.argv[1]=='moose':
    import moose
else:
    import moosepy as moose
out={}
for k,(expr, indep) in enumerate([('x0 + 10*y0', 't'), ('x0 + 10*x1', 't'), ('2*y0 + 100*y1', 't'), ('y0*y0*x0', 'y0'), ('x0*x0*3 + y0', 'x0'), ('c0*exp(c1*x0)*cos(y0)+sin(t)', 'y0'),('x0*t*t','t')]):
    base='/m%d'%k
    moose.Neutral(base)
    f=moose.Function(base+'/f')
    f.c['c0']=1.0; f.c['c1']=2.0
    f.expr=expr
    f.independent=indep
    a=moose.StimulusTable(base+'/a'); a.vector=[1.0,2.0,3.0,4.0]; a.stopTime=1.0; a.startTime=0
    b=moose.StimulusTable(base+'/b'); b.vector=[5.0,6.0,7.0,8.0]; b.stopTime=1.0; b.startTime=0
    if f.numVars: moose.connect(a,'output',f.x[0],'input')
    moose.connect(f,'requestOut',b,'getOutputValue')
    if 'y1' in expr or 'x1' in expr:
        moose.connect(f,'requestOut',a,'getOutputValue')
    tv=moose.Table(base+'/tv'); moose.connect(tv,'requestOut',f,'getValue')
    td=moose.Table(base+'/td'); moose.connect(td,'requestOut',f,'getDerivative')
    tr=moose.Table(base+'/tr'); moose.connect(tr,'requestOut',f,'getRate')
    out[expr]=(tv,td,tr,f)
for i in range(32): moose.setClock(i, 0.25)
moose.reinit(); moose.start(1.0)
res={e:[list(t.vector) for t in v[:3]]+[v[3].numVars] for e,v in out.items()}
print('JSON' + json.dumps({k: json.dumps(v) for k, v in res.items()}))
'''


def test_y_inputs_rate_and_derivative_as_pymoose():
    res = run_both(_SIDE)
    a, b = res['moosepy'], res['moose']
    assert sorted(a) == sorted(b)
    for expr in b:
        va, vb = json.loads(a[expr]), json.loads(b[expr])
        assert va[3] == vb[3], (expr, 'numVars')
        for what, x, y in zip(('value', 'derivative', 'rate'), va[:3], vb[:3]):
            x, y = np.asarray(x), np.asarray(y)
            assert x.shape == y.shape == (5,), (expr, what)
            scale = max(np.abs(y).max(), 1e-12)
            assert np.abs(x - y).max() <= 1e-6 * scale, (expr, what, x, y)
