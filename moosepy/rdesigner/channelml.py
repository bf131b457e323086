"""ChannelML (NeuroML 1.x) channel and ion-pool files, read into /library
(what MOOSE's ``moose.neuroml.ChannelML`` does for rdesigneur's
``chanProto = [['./chans/kdr.xml']]``).

Supported: ``channel_type`` with an ohmic ``current_voltage_relation``
(up to three gates; transitions ``alpha``/``beta`` of the forms
exponential, sigmoid, exp_linear or generic; ``time_course``/
``steady_state``; ``q10_settings`` (per gate or for all); ``offset``;
``parameters``; ``impl_prefs/table_settings``), ``ion_concentration``
with a ``decaying_pool_model``, and ``synapse_type`` with a
``doub_exp_syn``.  Units: 'Physiological Units' (mV, ms, mS/cm²) or 'SI
Units'; everything set in MOOSE is SI.

Gate tables as MOOSE fills them: at v = min_v - offset + i dv (file
units), A = inf/tau and B = 1/tau (per second), with tau divided by the
gate's Q10 factor q10^((T - T_exp)/10) (T the rdesigneur temperature, °C);
a missing tau is 1/(alpha+beta), a missing inf alpha/(alpha+beta);
``exp_linear`` at its midpoint is its rate.  Generic expressions may use
v, celsius, temp_adj_<gate>, alpha, beta and the file's parameters; they
are parsed by :class:`~moosepy.rdesigner.geometry.Expr`, never eval'd.

Not supported (ModelImportError): concentration-dependent gates
(``conc_dependence``), integrate-and-fire mechanisms, more than three gates.

Values a channel cannot have are refused with the file and line: a gate
whose time constant is not finite and > 0 or whose steady state leaves
[0, 1] anywhere on its table (a negative alpha or beta gives these), a Q10
factor <= 0, a negative ``default_gmax`` or ``max_conductance``, a pool's
negative resting concentration or shell, a decay or synaptic time constant
<= 0, NaN anywhere.
"""

import os
import xml.etree.ElementTree as ET

import numpy as np

from ..core.errors import FieldError, ModelImportError
from .geometry import Expr, ExprError

CML = '{http://morphml.org/channelml/schema}'
_DEFAULT_TABLE = (-0.1, 0.1, 200)     # V (SI), as MOOSE's neuroml utils


def _moose():
    import moosepy
    return moosepy


def _units(root, path):
    u = root.attrib.get('units', 'SI Units')
    if 'Physiological Units' in u:
        return dict(V=1e-3, T=1e-3, G=1e1, conc=1e6, L=1e-2, I=1e-6, phys=True)
    if 'SI Units' in u:
        return dict(V=1.0, T=1.0, G=1.0, conc=1.0, L=1.0, I=1.0, phys=False)
    raise ModelImportError(f"{path}: unknown units {u!r}; valid: 'Physiological Units', "
                           "'SI Units'")


def read_channelml(path, temperature=32.0, library='/library'):
    """Read every channel, ion pool and synapse of ChannelML file *path*
    into *library*; returns the paths made.  *temperature* [°C] sets the
    Q10 factors."""
    moose = _moose()
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ModelImportError(f'{path}: no such ChannelML file')
    from ..core.limits import check_xml
    check_xml(path)     # bounded before parsed (moosepy.limits; no entities)
    root, lines = _parse(path)
    u = _units(root, path)
    new_library = not moose.exists(library)
    if new_library:
        moose.Neutral(library)
    before = {c.path for c in moose.element(library).children}
    try:
        return _read_into(root, lines, u, path, float(temperature), library)
    except ModelImportError:
        # nothing half-built: what this call made goes again
        if new_library:
            moose.delete(library)
        else:
            for c in list(moose.element(library).children):
                if c.path not in before:
                    moose.delete(c)
        raise


