"""GENESIS .p and NeuroML 1.x MorphML files: a coordinate, diameter or
length beyond moosepy.limits.max_morph_size_um (1e6 µm, 1 m) is refused
naming the file, the line, the value and the bound, and how to raise it
(as SWC, tests/hostile/test_swc_size_bound.py); raising the bound lets the
file load."""

import re

import pytest

import moosepy as moose
from moosepy.neuroml import NeuroML

P = '''// a soma and one dendrite
*cartesian
*absolute
soma none 0 0 0 {d}
dend soma {x} 0 0 2
'''

P_DOUBLE = '''*double_endpoint
soma none {x0} 0 0 {x1} 0 0 10
'''


@pytest.fixture(autouse=True)
def _clean():
    yield
    for p in ('/cellp', '/cellp2', '/library'):
        if moose.exists(p):
            moose.delete(p)


@pytest.mark.parametrize('d, x, line, what, value', [
    ('2e6', '100', 4, 'a diameter', '2e+06'),
    ('10', '9.2e18', 5, 'a coordinate', '9.2e+18'),
    ('10', '-1.5e6', 5, 'a coordinate', '1.5e+06'),
])
def test_dotp_size_beyond_bound_is_refused(tmp_path, d, x, line, what, value):
    f = tmp_path / 'big.p'
    f.write_text(P.format(d=d, x=x))
    with pytest.raises(moose.ModelImportError,
                       match=rf'big\.p, line {line}: {what} of {re.escape(value)} µm is beyond '
                             r'moosepy\.limits\.max_morph_size_um = 1e\+06 µm; .*raise the '
                             r'bound \(moose\.limits\.max_morph_size_um = \.\.\.\)'):
        moose.loadModel(str(f), '/cellp')
    assert not moose.exists('/cellp')
    with moose.limits.override(max_morph_size_um=1e19):
        moose.loadModel(str(f), '/cellp2')
    assert moose.exists('/cellp2/dend')


def test_dotp_length_beyond_bound_with_coordinates_within(tmp_path):
    """Both ends within 1 m of the origin, 1.8 m apart."""
    f = tmp_path / 'long.p'
    f.write_text(P_DOUBLE.format(x0='-9e5', x1='9e5'))
    with pytest.raises(moose.ModelImportError,
                       match=r'long\.p, line 2: a length of 1\.8e\+06 µm is beyond'):
        moose.loadModel(str(f), '/cellp')


def test_dotp_relative_coordinates_add_up_beyond_bound(tmp_path):
    """*relative: each point within the bound, their sum not."""
    f = tmp_path / 'rel.p'
    f.write_text('*relative\nsoma none 6e5 0 0 10\ndend soma 6e5 0 0 2\n')
    with pytest.raises(moose.ModelImportError,
                       match=r'rel\.p, line 3: a coordinate of 1\.2e\+06 µm is beyond'):
        moose.loadModel(str(f), '/cellp')


def test_dotp_ordinary_cell_loads(tmp_path):
    f = tmp_path / 'ok.p'
    f.write_text(P.format(d='10', x='100'))
    moose.loadModel(str(f), '/cellp')
    assert moose.element('/cellp/dend').length == pytest.approx(100e-6, rel=1e-12)


MML = '''<?xml version="1.0" encoding="UTF-8"?>
<neuroml xmlns="http://morphml.org/neuroml/schema" xmlns:meta="http://morphml.org/metadata/schema"
 xmlns:mml="http://morphml.org/morphml/schema" lengthUnits="{lu}">
<cells><cell name="c">
<mml:segments>
 <mml:segment id="0" name="soma" cable="0">
  <mml:proximal x="{x0}" y="0" z="0" diameter="{d}"/>
  <mml:distal x="{x1}" y="0" z="0" diameter="10"/>
 </mml:segment>
</mml:segments>
<mml:cables><mml:cable id="0" name="soma"/></mml:cables>
</cell></cells></neuroml>
'''


def _mml(tmp_path, **kw):
    v = dict(lu='micron', x0='0', x1='20', d='10')
    v.update(kw)
    f = tmp_path / 'c.morph.xml'
    f.write_text(MML.format(**v))
    return f


@pytest.mark.parametrize('kw, line, what', [
    (dict(d='3e6'), 7, r"diameter='3e6' is 3e\+06 µm"),
    (dict(x1='9.2e18'), 8, r"x='9.2e18' is 9\.2e\+18 µm"),
    (dict(x0='-8e5', x1='8e5'), 6, r'its length is 1\.6e\+06 µm'),
    (dict(lu='meter', x1='2e-5', d='1e-5'), 8, r"diameter='10' is 1e\+07 µm"),  # a unit slip
])
def test_morphml_size_beyond_bound_is_refused(tmp_path, kw, line, what):
    f = _mml(tmp_path, **kw)
    with pytest.raises(moose.ModelImportError,
                       match=rf'c\.morph\.xml, line {line}: {what}, beyond '
                             r'moosepy\.limits\.max_morph_size_um = 1e\+06 µm .*raise the bound '
                             r'\(moose\.limits\.max_morph_size_um = \.\.\.\)'):
        NeuroML().readNeuroMLFromFile(str(f))
    assert not moose.exists('/library/c')
    with moose.limits.override(max_morph_size_um=1e20):
        NeuroML().readNeuroMLFromFile(str(f))
    assert moose.exists('/library/c/soma_0')


def test_morphml_ordinary_cell_loads(tmp_path):
    NeuroML().readNeuroMLFromFile(str(_mml(tmp_path)))
    assert moose.element('/library/c/soma_0').length == pytest.approx(20e-6, rel=1e-12)
