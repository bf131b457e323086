"""``Mstring``: an element that holds one string (MOOSE's class of that
name).  GENESIS-style prototypes keep extra messages in children named
``addmsg1``, ``addmsg2``, ... whose value reads ``'src srcField dest
destField'`` (paths relative to the parent); rdesigner's channel
distribution and the cell readers set those messages up when they copy the
prototype into a compartment."""

from .element import Neutral
from .fields import Field


class Mstring(Neutral):
    """A string-valued element (e.g. an ``addmsg`` instruction)."""

    value = Field('', '', 'The string', type='string')
    this = Field('', '', 'Alias of value', type='string', stored=False)

    def _get_this(self):
        return self.value

    def _set_this(self, v):
        self.value = v


__all__ = ['Mstring']
