"""Annotator: MOOSE's fields and defaults, values kept, no clock tick.
Oracle: pymoose 5.0.0 (side venv)."""

from side_pymoose import run_both

SCRIPT = '''
import sys, json
if sys.argv[1] == 'moose':
    import moose
else:
    import moosepy as moose
FIELDS = ['x', 'y', 'z', 'width', 'height', 'notes', 'color', 'textColor', 'icon',
          'solver', 'runtime', 'dirpath', 'modeltype']
a = moose.Annotator('/m')
out = {'default_' + f: getattr(a, f) for f in FIELDS}
out['tick'] = a.tick
b = moose.Annotator('/m/info')
b.x, b.y, b.z = 1.5, -7.0, 2.0
b.notes = 'total MAPK is 300 nM'
b.color, b.textColor, b.icon = '35', 'yellow', 'cube'
b.solver, b.runtime, b.modeltype = 'gsl', 6000.0, 'kkit'
b.width, b.height = 3.0, 4.0
moose.reinit()
moose.start(1.0)
for f in FIELDS:
    out['set_' + f] = getattr(moose.element('/m/info'), f)
out['isa'] = moose.element('/m/info').className
out['found'] = [e.path for e in moose.wildcardFind('/##[ISA=Annotator]')]
print('JSON' + json.dumps(out))
'''


def test_annotator_matches_pymoose():
    r = run_both(SCRIPT)
    a, b = r['moosepy'], r['moose']
    assert set(a) == set(b)
    for k in b:
        if k == 'found':
            assert [p.replace('[0]', '') for p in a[k]] == \
                [p.replace('[0]', '') for p in b[k]]
        else:
            assert a[k] == b[k], k
    assert b['default_color'] == 'white' and b['tick'] == -1


def test_annotator_rejects_a_number_for_a_string_field():
    import pytest
    import moosepy as moose
    a = moose.Annotator('/a')
    with pytest.raises(moose.FieldError, match='notes'):
        a.notes = 3
