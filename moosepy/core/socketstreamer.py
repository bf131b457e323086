"""``SocketStreamer``: tables streamed to a client over a socket while the
simulation runs (MOOSE 5.0's class, for live plots in another process).

What it does, as measured on pymoose 5.0.0:

* ``address``: ``file:///path`` or ``/path`` for a Unix-domain socket at
  that path, ``http://host:port`` for TCP (the port is taken from the
  address; ``port`` can also be set on its own).  The default address is
  ``file://MOOSE`` (a socket file named ``MOOSE`` in the working
  directory).
* At reinit the streamer becomes a server on that address, accepts one
  client in a background thread and keeps it.  With no tables it warns
  and does nothing.
* At each of its steps (tick 19, dt 1 s by default) it sends, to the
  client if one is connected, the samples every table recorded since the
  previous send, as one block of native-endian doubles: per table, in
  the order of their names, ``'H'``, the length of the name, the name's
  characters (each a double), ``'V'``, twice the number of new samples,
  then (time [s], value) pairs.  A table's name is its ``columnName``, or
  its path without ``[0]`` indices.  Tables with nothing new are left
  out; nothing is sent when none has anything.  Sample k of a table is at
  the clock time of its k-th step, as MOOSE computes it (its grid dt times
  the grid step: 0.011000000000000001 s for the 11th of 1 ms).

Differences from MOOSE 5.0.0: a table added twice is streamed and counted
once, and ``removeTable`` removes it, as MOOSE's documentation says (MOOSE
5.0.0's same-table test never matches: ``numTables`` counts duplicates and
``removeTable`` does nothing; the stream is the same, a duplicate never has
new samples); ``port`` reads 0 until set (MOOSE's is uninitialised memory); a second reinit keeps the server and its client
(MOOSE binds again and fails); an address that cannot be served raises a
MooseError naming the streamer and the address (MOOSE logs a warning and
streams nothing).
"""

import atexit
import logging
import os
import socket
import threading
import weakref

import numpy as np

from .errors import MooseError
from .fields import Field, Dest
from .table import TableBase

log = logging.getLogger('moosepy.core')

_LIVE = weakref.WeakSet()


def _parse(address, port):
    """('unix', path) or ('tcp', (host, port)) for a MOOSE socket address."""
    a = address or ''
    if a.startswith('file://'):
        return 'unix', a[7:]
    if a.startswith('/'):
        return 'unix', a
    if a.startswith('http://'):
        rest = a[7:]
        host, sep, p = rest.rpartition(':')
        if sep and p.isdigit():
            return 'tcp', (host or 'localhost', int(p))
        return 'tcp', (rest or 'localhost', int(port))
    return None, None


class _Server:
    """One listening socket, the client accepted on it, and what each table
    has already sent."""

    def __init__(self, owner, kind, where):
        self.owner = owner
        self.kind, self.where = kind, where
        self.client = None
        self.sent = {}
        self.closed = False
        if kind == 'unix':
            if os.path.exists(where):
                os.unlink(where)
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            addr = where
        else:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            addr = ('', where[1])
        try:
            sock.bind(addr)
            sock.listen(1)
        except OSError as exc:
            sock.close()
            raise MooseError(f'{owner} (SocketStreamer): cannot serve on {kind} address '
                             f'{where!r}: {exc}') from None
        self.sock = sock
        self.thread = threading.Thread(target=self._accept, daemon=True,
                                       name=f'SocketStreamer {owner}')
        self.thread.start()

    def _accept(self):
        try:
            conn, _addr = self.sock.accept()
        except OSError:
            return
        if self.closed:
            conn.close()
            return
        self.client = conn

    def send(self, payload):
        c = self.client
        if c is None:
            return False
        try:
            c.sendall(payload)
        except OSError as exc:          # the client went away: as MOOSE, stop sending
            log.warning('%s (SocketStreamer): client gone (%s); not streaming any more',
                        self.owner, exc)
            self.client = None
            try:
                c.close()
            except OSError:
                pass
            return False
        return True

    def close(self):
        self.closed = True
        for s in (self.client, self.sock):
            if s is not None:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                try:
                    s.close()
                except OSError:
                    pass
        self.client = None
        if self.kind == 'unix' and os.path.exists(self.where):
            try:
                os.unlink(self.where)
            except OSError:
                pass


@atexit.register
def _close_all():
    for st in list(_LIVE):
        for srv in list(getattr(st, 'servers', {}).values()):
            srv.close()


class _State:
    """Per element: each entry's tables, address, port and server."""

    def __init__(self):
        self.tables = {}
        self.address = {}
        self.port = {}
        self.servers = {}


