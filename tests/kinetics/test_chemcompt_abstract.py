"""A bare ChemCompt (the abstract base of the chemical compartments) cannot
be made: pymoose 5.0.0 (side venv) refuses it and leaves nothing at the
path; moosepy raises a MooseError (a RuntimeError) naming the path, the
class and the mesh classes to use, and leaves nothing either (issue 11,
item 6: never a bare exception without a message)."""

import pytest

import moosepy as moose
from side_pymoose import run_both

_SIDE = r'''
import json, sys
if sys.argv[1] == 'moose':
    import moose
else:
    import moosepy as moose
moose.Neutral('/m')
try:
    moose.ChemCompt('/m/cc')
    raised = False
except Exception:
    raised = True
print('JSON' + json.dumps({'exists': moose.exists('/m/cc'),
                           'children': [c.name for c in moose.element('/m').children]}))
'''


def test_neither_moose_nor_moosepy_makes_a_bare_chemcompt():
    res = run_both(_SIDE, raw=True)
    assert res['moose'] == {'exists': False, 'children': []}
    assert res['moosepy'] == res['moose']


def test_bare_chemcompt_raises_naming_path_class_and_meshes():
    moose.Neutral('/m')
    with pytest.raises(moose.MooseError) as ei:
        moose.ChemCompt('/m/cc', 3)
    msg = str(ei.value)
    assert isinstance(ei.value, RuntimeError)
    assert '/m' in msg and 'cc' in msg and 'ChemCompt' in msg and 'abstract' in msg
    assert 'CubeMesh' in msg and 'CylMesh' in msg
    assert not moose.exists('/m/cc')
    assert moose.element('/m').children == []
    # the mesh classes themselves are made as before
    assert moose.CubeMesh('/m/cube').volume == pytest.approx(1e-15, rel=1e-12)
