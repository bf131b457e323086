"""The spec, seed and moosepy version go with every output an rdesigner
model saves (issue 13, item 3): plot saveFiles (csv, xml), output files
(csv, NSDF/HDF5) and a Streamer's files, and they are the document the
model itself stores (``/model/rdesigner_spec``), so a saved result can be
rebuilt from what it carries."""

import json
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import moosepy as moose
import moosepy.rdesigner as rd


def _build(**kw):
    rdes = rd.rdesigneur(
        randseed=11,
        cellProto=[['ballAndStick', 'c', 10e-6, 10e-6, 2e-6, 100e-6, 5]],
        stimList=[['soma', '1', '.', 'inject', '1e-10']],
        plotList=[rd.rplot('soma', '1', '.', 'Vm', 'Vm', saveFile='vm.csv'),
                  rd.rplot('soma', '1', '.', 'Vm', 'Vm x', saveFile='vmx.xml')], **kw)
    rdes.buildModel()
    return rdes


def test_saved_files_carry_the_spec_seed_and_version(tmp_path, monkeypatch):
    h5py = pytest.importorskip('h5py')
    monkeypatch.chdir(tmp_path)
    rdes = _build(outputFileList=[rd.rfile('out.csv', 'soma', 'Vm', 1e-3),
                                  ['out.h5', '#', 'Vm', 1e-3]])
    stored = json.loads(moose.element('/model/rdesigner_spec').value)
    assert stored['randseed'] == 11 and stored['moosepy_version'] == moose.__version__
    res = rdes.run(0.01)
    rdes.display()
    # plot saveFile, csv: a '# {json}' line, then the column names
    with open(tmp_path / 'vm0.csv') as fh:
        meta = json.loads(fh.readline()[2:])
    assert meta['spec'] == stored and meta['randseed'] == 11
    assert meta['moosepy_version'] == moose.__version__ and meta['field'] == 'Vm'
    data = np.loadtxt(tmp_path / 'vm0.csv', delimiter=',', skiprows=2)
    assert np.allclose(data[:, 1], res[0]['data'][0])
    # plot saveFile, xml: a provenance element
    root = ET.parse(tmp_path / 'vmx1.xml').getroot()
    assert json.loads(root.find('provenance').text)['spec'] == stored
    # output file, csv
    with open(tmp_path / 'out.csv') as fh:
        assert json.loads(fh.readline()[2:])['spec'] == stored
    # output file, NSDF: the writer's provenance holds the model's document
    with h5py.File(tmp_path / 'out.h5', 'r') as f:
        prov = json.loads(f.attrs['moosepy_provenance'])
    assert prov['rdesigner_specs']['/model'] == stored
    # the stored document rebuilds the same model
    moose.delete('/model')
    again = rd.load(stored)
    again.buildModel()
    assert json.loads(moose.element('/model/rdesigner_spec').value) == stored


def test_provenance_without_rdesigner_has_no_spec():
    from moosepy.core.provenance import collect
    assert 'rdesigner_specs' not in collect()
    _build()
    assert collect()['rdesigner_specs']['/model']['randseed'] == 11
    moose.delete('/model')
    assert 'rdesigner_specs' not in collect()