def _read_into(root, lines, u, path, temperature, library):
    """read_channelml's build, after the file passed its checks."""
    made = []
    for tag, make in (('channel_type', lambda el: _channel(el, u, path, temperature,
                                                              library, lines)),
                      ('ion_concentration', lambda el: _ion_pool(el, u, path, library)),
                      ('synapse_type', lambda el: _synapse(el, u, path, library, lines))):
        for el in root.iter(CML + tag):
            try:
                made.append(make(el))
            except KeyError as exc:     # a required attribute missing
                raise ModelImportError(f'{path}, line {lines.get(el, "?")}: {tag} '
                                       f'{el.attrib.get("name", "")!r}: attribute {exc} missing '
                                       'on it or on one of its elements') from None
            except FieldError as exc:   # a value no object takes (Gbar < 0, NaN)
                raise ModelImportError(f'{path}, line {lines.get(el, "?")}: {tag} '
                                       f'{el.attrib.get("name", "")!r}: {exc}') from None
            except (ValueError, TypeError, ArithmeticError) as exc:     # float('abc'), 0 divs
                raise ModelImportError(f'{path}, line {lines.get(el, "?")}: {tag} '
                                       f'{el.attrib.get("name", "")!r}: a value is not a usable '
                                       f'number ({exc})') from None
    if not made:
        raise ModelImportError(f'{path}: no channel_type, ion_concentration or '
                               'synapse_type element')
    return made


def _parse(path):
    """The element tree of *path* and each element's line (expat drives
    ElementTree's builder, so the errors can name lines)."""
    from xml.parsers import expat
    tb = ET.TreeBuilder()
    lines = {}
    p = expat.ParserCreate(namespace_separator='}')

    def qn(name):
        return '{' + name if '}' in name else name

    def start(name, attrs):
        lines[tb.start(qn(name), {qn(k): v for k, v in attrs.items()})] = p.CurrentLineNumber

    p.StartElementHandler = start
    p.EndElementHandler = lambda name: tb.end(qn(name))
    p.CharacterDataHandler = tb.data
    try:
        with open(path, 'rb') as fh:
            p.ParseFile(fh)
        return tb.close(), lines
    except (expat.ExpatError, AssertionError) as exc:
        raise ModelImportError(f'{path}: not well-formed XML ({exc})') from None


class _Gate:
    """The rate functions of one gate, evaluated over arrays of v."""

    def __init__(self, gate, q10, temperature, params, where, at=None):
        self.q10 = q10
        # at(el): where, with the file's line of element el
        self.at = at or (lambda el: where)
        self.fns = {}
        self.consts = dict(params)
        self.consts['celsius'] = temperature
        self.consts[f"temp_adj_{gate.attrib['name']}"] = q10
        self.where = where

    def make(self, el, name):
        form = el.attrib.get('expr_form')
        w = f"{self.at(el)} {name}"
        if form in ('exponential', 'sigmoid', 'exp_linear'):
            try:
                r, m, s = (float(el.attrib[k]) for k in ('rate', 'midpoint', 'scale'))
            except (KeyError, ValueError):
                raise ModelImportError(f'{w}: {form} needs numeric rate, midpoint, '
                                       'scale') from None
            self.fns[name] = (form, r, m, s)
        elif form == 'generic':
            text = el.attrib.get('expr', '')
            names = ('v', 'alpha', 'beta') + tuple(self.consts)
            try:
                self.fns[name] = ('generic', Expr(text, names, where=w))
            except ExprError as exc:
                raise ModelImportError(str(exc)) from None
        else:
            raise ModelImportError(f"{w}: unknown expr_form {form!r}; valid: exponential, "
                                   'sigmoid, exp_linear, generic')

    def __call__(self, name, v):
        f = self.fns[name]
        with np.errstate(all='ignore'):
            if f[0] == 'exponential':
                _, r, m, s = f
                out = r * np.exp((v - m) / s)
            elif f[0] == 'sigmoid':
                _, r, m, s = f
                out = r / (1 + np.exp((v - m) / s))
            elif f[0] == 'exp_linear':
                _, r, m, s = f
                out = np.where(v - m == 0.0, r,
                               r * ((v - m) / s) / (1 - np.exp((m - v) / s)))
            else:
                vals = dict(self.consts)
                vals['v'] = v
                if 'alpha' in f[1].used:
                    vals['alpha'] = self('alpha', v)
                if 'beta' in f[1].used:
                    vals['beta'] = self('beta', v)
                out = f[1](vals) * np.ones_like(v)
        if name == 'tau':
            out = out / self.q10
        return out


