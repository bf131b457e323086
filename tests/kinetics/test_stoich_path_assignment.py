"""A script written for MOOSE 4 sets ``Stoich.path`` (now
``reacSystemPath``).  pymoose 5.0.0 prints an error and goes on: the
system is never built, the Ksolve solves nothing and, pools being
unscheduled without a solver, every table stays flat.  moosepy warns and
gives the same tables (checked against pymoose)."""

import warnings

import numpy as np
import pytest

import moosepy as moose
from side_pymoose import run_both

_SIDE = r'''
import json, sys, warnings
if sys.argv[1] == 'moose':
    import moose
else:
    import moosepy as moose
c = moose.CubeMesh('/m')
c.volume = 1e-18
a = moose.Pool('/m/a')
b = moose.Pool('/m/b')
r = moose.Reac('/m/r')
moose.connect(r, 'sub', a, 'reac')
moose.connect(r, 'prd', b, 'reac')
a.concInit = 1e-3
r.Kf, r.Kb = 1.0, 0.0
t = moose.Table2('/m/t')
moose.connect(t, 'requestOut', a, 'getConc')
ks = moose.Ksolve('/m/ksolve')
st = moose.Stoich('/m/stoich')
st.compartment = c
st.ksolve = ks
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter('always')
    st.path = '/m/##'
moose.reinit()
moose.start(3.0)
print('JSON' + json.dumps({'tab': list(t.vector), 'a': a.conc, 'b': b.conc,
                          'path': st.path.replace('[0]', ''), 'warned': len(w)}))
'''


def test_old_stoich_path_assignment_runs_as_pymoose():
    res = run_both(_SIDE)
    a, b = res['moosepy'], res['moose']
    np.testing.assert_array_equal(a['tab'], b['tab'])
    assert len(b['tab']) == 4 and np.all(b['tab'] == 1e-3)     # Table2 dt 1 s
    assert (a['a'], a['b'], a['path']) == (b['a'], b['b'], b['path'])
    assert a['warned'] == 1


def test_warning_names_element_and_field():
    c = moose.CubeMesh('/m')
    st = moose.Stoich('/m/stoich')
    st.compartment = c
    with pytest.warns(UserWarning, match=r"/m.*/stoich.*\(Stoich\): 'path'.*reacSystemPath"):
        st.path = '/m/##'
    assert st.reacSystemPath == ''
    assert st.path.replace('[0]', '') == '/m/stoich'