class SocketStreamer(TableBase):
    """Streams the samples of its tables to one client over a Unix-domain
    or TCP socket at its tick (19, dt 1 s): see the module docstring for
    the wire format."""

    default_tick = 19
    _quiet_steps = None        # never moved over steps in bulk: it sends at each

    address = Field('file://MOOSE', '', "Where to serve: 'file:///path' or '/path' (Unix "
                    "socket), 'http://host:port' (TCP)", type='string', stored=False)
    port = Field(0, '', 'TCP port (also read from an http:// address)', type='unsigned int',
                 stored=False)
    numTables = Field(0, '', 'Number of tables streamed', type='unsigned int', ro=True,
                      stored=False)

    ports = (Dest('process', 'proc', 'Handles a clock tick'),
             Dest('reinit', 'proc', 'Handles reinit'),
             Dest('addTable', 'ObjId', 'Stream a table'),
             Dest('addTables', 'vector<ObjId>', 'Stream tables'),
             Dest('removeTable', 'ObjId', 'Stop streaming a table'),
             Dest('removeTables', 'vector<ObjId>', 'Stop streaming tables'))

    def _state(self):
        st = self._el.data.get('sockst')
        if st is None:
            st = self._el.data['sockst'] = _State()
            _LIVE.add(st)
        return st

    def _get_address(self):
        return self._state().address.get(self._idx, 'file://MOOSE')

    def _set_address(self, v):
        st = self._state()
        st.address[self._idx] = str(v)
        kind, where = _parse(str(v), 0)
        if kind == 'tcp':
            st.port[self._idx] = where[1]

    def _get_port(self):
        return self._state().port.get(self._idx, 0)

    def _set_port(self, v):
        v = int(v)
        if not 0 <= v < 65536:
            raise MooseError(f'{self.path} (SocketStreamer).port: expected 0-65535, got {v}')
        self._state().port[self._idx] = v

    def _get_numTables(self):
        return len(self._state().tables.get(self._idx, []))

    def addTable(self, table):
        """Stream *table* (a Table or Table2); a table already added is
        ignored."""
        el = table._element() if hasattr(table, '_element') else None
        if el is None or not issubclass(el.cls, TableBase) or el.cls is SocketStreamer:
            raise MooseError(f'{self.path} (SocketStreamer).addTable: expected a Table, got '
                             f'{table!r}')
        tabs = self._state().tables.setdefault(self._idx, [])
        key = (el, table._idx)
        if key not in tabs:
            tabs.append(key)

    def addTables(self, tables):
        for t in tables:
            self.addTable(t)

    def removeTable(self, table):
        tabs = self._state().tables.get(self._idx, [])
        key = (table._element(), table._idx)
        if key in tabs:
            tabs.remove(key)

    def removeTables(self, tables):
        for t in tables:
            self.removeTable(t)

    # --- clock interface ------------------------------------------------------
    @classmethod
    def _batch_role(cls, el):
        st = el.data.get('sockst')
        return 'python' if st is not None and st.servers else 'idle'

    @classmethod
    def _reinit(cls, el):
        st = el.data.get('sockst')
        for idx in range(el.num):
            h = el.handle(idx)
            tabs = [] if st is None else [(t, i) for t, i in st.tables.get(idx, []) if t.alive]
            if st is not None:
                st.tables[idx] = tabs
            if not tabs:
                log.warning('%s (SocketStreamer): no tables: nothing will be streamed '
                            '(addTable/addTables before reinit)', h.path)
                continue
            st = h._state()
            kind, where = _parse(h.address, h.port)
            if kind is None:
                raise MooseError(f'{h.path} (SocketStreamer).address: expected '
                                 f"'file:///path', '/path' or 'http://host:port', got "
                                 f'{h.address!r}')
            srv = st.servers.get(idx)
            if srv is not None and (srv.kind, srv.where) != (kind, where):
                srv.close()
                srv = None
            if srv is None:
                st.servers[idx] = srv = _Server(h.path, kind, where)
            srv.sent = {}          # the tables were emptied: start again from sample 0

    @classmethod
    def _process(cls, el, t, dt):
        st = el.data.get('sockst')
        if st is None:
            return
        for idx, srv in list(st.servers.items()):
            if srv.client is None:
                continue
            blocks = []
            for tab, i in st.tables.get(idx, []):
                if not tab.alive:
                    continue
                h = tab.handle(i)
                v = np.asarray(h.vector, dtype=float)
                k0 = srv.sent.get((id(tab), i), 0)
                if v.size <= k0:
                    continue
                k = np.arange(k0, v.size)
                pairs = np.empty(2 * k.size)
                pairs[0::2] = _sample_times(k, float(h.dt))
                pairs[1::2] = v[k0:]
                name = _column_name(h)
                head = np.array([ord('H'), len(name)] + [ord(c) for c in name]
                                + [ord('V'), pairs.size], dtype=float)
                blocks.append((name, head, pairs, (id(tab), i), v.size))
            if not blocks:
                continue
            blocks.sort(key=lambda b: b[0])
            payload = np.concatenate([x for b in blocks for x in (b[1], b[2])])
            if srv.send(payload.tobytes()):
                for b in blocks:
                    srv.sent[b[3]] = b[4]

    @classmethod
    def _on_delete(cls, el):
        st = el.data.get('sockst')
        if st is not None:
            for srv in st.servers.values():
                srv.close()
            st.servers.clear()


def _sample_times(k, tdt):
    """Times [s] of samples *k* of a table on a tick of dt *tdt*: the clock
    time of their steps as MOOSE computes it (its grid dt times the grid
    step, see core.clock.step_time), else k * tdt."""
    from .clock import clock
    g = clock.grid_dt
    r = tdt / g if g > 0 else 0.0
    m = int(round(r))
    if m >= 1 and abs(r - m) <= 1e-6 * r:
        return g * (k * m)
    return k * tdt


def _column_name(h):
    """A table's name on the wire: its columnName, else its path with the
    [0] indices left out (MOOSE's user path)."""
    name = ''
    try:
        name = h.columnName
    except Exception:
        name = ''
    if name:
        return name
    return h.path.replace('[0]', '')
