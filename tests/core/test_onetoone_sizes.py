"""OneToOne between vecs of different sizes: MOOSE connects entry i to
entry i below the smaller count (no error).  Oracle: pymoose 5.0.0."""

import numpy as np

from side_pymoose import run_both

SCRIPT = '''
import sys, json
if sys.argv[1] == 'moose':
    import moose
else:
    import moosepy as moose
pg = moose.PulseGen('/p', 3)
for i in range(3):
    e = moose.element('/p[%d]' % i)
    e.delay[0] = 0.0; e.width[0] = 1.0; e.level[0] = i + 1.0
t = moose.Table('/t', 2)
moose.connect(t, 'requestOut', pg, 'getOutputValue', 'OneToOne')
u = moose.Table('/u', 5)
moose.connect(u, 'requestOut', pg, 'getOutputValue', 'OneToOne')
for i in range(32):
    moose.setClock(i, 0.01)
moose.reinit()
moose.start(0.05)
out = {}
for n, k in (('t', 2), ('u', 5)):
    for i in range(k):
        out['%s%d' % (n, i)] = list(map(float, moose.element('/%s[%d]' % (n, i)).vector))
print('JSON' + json.dumps(out))
'''


def test_onetoone_connects_the_smaller_count_as_pymoose():
    r = run_both(SCRIPT)
    a, b = r['moosepy'], r['moose']
    assert set(a) == set(b)
    for k in b:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)
    assert [len(b['u%d' % i]) for i in range(5)] == [6, 6, 6, 0, 0]
