"""``Annotator``: notes and display hints attached to a model object
(MOOSE's class of that name).

MOOSE's kkit and SBML readers put one ``info`` Annotator under a model,
its compartments, groups, pools, reactions and enzymes, holding the
kinetikit layout (``x``, ``y``), colours, notes, and for the model the
solver and run time it was saved with.  It takes no clock tick and sends
no messages: it only stores values.
"""

from .element import Neutral
from .fields import Field


class Annotator(Neutral):
    """Stores notes and layout hints for the object it sits under; does
    nothing at run time."""

    x = Field(0.0, '', 'x coordinate of the object on a layout (kkit canvas units)')
    y = Field(0.0, '', 'y coordinate of the object on a layout (kkit canvas units)')
    z = Field(0.0, '', 'z coordinate of the object on a layout (kkit canvas units)')
    width = Field(0.0, '', 'Width of the object on a layout (canvas units)')
    height = Field(0.0, '', 'Height of the object on a layout (canvas units)')
    notes = Field('', '', 'Free text about the object', type='string')
    color = Field('white', '', 'Colour of the object: a name or a kkit colour number',
                  type='string')
    textColor = Field('black', '', 'Colour of the object\'s label', type='string')
    icon = Field('sphere', '', 'Shape drawn for the object', type='string')
    solver = Field('ee', '', "Solver the model was saved with ('ee', 'gsl', 'gssa', ...)",
                   type='string')
    runtime = Field(100.0, 's', 'Run time the model was saved with')
    dirpath = Field('', '', 'Folder the model was read from', type='string')
    modeltype = Field('', '', "Kind of model file ('kkit', 'sbml', ...)", type='string')


__all__ = ['Annotator']
