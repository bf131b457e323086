"""CubeMesh coords with voxel sizes: MOOSE keeps the dx, dy, dz it was
given and a voxel's (and its pools') volume is dx*dy*dz, which can differ
in the last bit from the span's product (corpus kinetics/test_ksolve.py
asserts pool.volume == side**3).  Compared with pymoose 5.0.0."""

import numpy as np

from side_pymoose import run_both

_SIDE = r'''
import json, sys
if sys.argv[1] == 'moose':
    import moose
else:
    import moosepy as moose
out = {}
for k, (x0, side, n) in enumerate([(10.8e-6, 6.8e-6, 1), (1.08e-5, 8.565e-7, 1),
                                    (0.0, 1e-6 / 3, 3), (0.3e-6, 0.7e-6, 2)]):
    m = moose.CubeMesh('/m%d' % k)
    c = [side] * 9
    c[0], c[1], c[2] = x0, 0, 0
    c[3] = x0 + n * side
    c[4] = c[5] = side
    m.coords = c
    m.preserveNumEntries = 1
    p = moose.Pool('/m%d/p' % k)
    out['case%d' % k] = [p.volume, p.volume == side ** 3, m.dx, m.dy, m.nx,
                         float(m.coords[6])]
    m.x1 = m.x1 * 1.5                  # a span change: back to span / n
    out['after%d' % k] = [p.volume, m.dx, m.nx]
print('JSON' + json.dumps({k: json.dumps(v) for k, v in out.items()}))
'''


def test_voxel_volume_is_dx_dy_dz_as_pymoose():
    import json
    res = run_both(_SIDE)
    a, b = res['moosepy'], res['moose']
    assert sorted(a) == sorted(b)
    for k in b:
        va, vb = json.loads(a[k]), json.loads(b[k])
        for x, y in zip(va, vb):
            if isinstance(y, bool):
                assert x == y, (k, va, vb)
            else:
                assert np.isclose(x, y, rtol=1e-12, atol=0), (k, va, vb)
        if k.startswith('case'):
            assert va[0] == vb[0], (k, va, vb)          # to the bit
