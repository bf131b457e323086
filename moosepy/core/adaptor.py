"""``Adaptor``: the bridge between solvers (electrical <-> chemical).

Each tick (11, dt 0.1 s) an Adaptor averages what it received: the values
its ``requestOut`` pulls from every ``get<Field>`` it is connected to (a
pool's getConc, a compartment's getVm, a CaConc's getCa ...) and the values
sent to its ``input`` since the last tick.  It sends

    output = outputOffset + scale * (mean - inputOffset)

on ``output`` to every ``set<Field>`` (a pool's setConcInit/setConc, a
channel's setGbar/setModulation) or ``increment`` it is connected to; with
nothing received it sends ``outputOffset``.  At reinit it does the same once,
as MOOSE does, with what it received since its last step.  The solvers on
either side run whole intervals between these exchanges (the clock advances
them in chunks up to the Adaptor's tick; see
:func:`moosepy.core.clock._run_hybrid`).  Units: those of the fields it
joins; ``scale`` converts between them.
"""

import weakref

import numpy as np

from .element import Neutral
from .fields import Field, Src, Dest
from .interpol import send_value, setter_attr
from .msg import links
from .structure import version
from .table import _getter_attr

# element -> (message key, {port: [(element, index, port) per entry],
#                          None: _resolved's (reads, sends)})
_LINKS = weakref.WeakKeyDictionary()


def _cache(el):
    """*el*'s dict of looked-up messages, emptied when they may have
    changed (a structure change, a message made or dropped, a resize)."""
    key = (version(), len(el.msg_out), len(el.msg_in), el.num)
    hit = _LINKS.get(el)
    if hit is None or hit[0] != key:
        hit = _LINKS[el] = (key, {})
    return hit[1]


def _per_entry(el, port):
    """``linked_indices(el, i, port)`` for every entry i, in one pass over
    the messages (the same lists, in the same order), kept until the
    messages change: an Adaptor vec of n entries asked entry by entry costs
    n^2 per tick (rdesigneur's adaptors have one entry per spine)."""
    cache = _cache(el)
    got = cache.get(port)
    if got is None:
        got = [[] for _ in range(el.num)]
        for other, oport, m, forward in links(el, port):
            a, b = m.pairs()
            if not forward:
                a, b = b, a
            for i, j in zip(np.asarray(a).tolist(), np.asarray(b).tolist()):
                if 0 <= i < el.num:
                    got[i].append((other, int(j), oport))
        cache[port] = got
    return got


#: read plain column fields (no getter: CaConc.Ca, Compartment.Vm ...)
#: straight from their columns, and write through a class's
#: ``_adaptor_writer`` (Pool conc and n) where it has one: the same values
#: and checks as getattr/setattr without the descriptor calls.  False:
#: getattr/setattr for every field.
FAST_ACCESS = True


def _reader(o, j, name):
    """(None, element, column name, index) for a field read straight from
    its column (what Field.__get__ returns when it has no getter), else
    (handle, attribute) for getattr."""
    f = o.cls._fields.get(name)
    if FAST_ACCESS and isinstance(f, Field) and f.getter is None and name in o.cols:
        return (None, o, name, j)
    return (o.handle(j), name)


def _resolved(el):
    """Per entry, the reads of ``requestOut`` (see :func:`_reader`) and the
    sends of ``output`` as (handle, attribute) for a ``set<Field>`` target,
    (writer, None) where the target's class gives a writer for the field
    (``_adaptor_writer(element, index, name)``), or (None, target) for any
    other (delivered by ``send_value``): what ``table._read`` and
    ``send_value`` would look up at every tick, looked up once while the
    messages are the same."""
    cache = _cache(el)
    got = cache.get(None)
    if got is None:
        reads = []
        for src in _per_entry(el, 'requestOut'):
            row = []
            for o, j, port in src:
                row.append(_reader(o, j, _getter_attr(o, port)))
            reads.append(row)
        sends = []
        for tgt in _per_entry(el, 'output'):
            row = []
            for o, j, p in tgt:
                name = setter_attr(o, p)
                if name is None:
                    row.append((None, (o, j, p)))
                    continue
                mk = getattr(o.cls, '_adaptor_writer', None) if FAST_ACCESS else None
                w = mk(o, j, name) if mk is not None else None
                row.append((w, None) if w is not None else (o.handle(j), name))
            sends.append(row)
        got = cache[None] = (reads, sends)
    return got


class Adaptor(Neutral):
    """Averages its inputs and sends ``outputOffset + scale * (mean -
    inputOffset)`` every tick (see the module docstring)."""

    default_tick = 11

    inputOffset = Field(0.0, '', 'Subtracted from the mean input')
    outputOffset = Field(0.0, '', 'Added to the scaled value')
    scale = Field(1.0, '', 'Factor from input units to output units')
    outputValue = Field(0.0, '', 'Value sent at the last tick', ro=True)
    _sum = Field(0.0, hidden=True)
    _count = Field(0, type='int', hidden=True)

    ports = (Src('output', 'double', 'Sends the converted value every tick'),
             Src('requestOut', 'request', 'Pulls values from get<Field> ports every tick'),
             Dest('input', 'double', 'Receives a value (averaged over the tick)'),
             Dest('process', 'proc', 'Handles a clock tick'),
             Dest('reinit', 'proc', 'Handles reinit'))

    def _recv_input(self, v):
        c, i = self._el.cols, self._idx
        c['_sum'][i] += float(v)
        c['_count'][i] += 1

    @classmethod
    def _step(cls, el):
        c = el.cols
        reads, sends = _resolved(el)
        sums, counts, outv = c['_sum'], c['_count'], c['outputValue']
        for i in range(el.num):
            src = reads[i]
            s = float(sums[i])
            for rd in src:
                if rd[0] is None:       # (a plain column: Field.__get__'s value)
                    s += float(rd[1].cols[rd[2]][rd[3]])
                else:
                    s += float(getattr(rd[0], rd[1]))
            n = int(counts[i]) + len(src)
            if n:
                out = float(c['outputOffset'][i]) + float(c['scale'][i]) * (
                    s / n - float(c['inputOffset'][i]))
            else:
                out = float(c['outputOffset'][i])
            outv[i] = out
            sums[i] = 0.0
            counts[i] = 0
            for h, name in sends[i]:
                if name is None:
                    h(out)              # the class's writer
                elif h is not None:
                    setattr(h, name, out)
                else:
                    send_value(el, i, 'output', out, [name])

    @classmethod
    def _reinit(cls, el):
        # as MOOSE's Adaptor::reinit: one step, the inputs received since the
        # last step kept (a CaConc on an earlier tick sends its concOut at
        # its own reinit, before this one)
        cls._step(el)

    @classmethod
    def _process(cls, el, t, dt):
        cls._step(el)

