"""spineDistrib values no spine can have are refused before the model is
left built (issue 15): a size <= 0 or not finite (pymoose 5.0.0 builds a
size of -1 as an unscaled head with a randomly stretched length), a
non-finite angle or spread.  The error names the list, the entry, the
field, the expression and a compartment."""

import pytest

import moosepy as moose
import moosepy.rdesigner as rd
from moosepy.core.errors import MooseError


def _build(*vals):
    moose.seed(1)
    r = rd.rdesigneur(cellProto=[['ballAndStick', 'soma', 10e-6, 10e-6, 2e-6, 200e-6, 10]],
                      spineProto=[['makePassiveSpine()', 'spine']],
                      spineDistrib=[['spine', '#dend#', *vals]])
    r.buildModel()


@pytest.mark.parametrize('vals, field, shown', [
    (('10e-6', '1e-6', '-1', '0.5'), 'size', '-1'),
    (('10e-6', '1e-6', '0', '0.5'), 'size', '0'),
    (('10e-6', '1e-6', '1', '0.5', 'inf'), 'angle', 'inf'),
    (('10e-6', '1e-6', '1', 'inf'), 'sizeDistrib', 'inf'),
])
def test_bad_spine_value_named_and_nothing_left(vals, field, shown):
    with pytest.raises(MooseError) as ei:
        _build(*vals)
    msg = str(ei.value)
    assert 'spineDistrib[0]' in msg and f"'{field}'" in msg and repr(shown) in msg
    assert '/model/elec/dend' in msg
    assert not moose.exists('/model/elec')


def test_plain_values_and_negative_spread_still_build():
    """A spread <= 0 means no spread (MOOSE's meaning), not an error."""
    _build('10e-6', '1e-6', '1', '-0.5')
    heads = moose.wildcardFind('/model/elec/#head#')
    assert len(heads) == 21
    assert all(h.diameter == pytest.approx(heads[0].diameter, rel=0) for h in heads)
