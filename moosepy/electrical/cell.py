"""``Cell``: MOOSE's GENESIS-style cell container that names the
integration method of the compartments under it (``method``: 'hsolve',
Hines' algorithm, or 'ee', exponential Euler) and where a solver would go
(``solverName``, ``solverClock``).

What MOOSE 5.0 does with it, and so moosepy: nothing beyond the fields.
MOOSE's Cell means to create an HSolve named solverName under the cell at
reinit (or when ``setupv`` is set), but its search for a seed compartment
is commented out in 5.0, so no solver is ever made (it prints progress
lines instead).  moosepy keeps that outcome: to solve a cell, create an
``HSolve`` and set its ``target``, as MOOSE's scripts do.  Deliberate
differences: an unknown ``method`` raises (MOOSE warns and uses 'hsolve');
nothing is printed.  On tick 0 as in MOOSE, with nothing to do per step.
"""

from ..core.element import Neutral
from ..core.errors import FieldError
from ..core.fields import Field, Dest

#: method -> (description, variableDt, implicit), MOOSE's table
METHODS = {'ee': ('Exponential Euler.', 0, 0), 'hsolve': ("Hines' algorithm.", 0, 1)}


class Cell(Neutral):
    """A cell container naming its integration method (MOOSE 5.0 sets up
    no solver from it; see the module's docstring)."""

    default_tick = 0

    method = Field('hsolve', '', "Integration method: 'hsolve' or 'ee'", type='string')
    solverClock = Field(2, '', 'Clock tick meant for the solver', type='unsigned int')
    solverName = Field('_integ', '', 'Name meant for the solver under the cell',
                       type='string')
    description = Field('', '', 'Description of the method', type='string', ro=True,
                        stored=False)
    implicit = Field(0, '', '1 if the method is implicit', type='int', ro=True, stored=False)
    variableDt = Field(0, '', '1 if the method has a variable time step', type='int',
                       ro=True, stored=False)
    setupv = Field(None, '', 'Set up the cell (MOOSE 5.0 makes no solver); reads unset',
                   type='object', stored=False)

    ports = (Dest('setup1', 'Id', 'Set up the cell (MOOSE 5.0 makes no solver)'),
             Dest('process', 'proc', 'Handles a clock tick (nothing to do)'),
             Dest('reinit', 'proc', 'Handles reinit (nothing to do)'))

    def _set_method(self, v):
        if v not in METHODS:
            raise FieldError(f"{self.path} (Cell).method: unknown method {v!r}; valid: "
                             f"{', '.join(sorted(METHODS))}")
        self._el.cols['method'][self._idx] = v

    def _get_description(self):
        return METHODS[self.method][0]

    def _get_variableDt(self):
        return METHODS[self.method][1]

    def _get_implicit(self):
        return METHODS[self.method][2]

    def _get_setupv(self):
        return None

    def _set_setupv(self, v):
        pass

    def _recv_setup1(self, v):
        pass

    @classmethod
    def _batch_role(cls, el):
        return 'idle'