def _q10(iv, gname, temperature, where):
    q = 1.0
    for s in iv.findall(CML + 'q10_settings'):
        if 'gate' in s.attrib:
            if s.attrib['gate'] != gname:
                continue
        if 'q10_factor' in s.attrib:
            f = float(s.attrib['q10_factor'])
            q = f ** ((temperature - float(s.attrib['experimental_temp'])) / 10.0) \
                if f > 0 else f
        elif 'fixed_q10' in s.attrib:
            q = f = float(s.attrib['fixed_q10'])
        # the time constants are divided by q: a factor <= 0 or NaN makes
        # them negative or NaN
        if not 0 < q < float('inf'):
            raise ModelImportError(f'{where(s)}: gate {gname!r}: q10_settings '
                                   f'{dict(s.attrib)} give the factor {q!r} at {temperature:g} '
                                   '°C; a Q10 factor must be > 0 (and its power at this '
                                   'temperature finite)')
        if 'gate' in s.attrib:
            break
    return q


def _channel(ch, u, path, temperature, library, lines):
    moose = _moose()
    name = ch.attrib['name']
    where = f'{path}: channel {name!r}'

    def at(el):
        return f'{path}, line {lines.get(el, "?")}: channel {name!r}'
    iv = ch.find(CML + 'current_voltage_relation')
    if iv is None:
        raise ModelImportError(f'{where}: no current_voltage_relation')
    if iv.find(CML + 'integrate_and_fire') is not None:
        raise ModelImportError(f'{where}: integrate_and_fire mechanisms are not supported')
    if iv.find(CML + 'conc_dependence') is not None:
        raise ModelImportError(f'{where}: concentration-dependent gates (conc_dependence) '
                               'are not supported')
    if iv.attrib.get('cond_law') != 'ohmic':
        raise ModelImportError(f"{where}: cond_law {iv.attrib.get('cond_law')!r}; only "
                               "'ohmic' is supported")
    gates = iv.findall(CML + 'gate')
    if len(gates) > 3:
        raise ModelImportError(f'{where}: {len(gates)} gates; at most 3 (X, Y, Z)')
    chan = moose.HHChannel(f'{library}/{name}')
    chan.Gbar = float(iv.attrib['default_gmax']) * u['G']
    chan.Ek = float(iv.attrib['default_erev']) * u['V']
    prefs = ch.find(CML + 'impl_prefs')
    ts = prefs.find(CML + 'table_settings') if prefs is not None else None
    if ts is not None:
        vmin, vmax = float(ts.attrib['min_v']), float(ts.attrib['max_v'])
        ndivs = int(ts.attrib['table_divisions'])
        if not (1 <= ndivs <= 1_000_000 and np.isfinite(vmin) and np.isfinite(vmax)
                and vmin < vmax):
            raise ModelImportError(f'{where}: table_settings min_v {vmin}, max_v {vmax}, '
                                   f'table_divisions {ndivs}: expected finite min_v < max_v '
                                   'and 1 to 1,000,000 divisions')
    else:
        vmin, vmax, ndivs = (_DEFAULT_TABLE[0] / u['V'], _DEFAULT_TABLE[1] / u['V'],
                             _DEFAULT_TABLE[2])
    dv = (vmax - vmin) / ndivs
    off = iv.find(CML + 'offset')
    voff = float(off.attrib['value']) if off is not None else 0.0
    params = {p.attrib['name']: float(p.attrib['value'])
              for p in ch.iter(CML + 'parameter')}
    v = (vmin - voff) + np.arange(ndivs + 1) * dv
    for k, gate in enumerate(gates):
        gname = gate.attrib['name']
        g = _Gate(gate, _q10(iv, gname, temperature, at), temperature, params,
                  f'{where} gate {gname!r}', lambda el, gname=gname: f'{at(el)} gate {gname!r}')
        setattr(chan, 'XYZ'[k] + 'power', float(gate.attrib.get('instances', 1)))
        for tr in gate.findall(CML + 'transition'):
            tn = tr.attrib.get('name')
            if tn not in ('alpha', 'beta'):
                raise ModelImportError(f"{at(tr)} gate {gname!r}: transition {tn!r}; only "
                                       'alpha and beta are supported')
            g.make(tr, tn)
        tc = gate.find(CML + 'time_course')
        ss = gate.find(CML + 'steady_state')
        if tc is not None:
            g.make(tc, 'tau')
        if ss is not None:
            g.make(ss, 'inf')
        for nm in (() if tc is not None else ('tau',)) + (() if ss is not None else ('inf',)):
            if 'alpha' not in g.fns or 'beta' not in g.fns:
                raise ModelImportError(f'{at(gate)} gate {gname!r}: no {nm} and no alpha and '
                                       'beta to make it from')
            text = '1/(alpha+beta)' if nm == 'tau' else 'alpha/(alpha+beta)'
            g.fns[nm] = ('generic', Expr(text, ('v', 'alpha', 'beta'), where=where))
        inf, tau = g('inf', v), g('tau', v)
        _check_gate(at(gate), gname, v * u['V'], inf, tau * u['T'])
        hg = moose.element(f"{chan.path}/gate{'XYZ'[k]}")
        hg.min = vmin * u['V']
        hg.max = vmax * u['V']
        hg.divs = ndivs
        hg.tableA = inf / tau / u['T']
        hg.tableB = 1.0 / tau / u['T']
        try:
            hg.useInterpolation = True
        except Exception:     # pragma: no cover (a gate class without the field)
            pass
    return chan.path


