"""rdesigner documents: a model as a dict in MOOSE 5.0's jardesigner form
or in moosepy's list form, written back out, reloaded, and rebuilt bit for
bit with the same seed; the JSON Schema generated from the spec classes."""

import json

import numpy as np
import pytest

import moosepy as moose
import moosepy.rdesigner as rd

JAR = {"filetype": "rdesigneur", "randseed": 7,
       "cellProto": {"type": "ballAndStick", "name": "c", "somaDia": 10e-6, "somaLen": 10e-6,
                     "dendDia": 2e-6, "dendLen": 60e-6, "dendNumSeg": 3},
       "chanProto": [{"type": "builtin", "source": "make_HH_Na", "name": "Na"},
                     {"type": "builtin", "source": "make_HH_K", "name": "K"}],
       "passiveDistrib": [{"path": "#", "RM": "2", "CM": "0.01"}],
       "chanDistrib": [{"proto": "Na", "path": "soma", "Gbar": "1200"},
                       {"proto": "K", "path": "soma", "Gbar": "360"}],
       "spineProto": [{"type": "builtin", "source": "makePassiveSpine", "name": "spine"}],
       "spineDistrib": [{"proto": "spine", "path": "dend#", "spacing": "10e-6",
                         "minSpacing": "1e-6", "angleSdev": "6.28"}],
       "stims": [{"type": "field", "path": "soma", "field": "inject",
                  "expr": "(t>0.005)*1e-9"}],
       "plots": [{"path": "soma", "field": "Vm", "title": "soma Vm"}]}


def _build(doc):
    r = rd.load(doc)
    r.buildModel()
    heads = [(c.name, c.x0, c.y0, c.z0, c.x, c.y, c.z, c.diameter)
             for c in moose.wildcardFind('/model/elec/head#')]
    data = r.run(0.01)[0]['data']
    return r, heads, data


def _reset():
    moose.delete('/model')
    moose.delete('/library')


def test_jardesigner_document_round_trip_is_bit_for_bit():
    r, heads, data = _build(JAR)
    assert len(heads) > 0
    soma = moose.element('/model/elec/soma')
    assert soma.Rm == pytest.approx(2 / (np.pi * 10e-6 * 10e-6))      # RM 2 ohm m^2
    assert data.max() > 0.0                                            # it fired
    doc = json.loads(json.dumps(r.to_document()))
    assert doc['randseed'] == 7 and doc['moosepy_version'] == moose.__version__
    stored = json.loads(moose.element('/model/rdesigner_spec').value)
    assert stored['randseed'] == 7 and stored['chanDistrib'] == doc['chanDistrib']
    _reset()
    _, heads2, data2 = _build(doc)             # moosepy's own form, reloaded
    assert heads2 == heads
    assert np.array_equal(data2, data)
    _reset()
    doc['randseed'] = 8
    _, heads3, _ = _build(doc)
    assert heads3 != heads                    # another seed, other spines


def test_document_errors(tmp_path):
    with pytest.raises(rd.SpecError, match="unknown key 'cellProtos'.*did you mean 'cellProto'"):
        rd.load({'cellProtos': []})
    with pytest.raises(rd.SpecError, match="cellProto type = 'ball'"):
        rd.load({'cellProto': {'type': 'ball'}})
    bad = tmp_path / 'm.json'
    bad.write_text('{"cellProto": [}')
    with pytest.raises(rd.SpecError, match='not valid JSON'):
        rd.load(str(bad))


def test_json_schema_describes_documents():
    schema = rd.json_schema()
    props = schema['properties']
    for k in ('cellProto', 'chanDistrib', 'stimList', 'plotList', 'elecDt', 'randseed'):
        assert k in props
    assert props['elecDt']['type'] == 'number'
    r = rd.load(JAR)
    doc = json.loads(json.dumps(r.to_document()))
    assert set(doc) <= set(props)
    jsonschema = pytest.importorskip('jsonschema')
    jsonschema.validate(doc, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({'cellProtos': []}, schema)
