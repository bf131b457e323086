"""A copied element is scheduled on its class's default tick, not on the
original's (MOOSE: prototypes under /library with tick -1 run once copied
into a model).  Oracle: pymoose 5.0.0 (side venv)."""

from side_pymoose import run_both

SCRIPT = '''
import sys, json
if sys.argv[1] == 'moose':
    import moose
else:
    import moosepy as moose
def tick(p):
    t = moose.element(p).tick
    return int(t[0]) if isinstance(t, (list, tuple)) else int(t)
moose.Neutral('/lib')
moose.HHChannel('/lib/na').tick = -1
moose.Compartment('/lib/c').tick = 2
moose.Table('/lib/t').tick = 3
moose.Neutral('/m')
out = {}
for n in ('na', 'c', 't'):
    moose.copy('/lib/' + n, '/m', n)
    out[n] = [tick('/lib/' + n), tick('/m/' + n)]
moose.copy('/lib', '/m', 'lib2')
out['tree'] = [tick('/m/lib2/' + n) for n in ('na', 'c', 't')]
print('JSON' + json.dumps(out))
'''


def test_copy_takes_default_tick_as_pymoose():
    r = run_both(SCRIPT)
    a, b = r['moosepy'], r['moose']
    for k in b:
        assert list(a[k]) == list(b[k]), k
    assert list(b['na']) == [-1, 4]    # what the comparison covers