def _check_gate(where, gname, v, inf, tau):
    """Refuse a gate whose tables a channel cannot have: a time constant
    [s] that is not finite and > 0, a steady state outside [0, 1] (a
    negative rate alpha or beta, or a Q10 below 0, gives these); *v* [V]."""
    bad = ~(np.isfinite(inf) & np.isfinite(tau) & (tau > 0) & (inf >= -1e-9) &
            (inf <= 1 + 1e-9))
    if bad.any():
        i = int(np.argmax(bad))
        raise ModelImportError(
            f'{where} gate {gname!r}: at v = {v[i]:g} V its time constant is {tau[i]:g} s and '
            f'its steady state {inf[i]:g} ({int(bad.sum())} of {len(v)} table points are so); '
            'a gate needs tau finite and > 0 and a steady state in [0, 1] (rates alpha, '
            'beta >= 0) over the whole table range')


def _ion_pool(ion, u, path, library):
    moose = _moose()
    name = ion.attrib['name']
    where = f'{path}: ion_concentration {name!r}'
    sp = ion.find(CML + 'ion_species')
    if sp is not None and 'ca' not in sp.attrib.get('name', ''):
        raise ModelImportError(f"{where}: ion {sp.attrib.get('name')!r}; only Ca pools are "
                               'supported')
    pool = ion.find(CML + 'decaying_pool_model')
    if pool is None:
        raise ModelImportError(f'{where}: no decaying_pool_model')
    conc = 1.0 if not u['phys'] else u['conc']
    cc = moose.CaConc(f'{library}/{name}')
    cc.CaBasal = float(pool.attrib['resting_conc']) * conc
    cc.Ca_base = float(pool.attrib['resting_conc']) * conc
    if 'decay_constant' in pool.attrib:
        cc.tau = float(pool.attrib['decay_constant']) * (u['T'] if u['phys'] else 1.0)
    elif 'inv_decay_constant' in pool.attrib:
        cc.tau = 1.0 / float(pool.attrib['inv_decay_constant']) * (u['T'] if u['phys'] else 1.0)
    vol = pool.find(CML + 'pool_volume_info')
    if vol is not None:
        cc.thick = float(vol.attrib['shell_thickness']) * (u['L'] if u['phys'] else 1.0)
    return cc.path


def _synapse(syn, u, path, library, lines):
    moose = _moose()
    name = syn.attrib['name']
    d = syn.find(CML + 'doub_exp_syn')
    if d is None:
        raise ModelImportError(f'{path}: synapse_type {name!r}: only doub_exp_syn is supported')
    V, T = (1e-3, 1e-3) if u['phys'] else (1.0, 1.0)
    G = 1e-3 if u['phys'] else 1.0
    gmax = float(d.attrib['max_conductance'])
    if not gmax >= 0:       # a SynChan's Gbar may be set negative; a file's conductance not
        raise ModelImportError(f'{path}, line {lines.get(d, "?")}: synapse_type {name!r}: '
                               f'max_conductance {d.attrib["max_conductance"]!r}; a '
                               'conductance must be >= 0 (the sign of the current comes from '
                               'reversal_potential)')
    s = moose.SynChan(f'{library}/{name}')
    s.Ek = float(d.attrib['reversal_potential']) * V
    s.Gbar = gmax * G
    s.tau1 = float(d.attrib['rise_time']) * T
    s.tau2 = float(d.attrib['decay_time']) * T
    h = moose.SimpleSynHandler(f'{s.path}/handler')
    moose.connect(h, 'activationOut', s, 'activation')
    return s.path
