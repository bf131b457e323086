"""Bugs the fuzz suite (test_fuzz.py) found in the readers, each pinned by
a small file so it stays fixed whatever the fuzz seeds draw: every one ended
in an exception that was not moosepy's (issue 15, item 5)."""

import json
from pathlib import Path

import pytest

import moosepy as moose
from moosepy.core.limits import check_xml


def test_xml_declaration_with_unknown_encoding_is_a_model_import_error(tmp_path):
    f = tmp_path / 'm.xml'
    f.write_text('<?xml version="1.0" encoding="UTF-nan"?>\n<sbml/>\n')
    with pytest.raises(moose.ModelImportError, match=r'm\.xml, line 1: .*encoding'):
        check_xml(str(f))
    with pytest.raises(moose.ModelImportError, match='encoding'):
        moose.readSBML(str(f), '/model')


KDR = Path(__file__).resolve().parents[3] / 'shared' / 'models-ref' / 'channelml' / 'kdr.xml'


@pytest.mark.skipif(not KDR.is_file(), reason=f'{KDR} absent')
@pytest.mark.parametrize('old, new, match', [
    ('table_divisions="2000"', 'table_divisions="1e999"',
     r"line \d+: channel_type 'kdr'.*not a usable"),
    ('table_divisions="2000"', 'table_divisions="0"', r"table_divisions 0.*1 to 1,000,000"),
    ('default_gmax="', 'default_gmax="abc', r"line \d+: channel_type 'kdr'.*not a usable"),
    (' default_erev="', ' xdefault_erev="',
     r"line \d+: channel_type 'kdr'.*'default_erev' missing"),
])
def test_channelml_bad_or_missing_attribute_names_file_line_and_channel(tmp_path, old, new, match):
    from moosepy.rdesigner.channelml import read_channelml
    text = KDR.read_text()
    assert old in text
    f = tmp_path / 'kdr.xml'
    f.write_text(text.replace(old, new, 1))
    with pytest.raises(moose.ModelImportError, match=match) as err:
        read_channelml(f, library='/library')
    assert str(f) in str(err.value)


JAR = {"filetype": "rdesigneur",
       "cellProto": {"type": "ballAndStick", "name": "c", "somaDia": 10e-6, "somaLen": 10e-6,
                     "dendDia": 2e-6, "dendLen": 60e-6, "dendNumSeg": 3},
       "chemDistrib": [{"proto": "glu", "path": "head#", "type": "presyn_spine",
                        "radiusScale": 1.5}]}


@pytest.mark.parametrize('name, data, match', [
    ('bad.json', b'{"cellProto": "\xf6"}', r'bad\.json, line 1: not UTF-8'),
    ('bad.yaml', b'cellProto:\n  - [a\n  b: 1\n', r'bad\.yaml, line \d+: not valid YAML'),
    ('bad.json', b'{\n "a": [1,\n}', r'bad\.json, line 3: not valid JSON'),
    ('deep.json', b'[' * 100000 + b']' * 100000, r'deep\.json: .*max_depth'),
    ('deep.yaml', b'a: ' + b'[' * 600 + b']' * 600, r'deep\.yaml: .*max_depth'),
    ('bomb.yaml', b'a: &a [x,x,x,x,x,x,x,x,x,x]\n' + b''.join(
        b'%c: &%c [%s]\n' % (98 + k, 98 + k, b','.join([b'*%c' % (97 + k)] * 10))
        for k in range(9)), r'bomb\.yaml: .*max_doc_nodes'),
    ('jar.json', json.dumps(JAR).encode(), r"chemDistrib\[0\]: no key 'radius'; the entry has"),
])
def test_rdesigner_document_file_errors_are_spec_errors(tmp_path, name, data, match):
    import moosepy.rdesigner as rd
    f = tmp_path / name
    f.write_bytes(data)
    with pytest.raises(moose.MooseError, match=match):
        rd.load(f)


def test_rdesigner_document_directory_is_a_moose_error(tmp_path):
    import moosepy.rdesigner as rd
    d = tmp_path / 'spec.json'
    d.mkdir()
    with pytest.raises(moose.MooseError, match='spec.json'):
        rd.load(d)


@pytest.mark.parametrize('field, value, match', [
    ('numDendSeg', 1e23, 'numDendSeg = 1e\\+23: expected an integer >= 1 and <= 100000'),
    ('numDendSeg', float('inf'), 'numDendSeg = inf: expected a finite number'),
    ('numDendSeg', float('nan'), 'numDendSeg = nan: expected a finite number'),
    ('somaDia', float('inf'), 'somaDia = inf: expected a finite number'),
])
def test_rdesigner_cell_shape_numbers_are_bounded(field, value, match):
    import moosepy.rdesigner as rd
    doc = {'cellProto': {'type': 'ballAndStick', 'name': 'c', 'somaDia': 10e-6,
                         'somaLen': 10e-6, 'dendDia': 2e-6, 'dendLen': 60e-6,
                         'numDendSeg': 3}}
    doc['cellProto'][field] = value
    with pytest.raises(moose.MooseError, match=match):
        rd.load(doc)


