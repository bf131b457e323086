"""A jardesigner cellProto mapping whose type is not a string, or that
lacks its source, is a SpecError naming cellProto and the entry (found by
the fuzz suite, seed 2, mutant 67 of t06_stick.json: ``"type": {}`` ended
in TypeError: unhashable type: 'dict'; issue 15, item 5)."""

import json

import pytest

import moosepy as moose
import moosepy.rdesigner as rd
from moosepy.rdesigner.specs import SpecError

CELL = {'somaDia': 10, 'somaLen': 20, 'dendDia': 2, 'dendLen': 500, 'numDendSeg': 10}


@pytest.mark.parametrize('cell, words', [
    (dict(CELL, type={}), r"cellProto: a value of the wrong type \(unhashable type: 'dict'\)"),
    (dict(CELL, type=['ballAndStick']), r'cellProto: a value of the wrong type'),
    ({'type': 'file'}, r"cellProto: no key 'source'; the entry has: type"),
    ({'type': 'func', 'source': 5}, r'cellProto: a value of the wrong type'),
])
def test_bad_cellproto_mapping_is_a_spec_error(tmp_path, cell, words):
    f = tmp_path / 'doc.json'
    f.write_text(json.dumps({'filetype': 'rdesigneur', 'cellProto': cell}))
    for source in (str(f), {'cellProto': cell}):
        with pytest.raises(SpecError, match=r'rdesigneur document ' + words) as ei:
            rd.load(source)
        assert isinstance(ei.value, moose.MooseError)
    assert not moose.exists('/model')
