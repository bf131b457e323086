"""A bad value in an rdesigner JSON/YAML document is refused naming the
file and the line of its list's key, then the entry and field (issue 15
item 4: errors for bad values in a file name the file and line)."""

import json

import pytest

import moosepy.rdesigner as rd
from moosepy.rdesigner.specs import SpecError


def test_json_value_error_names_file_and_line(tmp_path):
    doc = {'filetype': 'rdesigneur', 'chanProto': [['make_HH_Na()', 'Na']],
           'cellProto': [['ballAndStick', 'c', -1, 10e-6]]}
    f = tmp_path / 'bad.json'
    f.write_text(json.dumps(doc, indent=1))
    line = next(i for i, t in enumerate(f.read_text().splitlines(), 1) if '"cellProto"' in t)
    with pytest.raises(SpecError, match=rf'bad.json, line {line}: rdesigneur cellProto\[0\] '
                                        r'somaDia = -1: expected a number > 0'):
        rd.load(f)


def test_yaml_value_error_names_file_and_line(tmp_path):
    yaml = pytest.importorskip('yaml')
    doc = {'filetype': 'rdesigneur', 'chanProto': [['make_HH_Na()', 'Na']],
           'chanDistrib': [['Na', 'soma', 'Gbar', 'abc+']]}
    f = tmp_path / 'bad.yaml'
    f.write_text(yaml.safe_dump(doc))
    line = next(i for i, t in enumerate(f.read_text().splitlines(), 1)
                if t.startswith('chanDistrib:'))
    with pytest.raises(SpecError, match=rf"bad.yaml, line {line}: rdesigneur chanDistrib\[0\] "
                                        r"'Gbar' expression: cannot parse 'abc\+'"):
        rd.load(f)
