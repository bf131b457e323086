"""Issue 15, item 4 (SBML part): physically impossible values in an SBML
file are refused at load, naming the file, the line and the element: a
compartment size that is negative, infinite or NaN (a size of -INF used to
load, its species turned NaN and every Pool.conc read 0.0), a species'
initial amount or concentration that is negative, infinite or NaN.
Parameters may be negative (SBML allows it and models use it)."""

import pytest

import moosepy as moose

SBML = '''<?xml version="1.0" encoding="UTF-8"?>
<sbml xmlns="http://www.sbml.org/sbml/level3/version1/core" level="3" version="1">
<model id="m" substanceUnits="mole" timeUnits="second" extentUnits="mole">
<listOfCompartments>
<compartment id="c" size="{size}" constant="true" spatialDimensions="3"/>
</listOfCompartments>
<listOfSpecies>
<species id="A" compartment="c" {init} hasOnlySubstanceUnits="false"
 boundaryCondition="false" constant="false"/>
</listOfSpecies>
<listOfParameters><parameter id="p" value="-3" constant="true"/></listOfParameters>
</model></sbml>
'''


@pytest.mark.parametrize('size, init, words', [
    ('-INF', 'initialAmount="1"', "line 5: compartment 'c' has size -inf"),
    ('-1e-15', 'initialAmount="1"', "line 5: compartment 'c' has size -1e-15"),
    ('NaN', 'initialAmount="1"', "line 5: compartment 'c' has size nan"),
    ('INF', 'initialAmount="1"', "line 5: compartment 'c' has size inf"),
    ('1', 'initialAmount="-1"', "line 8: species 'A' has initialAmount -1.0"),
    ('1', 'initialConcentration="NaN"', "line 8: species 'A' has initialConcentration nan"),
    ('1', 'initialConcentration="INF"', "line 8: species 'A' has initialConcentration inf"),
])
def test_impossible_values_are_refused_with_file_and_line(tmp_path, size, init, words):
    f = tmp_path / 'bad.xml'
    f.write_text(SBML.format(size=size, init=init))
    with pytest.raises(moose.ModelImportError) as ei:
        moose.readSBML(str(f), '/model')
    assert f'{f}, {words}' in str(ei.value), str(ei.value)
    assert not moose.exists('/model')


def test_a_negative_parameter_and_zero_amount_load(tmp_path):
    f = tmp_path / 'ok.xml'
    f.write_text(SBML.format(size='1e-15', init='initialAmount="0"'))
    moose.readSBML(str(f), '/model')
    assert moose.element('/model/c/A').nInit == 0.0
