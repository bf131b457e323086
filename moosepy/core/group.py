"""``Group``: a container whose ``group`` source ties a set of objects
together (MOOSE 5.0 sends nothing on it; scripts use a Group as a
labelled folder).  Not scheduled (tick -1)."""

from .element import Neutral
from .fields import Src


class Group(Neutral):
    """A folder of objects with a ``group`` source port (MOOSE's Group;
    nothing is sent on it)."""

    ports = (Src('group', 'void', 'Ties the objects it is connected to into one group'),)
