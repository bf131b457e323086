"""An HHGate's defaults as pymoose 5.0.0 has them (min 0, max 1, one table
entry), so that scripts that fill tableA/tableB without setting min and max
(the range MOOSE then uses is 0..1) run as on MOOSE."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from side_pymoose import run_both  # noqa: E402

SCRIPT = r'''
import sys, json
if sys.argv[1] == 'moose':
    import moose
else:
    import moosepy as moose
c = moose.HHChannel('/k'); c.Xpower = 1
g = moose.element('/k/gateX')
out = {'fresh': [g.min, g.max, g.divs, len(g.tableA)]}
g.tableA = [1.0, 2.0, 3.0]; g.tableB = [2.0, 4.0, 6.0]
out['filled'] = [g.min, g.max, g.divs]
print('JSON' + json.dumps(out))
'''


def test_gate_defaults_equal_pymoose():
    r = run_both(SCRIPT)
    for k in ('fresh', 'filled'):
        assert list(r['moosepy'][k]) == list(r['moose'][k])
