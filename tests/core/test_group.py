"""Group against pymoose 5.0.0 (side venv)."""

from side_pymoose import run_both


GROUP = r'''
import sys, json
if sys.argv[1] == 'moose':
    import moose
else:
    import moosepy as moose
g = moose.Group('/g')
moose.Neutral('/g/x')
print('JSON' + json.dumps({'tick': g.tick, 'src': sorted(moose.getFieldNames('Group', 'srcFinfo')),
                           'children': [c.name for c in g.children]}))
'''


def test_group_against_pymoose():
    """Group (a folder with a 'group' source) as MOOSE 5.0 has it."""
    out = run_both(GROUP)
    m, p = out['moose'], out['moosepy']
    assert m['tick'] == p['tick'] == -1
    assert m['children'].tolist() == p['children'].tolist()
    assert 'group' in p['src'].tolist() and 'group' in m['src'].tolist()