SUITE2 = Path(__file__).resolve().parents[3] / 'shared' / 'sbml-test-suite' / 'semantic' / \
    '00002' / '00002-sbml-l3v2.xml'


@pytest.mark.skipif(not SUITE2.is_file(), reason=f'{SUITE2} absent')
def test_sbml_stoichiometry_whose_power_overflows_is_no_mass_action_fit(tmp_path):
    # libsbml reads stoichiometry="0x1F" as 31: the rate constant scaled to
    # numbers divided by (species factor)**31 overflowed in Python (OverflowError)
    text = SUITE2.read_text()
    old = '<speciesReference species="S1" stoichiometry="1" constant="true"/>'
    assert old in text
    f = tmp_path / 'm.xml'
    f.write_text(text.replace(old, old.replace('"1"', '"0x1F"'), 1))
    try:
        moose.readSBML(str(f), '/model')
    except moose.MooseError:
        pass                 # a clear refusal would do too; OverflowError would not


@pytest.mark.parametrize('ext', ['.xml', '.g', '.swc', '.p', '.cspace'])
def test_load_model_of_a_directory_is_a_model_import_error(tmp_path, ext):
    d = tmp_path / ('model' + ext)
    d.mkdir()
    with pytest.raises(moose.ModelImportError, match='not a regular file'):
        moose.loadModel(str(d), '/model')


@pytest.mark.parametrize('z0, z1, ok', [('1e300', '7.501', True), ('-1e308', '1e308', False)])
def test_morphml_huge_coordinates_do_not_overflow(tmp_path, z0, z1, ok):
    import fuzzlib
    MorphML = pytest.importorskip('moosepy.neuroml').MorphML
    (seed,) = fuzzlib._small_morphml()
    text = seed.read_text()
    old = ('<mml:proximal x="0.0" y="0.0" z="0.01" diameter="7.491"/>\n'
           '                    <mml:distal x="0.0" y="0.0" z="7.501" diameter="7.491"/>')
    assert old in text
    f = tmp_path / 'c.morph.xml'
    text = text.replace(old, old.replace('z="0.01"', f'z="{z0}"')
                        .replace('z="7.501"', f'z="{z1}"'), 1)
    if not ok:      # in metres: the difference of the two is past the largest float
        text = text.replace('lengthUnits="micron"', 'lengthUnits="meter"', 1)
    f.write_text(text)
    moose.Neutral('/library')
    reader = MorphML({'temperature': 32.0, 'model_dir': str(tmp_path)})
    # the arithmetic past the size bound (which refuses these at once,
    # tests/hostile/test_morph_size_bound.py): with the bound off
    with moose.limits.override(max_morph_size_um=None):
        if ok:
            reader.readMorphMLFromFile(str(f))
        else:
            with pytest.raises(moose.ModelImportError, match=r'c\.morph\.xml, line \d+: '
                               r"segment '0': its length .* not a finite number"):
                reader.readMorphMLFromFile(str(f))


@pytest.mark.parametrize('field, value', [('somaLen', 1e-320), ('dendDia', 1e-200)])
def test_rdesigner_compartment_whose_area_underflows_is_a_spec_error(field, value):
    # a length of 1e-320 (> 0) made the area 0.0 and RM / area a ZeroDivisionError
    import moosepy.rdesigner as rd
    doc = {'cellProto': {'type': 'ballAndStick', 'name': 'c', 'somaDia': 10e-6,
                         'somaLen': 10e-6, 'dendDia': 2e-6, 'dendLen': 60e-6,
                         'numDendSeg': 3}}
    doc['cellProto'][field] = value
    with pytest.raises(moose.MooseError, match=r'buildCompt .*expected both > 0 and finite'):
        rd.load(doc).buildModel()


KHOL = Path(__file__).resolve().parents[3] / 'shared' / 'models-ref' / 'moose-sbml' / \
    'Kholodenko_tosbml.xml'


@pytest.mark.skipif(not KHOL.is_file(), reason=f'{KHOL} absent')
def test_sbml_huge_stoichiometry_is_not_built_as_that_many_messages(tmp_path):
    # stoichiometry 1e308 became range(int(1e308)) Reac messages: readSBML never returned
    from hostile_files import load_in_child, TIME_LIMIT
    text = KHOL.read_text()
    old = '<speciesReference species="MAPK_P_484_0_" stoichiometry="1" constant="false"/>'
    assert old in text
    f = tmp_path / 'k.xml'
    f.write_text(text.replace(old, old.replace('"1"', '"1e308"'), 1))
    res = load_in_child(f, loader='readSBML')
    assert res.get('ok') or res.get('moose'), res
    assert res['elapsed'] < TIME_LIMIT, res
