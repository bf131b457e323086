"""moosepy.batch over an rdesigner spec (a document as a dict or a JSON
file): parameters as paths into the document, plots recorded by title.
Oracle: a passive isopotential soma charged by a constant current,
V(t) = Em + I Rm (1 - exp(-t / (Rm Cm))), Rm = RM / (pi d L), Cm = CM pi d L."""

import json

import numpy as np
import pytest

pytest.importorskip('distributed')
xr = pytest.importorskip('xarray')

from moosepy.batch import run_batch, load, BatchError  # noqa: E402

D = L = 10e-6
DOC = {"filetype": "rdesigneur",
       "cellProto": {"type": "somaProto", "name": "c", "somaDia": D, "somaLen": L},
       "passiveDistrib": [{"path": "#", "RM": "2", "CM": "0.01", "Em": "-0.07",
                           "initVm": "-0.07"}],
       "stims": [{"type": "field", "path": "soma", "field": "inject", "expr": "2e-12"}],
       "plots": [{"path": "soma", "field": "Vm", "title": "soma Vm"}],
       "runtime": 0.05}


@pytest.fixture(scope='module')
def client():
    from distributed import Client, LocalCluster
    cluster = LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                           dashboard_address=':0')
    c = Client(cluster)
    yield c
    c.close()
    cluster.close()


def charging(ds, I, RM):
    area = np.pi * D * L
    Rm, Cm = RM / area, 0.01 * area
    t = ds.time.values
    return -0.07 + (I * Rm)[:, None] * (1 - np.exp(-t[None, :] / (Rm * Cm)[:, None]))


def test_sweep_over_document_paths_matches_passive_charging(client):
    ds = run_batch(DOC, grid={'stims.0.expr': ['2e-12', '4e-12'],
                              'passiveDistrib.0.RM': ['2', '1']}, scheduler=client)
    assert (ds.error.values == '').all()
    assert ds['soma Vm'].dims == ('run', 'time') and ds.sizes['time'] == 501
    I = ds['stims.0.expr'].values.astype(float)
    RM = ds['passiveDistrib.0.RM'].values.astype(float)
    assert sorted(zip(I, RM)) == sorted((i, r) for i in (2e-12, 4e-12) for r in (2.0, 1.0))
    np.testing.assert_allclose(ds['soma Vm'].values, charging(ds, I, RM), atol=1e-6)
    prov = json.loads(ds.attrs['provenance'])
    assert prov['sweep_model']['kind'] == 'rdesigner'
    assert prov['sweep_model']['document'] == json.loads(json.dumps(DOC))
    assert len(prov['sweep_model']['sha256']) == 64


def test_document_file_to_zarr(client, tmp_path):
    pytest.importorskip('zarr')
    spec = tmp_path / 'soma.json'
    spec.write_text(json.dumps(DOC))
    out = tmp_path / 'soma.zarr'
    ds = run_batch(str(spec), grid={'passiveDistrib.0.RM': ['1', '3']}, runtime=0.02,
                   scheduler=client, out=out)
    assert ds.sizes['time'] == 201
    np.testing.assert_allclose(ds['soma Vm'].values,
                               charging(ds, np.full(2, 2e-12), np.array([1.0, 3.0])),
                               atol=1e-6)
    xr.testing.assert_equal(load(out), ds)
    assert json.loads(ds.attrs['provenance'])['sweep_model']['name'] == str(spec)


def test_parameters_the_document_does_not_have(client):
    with pytest.raises(BatchError, match=r"run 1 \(params \{'chanDistrib.0.Gbar': 2\}\): "
                       r"parameter 'chanDistrib.0.Gbar': the rdesigner document has no "
                       r"'chanDistrib'; the document has the keys filetype, cellProto"):
        run_batch(DOC, params=[{}, {'chanDistrib.0.Gbar': 2}], scheduler=client)
    with pytest.raises(BatchError, match=r"parameter 'stims.3.expr': stims is a list of 1; "
                       r"expected an index 0..0, got '3'"):
        run_batch(DOC, grid={'stims.3.expr': ['1e-12']}, scheduler=client)
    ds = run_batch(DOC, grid={'elec/soma.nothere': [1.0]}, runtime=0.01, scheduler=client)
    assert ds.error.values[0] == ("MooseError: parameter 'elec/soma.nothere': /model/elec/soma "
                                  "(Compartment) has no field 'nothere'")


def test_each_run_seed_becomes_the_documents_randseed():
    """In the worker's function, in this process: the model it builds keeps
    its document (/model/rdesigner_spec) with the run's seed, unless the
    sweep sets randseed itself."""
    import moosepy as moose
    from moosepy.batch import _run_rdes
    from moosepy.core.shell import reset_tree
    _run_rdes(DOC, {}, 123456789012345, 0.001, None)
    assert json.loads(moose.element('/model/rdesigner_spec').value)['randseed'] == \
        123456789012345
    reset_tree()
    _run_rdes(DOC, {'randseed': 5}, 777, 0.001, None)
    assert json.loads(moose.element('/model/rdesigner_spec').value)['randseed'] == 5
    assert DOC.get('randseed') is None        # the caller's document is not changed
