"""Built-in prototypes of rdesigner (MOOSE rdesigneur's built-ins, same
names and parameters): channels, CaConc, synapses, spines, cells and small
chemical systems, all built into ``/library`` through the public API, and
the module helpers scripts use (``buildCompt``, ``buildSyn``, ...).

Channel parameters are Traub (1991) hippocampal kinetics and the squid
Hodgkin-Huxley kinetics, as in MOOSE; units SI (V, s, S, A, m) with
concentrations in mM.  Extra messages a prototype needs when it is copied
into a compartment (Ca current into ``Ca_conc``, ``Ca_conc`` concentration
into a Ca-dependent gate) are kept as ``addmsg<k>`` Mstring children, as
MOOSE does, and set up by the channel distribution.
"""

import math

import numpy as np

from ..core.shell import exists, element
from ..core.mstring import Mstring
from ..core.units import FaradayConst as _F   # MOOSE 5.0 uses CODATA 2018 in C++

EREST_ACT = -0.060
EREST_ACT_HH = -0.070
ECA = 0.080
EK = -0.075
SOMA_A = 3.32e-9
per_ms = 1e3
PI = 3.14159265359
FaradayConst = 96485.3365
CA_SCALE = 1.0


def _moose():
    import moosepy
    return moosepy


def _addmsg(obj, k, text):
    Mstring(f'{obj.path}/addmsg{k}').value = text


def _steps(lo, dx, n):
    """lo, lo+dx, lo+2dx, ... accumulated step by step (as MOOSE's loops
    that fill gate tables do, so threshold comparisons fall alike)."""
    return np.add.accumulate(np.r_[lo, np.full(n, dx)])


# ==================================================================== squid HH
def make_HH_Na(name='HH_Na', parent='/library', vmin=-110e-3, vmax=50e-3, vdivs=3000):
    """Squid Na channel (m^3 h), Ek +50 mV, tables over vmin..vmax [V]."""
    moose = _moose()
    na = moose.HHChannel(f'{parent}/{name}')
    na.Ek = 50e-3
    na.Xpower = 3
    na.Ypower = 1
    v = np.linspace(vmin, vmax, vdivs + 1) - EREST_ACT_HH
    with np.errstate(all='ignore'):
        am = per_ms * (25 - v * 1e3) / (10 * (np.exp((25 - v * 1e3) / 10) - 1))
        bm = per_ms * 4 * np.exp(-v * 1e3 / 18)
        ah = per_ms * 0.07 * np.exp(-v / 20e-3)
        bh = per_ms * 1 / (np.exp((30e-3 - v) / 10e-3) + 1)
    for gname, a, b in (('gateX', am, bm), ('gateY', ah, bh)):
        g = moose.element(f'{na.path}/{gname}')
        g.min, g.max, g.divs = vmin, vmax, vdivs
        g.tableA = a
        g.tableB = a + b
    na.tick = -1
    return na


def make_HH_K(name='HH_K', parent='/library', vmin=-120e-3, vmax=40e-3, vdivs=3000):
    """Squid K channel (n^4), Ek -77 mV."""
    moose = _moose()
    k = moose.HHChannel(f'{parent}/{name}')
    k.Ek = -77e-3
    k.Xpower = 4
    v = np.linspace(vmin, vmax, vdivs + 1) - EREST_ACT_HH
    with np.errstate(all='ignore'):
        an = per_ms * (10 - v * 1e3) / (100 * (np.exp((10 - v * 1e3) / 10) - 1))
        bn = per_ms * 0.125 * np.exp(-v * 1e3 / 80)
    g = moose.element(f'{k.path}/gateX')
    g.min, g.max, g.divs = vmin, vmax, vdivs
    g.tableA = an
    g.tableB = an + bn
    k.tick = -1
    return k


# ======================================================= Traub 1991 channels
def _hh(name, Ek, gbar_density, xp, yp, zp=0):
    moose = _moose()
    ch = moose.HHChannel(f'/library/{name}')
    ch.Ek = Ek
    ch.Gbar = gbar_density * SOMA_A
    ch.Gk = 0
    ch.Xpower = xp
    ch.Ypower = yp
    ch.Zpower = zp
    return ch


def make_Na(name):
    """Traub hippocampal Na (m^2 h), Ek +55 mV."""
    if exists('/library/' + name):
        return element('/library/' + name)
    na = _hh(name, 0.055, 300, 2, 1)
    e = EREST_ACT
    element(na.path + '/gateX').alphaParms = [
        320e3 * (0.0131 + e), -320e3, -1.0, -(0.0131 + e), -0.004,
        -280e3 * (0.0401 + e), 280e3, -1.0, -(0.0401 + e), 5.0e-3, 3000, -0.1, 0.05]
    element(na.path + '/gateY').alphaParms = [
        128.0, 0.0, 0.0, -(0.017 + e), 0.018,
        4.0e3, 0.0, 1.0, -(0.040 + e), -5.0e-3, 3000, -0.1, 0.05]
    return na


def make_K_DR(name):
    """Traub delayed rectifier (n), Ek -75 mV."""
    if exists('/library/' + name):
        return element('/library/' + name)
    k = _hh(name, EK, 150, 1, 0)
    e = EREST_ACT
    element(k.path + '/gateX').alphaParms = [
        16e3 * (0.0351 + e), -16e3, -1.0, -(0.0351 + e), -0.005,
        250, 0.0, 0.0, -(0.02 + e), 0.04, 3000, -0.1, 0.05]
    return k


def make_K_A(name):
    """Traub A-type K (m h), Ek -75 mV."""
    if exists('/library/' + name):
        return element('/library/' + name)
    k = _hh(name, EK, 50, 1, 1)
    e = EREST_ACT
    element(k.path + '/gateX').alphaParms = [
        20e3 * (0.0131 + e), -20e3, -1.0, -(0.0131 + e), -0.01,
        -17.5e3 * (0.0401 + e), 17.5e3, -1.0, -(0.0401 + e), 0.01, 3000, -0.1, 0.05]
    element(k.path + '/gateY').alphaParms = [
        1.6, 0.0, 0.0, 0.013 - e, 0.018,
        50.0, 0.0, 1.0, -(0.0101 + e), -0.005, 3000, -0.1, 0.05]
    return k


def _ca_gates(ch):
    e = EREST_ACT
    element(ch.path + '/gateX').alphaParms = [
        1.6e3, 0, 1.0, -(0.065 + e), -0.01389,
        -20e3 * (0.0511 + e), 20e3, -1.0, -(0.0511 + e), 5.0e-3, 3000, -0.1, 0.05]
    yg = element(ch.path + '/gateY')
    yg.min, yg.max, yg.divs = -0.1, 0.05, 3000
    x = _steps(-0.1, (0.05 + 0.1) / 3000, 3000)
    ya = np.where(x > e, 5.0 * np.exp(-50 * (x - e)), 5.0)
    yg.tableA = ya
    yg.tableB = np.full(3001, 5.0)


def make_Ca(name):
    """Traub high-threshold Ca (m^2 h), Ek +80 mV; its current goes to the
    sibling ``Ca_conc`` (and ``NMDA_Ca_conc``) when distributed."""
    if exists('/library/' + name):
        return element('/library/' + name)
    ca = _hh(name, ECA, 40, 2, 1)
    _ca_gates(ca)
    _addmsg(ca, 1, '.    IkOut    ../Ca_conc    current')
    _addmsg(ca, 2, '.    IkOut    ../NMDA_Ca_conc    current')
    return ca


def make_LCa(name='LCa', parent='/library'):
    """The Ca channel of make_Ca without its messages, Gbar 0 (used for
    active spines)."""
    moose = _moose()
    if exists(parent + '/' + name):
        return None
    ca = moose.HHChannel(f'{parent}/{name}')
    ca.Ek = ECA
    ca.Gbar = 0
    ca.Gk = 0
    ca.Xpower, ca.Ypower, ca.Zpower = 2, 1, 0
    _ca_gates(ca)
    return ca


def make_Ca_conc(name):
    """CaConc, tau 13.333 ms, B 17.402e12 (rescaled by geometry when
    distributed)."""
    moose = _moose()
    if exists('/library/' + name):
        return element('/library/' + name)
    conc = moose.CaConc('/library/' + name)
    conc.tau = 0.013333
    conc.B = 17.402e12
    conc.Ca_base = 0.0
    return conc


def make_K_AHP(name):
    """Traub Ca-dependent AHP K channel: a Z gate over Ca 0..20 µM."""
    if exists('/library/' + name):
        return element('/library/' + name)
    k = _hh(name, EK, 8, 0, 0, 1)
    k.useConcentration = 1
    zg = element(k.path + '/gateZ')
    zg.min, zg.max, zg.divs = 0, 0.02, 3000
    x = _steps(0.0, 0.02 / 3000, 3000)
    za = np.minimum(250.0 * CA_SCALE * x, 10)
    zg.tableA = za
    zg.tableB = 1.0 + za
    _addmsg(k, 1, '../Ca_conc    concOut    . concen')
    return k


def make_K_C(name):
    """Traub Ca- and voltage-dependent K(C): a voltage X gate times an
    instantaneous Ca Z gate."""
    if exists('/library/' + name):
        return element('/library/' + name)
    k = _hh(name, EK, 100.0, 1, 0, 1)
    k.instant = 4
    k.useConcentration = 1
    e = EREST_ACT
    xg = element(k.path + '/gateX')
    xg.min, xg.max, xg.divs = -0.1, 0.05, 3000
    x = _steps(-0.1, 0.15 / 3000, 3000)
    low = x < e + 0.05
    with np.errstate(all='ignore'):
        a_low = np.exp(53.872 * (x - e) - 0.66835) / 0.018975
        b_low = 2000 * np.exp((e + 0.0065 - x) / 0.027) - a_low
        a_hi = 2000 * np.exp((e + 0.0065 - x) / 0.027)
    alpha = np.where(low, a_low, a_hi)
    beta = np.where(low, b_low, 0.0)
    xg.tableA = alpha
    xg.tableB = alpha + beta
    zg = element(k.path + '/gateZ')
    zg.min, zg.max, zg.divs = 0.0, 0.02, 3000
    z = _steps(0.0, 0.02 / 3000, 3000)
    zg.tableA = np.minimum(1.0, z * CA_SCALE / 0.02)
    zg.tableB = np.ones(3001)
    _addmsg(k, 1, '../Ca_conc    concOut    . concen')
    return k


# ================================================================== synapses
def _syn_handler(chan):
    moose = _moose()
    sh = moose.SimpleSynHandler(chan.path + '/sh')
    moose.connect(sh, 'activationOut', chan, 'activation')
    sh.numSynapses = 1
    sh.synapse[0].weight = 1
    return sh


def make_glu(name):
    """Glutamate SynChan: Ek 0, tau1 2 ms, tau2 9 ms, with a one-synapse
    SimpleSynHandler ``sh``."""
    moose = _moose()
    if exists('/library/' + name):
        return element('/library/' + name)
    glu = moose.SynChan('/library/' + name)
    glu.Ek = 0.0
    glu.tau1 = 2.0e-3
    glu.tau2 = 9.0e-3
    _syn_handler(glu)
    return glu


def make_GABA(name):
    """GABA SynChan: Ek -65 mV, tau1 4 ms, tau2 9 ms, with ``sh``."""
    moose = _moose()
    if exists('/library/' + name):
        return element('/library/' + name)
    gaba = moose.SynChan('/library/' + name)
    gaba.Ek = -0.065
    gaba.tau1 = 4.0e-3
    gaba.tau2 = 9.0e-3
    _syn_handler(gaba)
    return gaba


def _nmda_params(n, CMg):
    n.CMg = CMg
    n.KMg_A = 1.0 / 0.28
    n.KMg_B = 1.0 / 62
    n.temperature = 300
    n.extCa = 1.5
    n.intCa = 0.00008
    n.intCaScale = 1
    n.intCaOffset = 0.00008
    n.condFraction = 0.02


def make_NMDA(name):
    """NMDAChan: tau 20/20 ms, Mg 1.2 mM, Ca current to ``Ca_conc``."""
    moose = _moose()
    if exists('/library/' + name):
        return element('/library/' + name)
    n = moose.NMDAChan('/library/' + name)
    n.Ek = 0.0
    n.tau1 = 20.0e-3
    n.tau2 = 20.0e-3
    n.Gbar = 5 * SOMA_A
    _nmda_params(n, 1.2)
    _addmsg(n, 1, '.\tICaOut ../Ca_conc current')
    _addmsg(n, 2, '../Ca_conc\tconcOut . assignIntCa')
    _syn_handler(n)
    return n


def make_vclamp(name='Vclamp', parent='/library'):
    """VClamp (mode 0, tau 0.2 ms, ti 20 µs, td 5 µs, gain 5e-5)."""
    moose = _moose()
    if exists('/library/' + name) and parent == '/library':
        return None
    vc = moose.VClamp(f'{parent}/{name}')
    vc.mode = 0
    vc.tau = 0.2e-3
    vc.ti = 20e-6
    vc.td = 5e-6
    vc.gain = 0.00005
    _addmsg(vc, 1, '.  currentOut  ..  injectMsg')
    _addmsg(vc, 2, '.. VmOut . sensedIn')
    return vc


def make_synInput(name='RandSpike', parent='/library'):
    """RandSpike ``<name>_rs`` (refractT 5 ms) feeding ``../sh/synapse[0]``."""
    moose = _moose()
    if exists('/library/' + name) and parent == '/library':
        return None
    rs = moose.RandSpike(f'{parent}/{name}_rs')
    rs.rate = 0
    rs.refractT = 5e-3
    _addmsg(rs, 1, '.  spikeOut  ../sh/synapse[0]  addSpike')
    return rs


def transformNMDAR(path):
    """Replace every ``#NMDA#`` under *path* that is not an NMDAChan by one
    (with a synapse handler and Ca messages), keeping Ek, tau1, tau2, Gbar."""
    moose = _moose()
    # (most cells have no NMDA channel: a look at the names first, a quarter
    # of the wildcard search's time)
    if not any('NMDA' in e.name for e in moose.element(path)._element().walk()):
        return
    for old in moose.wildcardFind(path + '/##/#NMDA#[ISA!=NMDAChan]'):
        chanpath = old.path
        if chanpath.endswith('[0]'):
            chanpath = chanpath[:-3]
        pa = old.parent
        vals = (old.Ek, old.tau1, old.tau2, old.Gbar)
        old.name = '_temp'
        n = moose.NMDAChan(chanpath)
        _syn_handler(n)
        n.Ek, n.tau1, n.tau2, n.Gbar = vals
        _nmda_params(n, 12)
        moose.delete(old)
        moose.connect(pa, 'channel', n, 'channel')
        cc = moose.wildcardFind(pa.path + '/#[ISA=CaConcBase]')
        if cc:
            moose.connect(n, 'ICaOut', cc[0], 'current')
            moose.connect(cc[0], 'concOut', n, 'assignIntCa')


# ============================================================== compartments
def set_caconc_geometry(conc, length=None, diameter=None, thick=None):
    """Set a CaConc's length, diameter or shell thickness [m] and B =
    1/(2 F volume) of the shell, as MOOSE does whenever one of them is set."""
    if length is not None:
        conc.length = length
    if diameter is not None:
        conc.diameter = diameter
    if thick is not None:
        conc.thick = thick
    d, ln, th = conc.diameter, conc.length, conc.thick
    vol = math.pi * d * d * ln * 0.25
    if 0 < th < d / 2.0:
        core_r = d / 2.0 - th
        vol -= math.pi * core_r * core_r * ln
    conc.B = 1.0 / (2 * _F * vol) if vol > 0 else 0.0


def buildCompt(pa, name, RM=1.0, RA=1.0, CM=0.01, dia=1.0e-6, x=0.0, y=0.0, z=0.0,
               dx=10e-6, dy=0.0, dz=0.0, Em=-0.065, initVm=-0.065):
    """A cylindrical Compartment *name* under *pa* from (x, y, z) to (x+dx,
    y+dy, z+dz) [m] of diameter *dia* [m], with Ra, Rm, Cm from the
    specific RA [Ω·m], RM [Ω·m²], CM [F/m²]."""
    moose = _moose()
    length = math.sqrt(dx * dx + dy * dy + dz * dz)
    xa = dia * dia * PI / 4.0
    sa = length * dia * PI
    if not (0.0 < xa < math.inf and 0.0 < sa < math.inf):   # 1e-320 m underflows to 0
        from .specs import SpecError
        raise SpecError(f'buildCompt {element(pa).path}/{name}: diameter {dia} m and length '
                        f'{length} m give a cross-section {xa} m^2 and an area {sa} m^2; '
                        'expected both > 0 and finite')
    c = moose.Compartment(f'{element(pa).path}/{name}')
    c.x0, c.y0, c.z0 = x, y, z
    c.x, c.y, c.z = dx + x, dy + y, dz + z
    c.diameter = dia
    c.length = length
    c.Ra = length * RA / xa
    c.Rm = RM / sa
    c.Cm = CM * sa
    c.Em = Em
    c.initVm = initVm
    return c


def buildComptWrapper(pa, name, length, dia, xoffset, RM, RA, CM):
    return buildCompt(pa, name, RM, RA, CM, dia=dia, x=xoffset, dx=length)


def buildSyn(name, compt, Ek, tau1, tau2, Gbar, CM):
    """A SynChan in *compt* with a one-synapse handler; Gbar [S/m²] scaled
    by the compartment's area (Cm/CM)."""
    moose = _moose()
    syn = moose.SynChan(f'{compt.path}/{name}')
    syn.Ek = Ek
    syn.tau1 = tau1
    syn.tau2 = tau2
    syn.Gbar = Gbar * compt.Cm / CM
    moose.connect(compt, 'channel', syn, 'channel')
    _syn_handler(syn)
    return syn


def addSpineProto(name='spine', parent='/library', RM=1.0, RA=1.0, CM=0.01,
                  shaftLen=1.e-6, shaftDia=0.2e-6, headLen=0.5e-6, headDia=0.5e-6,
                  synList=(), chanList=(), caTau=0.0):
    """A spine prototype: Neutral *name* holding ``shaft`` and ``head``
    compartments; synList entries [name, Ek, tau1, tau2, Gbar S/m²,
    toCa], chanList entries [name, Gbar S/m², toCa] (copied from
    /library, else an L-type Ca); a ``Ca_conc`` with tau *caTau* if > 0."""
    moose = _moose()
    if not exists(parent):
        from ..core.errors import PathError
        raise PathError(f"addSpineProto: parent '{parent}' does not exist")
    spine = moose.Neutral(f'{parent}/{name}')
    shaft = buildComptWrapper(spine, 'shaft', shaftLen, shaftDia, 0.0, RM, RA, CM)
    head = buildComptWrapper(spine, 'head', headLen, headDia, shaftLen, RM, RA, CM)
    moose.connect(shaft, 'axial', head, 'raxial')
    conc = None
    if caTau > 0.0:
        conc = moose.CaConc(head.path + '/Ca_conc')
        conc.tau = caTau
        set_caconc_geometry(conc, head.length, head.diameter, 0.0)
        conc.Ca_base = 0.0
    for s in synList:
        syn = buildSyn(s[0], head, s[1], s[2], s[3], s[4], CM)
        if s[5] and conc is not None:
            moose.connect(syn, 'IkOut', conc, 'current')
    for c in chanList:
        if exists(f'{parent}/{c[0]}'):
            chan = moose.copy(f'{parent}/{c[0]}', head)
            chan = element(chan)
        else:
            # As MOOSE 5.0.0: without a channel of that name in the library
            # an L-type Ca channel is made *in the library* under that name
            # and the spine head gets none (MOOSE's make_LCa ignores the
            # current element).  Kept so that the tutorials' numbers agree.
            make_LCa(c[0], parent)
            element(f'{parent}/{c[0]}').Gbar = c[1] * head.Cm / CM
            import logging
            logging.getLogger('moosepy.rdesigner').info(
                "addSpineProto: no /library/%s: made one there; the spine head has no %s "
                "channel (as MOOSE)", c[0], c[0])
            continue
        chan.Gbar = c[1] * head.Cm / CM
        moose.connect(head, 'channel', chan, 'channel')
        if c[2] and conc is not None:
            moose.connect(chan, 'IkOut', conc, 'current')
    transformNMDAR(f'{parent}/{name}')
    return spine


def makePassiveHHsoma(name='passiveHHsoma', parent='/library'):
    """Squid-sized passive soma (500 µm x 500 µm; RM 0.333 Ω·m², RA 3000
    Ω·m, CM 0.01 F/m², Em -54.4 mV, initVm -65 mV) in a Neuron."""
    moose = _moose()
    path = f'{parent}/{name}'
    if exists(path):
        return element(path)
    cell = moose.Neuron(path)
    dia = 500e-6
    soma = buildCompt(cell, 'soma', dx=dia, dia=dia, x=0.0, RM=0.33333333, RA=3000, CM=0.01)
    soma.initVm = -65e-3
    soma.Em = -54.4e-3
    return cell


def makeActiveSpine(name='active_spine', parent='/library'):
    """Spine with glu, NMDA, a Ca channel (10 S/m²) and Ca_conc."""
    return addSpineProto(name=name, parent=parent,
                         synList=(['glu', 0.0, 2e-3, 9e-3, 200.0, False],
                                  ['NMDA', 0.0, 20e-3, 20e-3, 80.0, True]),
                         chanList=(['Ca', 10.0, True],), caTau=13.333e-3)


def makeExcSpine(name='exc_spine', parent='/library'):
    """Spine with glu, NMDA and Ca_conc."""
    return addSpineProto(name=name, parent=parent,
                         synList=(['glu', 0.0, 2e-3, 9e-3, 200.0, False],
                                  ['NMDA', 0.0, 20e-3, 20e-3, 80.0, True]),
                         caTau=13.333e-3)


def makePassiveSpine(name='passive_spine', parent='/library'):
    """Shaft and head only."""
    return addSpineProto(name=name, parent=parent)


def makeSpineProto(name):
    return addSpineProto(name=name, chanList=())


# ================================================================= chemistry
#: set by rdesigner while it builds the prototypes of a model that uses the
#: MOOSE 4.x 'install' chemDistrib form: the built-in chemical systems then
#: keep their 4.x layout (compartment named 'kinetics', which scripts of that
#: era address: '/library/osc/kinetics/a')
LEGACY_CHEM_LAYOUT = [False]


def _chem_holder(name, parent):
    moose = _moose()
    path = f'{parent}/{name}'
    model = element(path) if exists(path) else moose.Neutral(path)
    inner = 'kinetics' if LEGACY_CHEM_LAYOUT[0] else name
    return moose.CubeMesh(f'{model.path}/{inner}')


def makeDiffusivePool(name='diffn', parent='/library'):
    """CubeMesh /library/<name>/<name> (4.x layout: .../kinetics) with pool A (D 1e-10 m²/s, 0.1 mM)."""
    moose = _moose()
    compt = _chem_holder(name, parent)
    a = moose.Pool(compt.path + '/A')
    a.diffConst = 1e-10
    a.concInit = 0.1
    return compt


def makeMotorPool(name='transp', parent='/library'):
    """CubeMesh with pool A moved by motors at 1 µm/s (0.1 mM)."""
    moose = _moose()
    compt = _chem_holder(name, parent)
    a = moose.Pool(compt.path + '/A')
    a.diffConst = 0
    a.motorConst = 1e-6
    a.concInit = 0.1
    return compt


def makeChemOscillator(name='osc', parent='/library'):
    """A three-pool oscillator in CubeMesh /library/<name>/<name> (4.x
    layout: /library/<name>/kinetics):
    s -> a and s -> b catalysed by a, a -> s catalysed by b, b -> s;
    D(a) = 1e-12, D(b) = 1e-11 m²/s."""
    moose = _moose()
    compt = _chem_holder(name, parent)
    a = moose.Pool(compt.path + '/a')
    b = moose.Pool(compt.path + '/b')
    s = moose.Pool(compt.path + '/s')
    e1 = moose.MMenz(compt.path + '/e1')
    e2 = moose.MMenz(compt.path + '/e2')
    e3 = moose.MMenz(compt.path + '/e3')
    r1 = moose.Reac(compt.path + '/r1')
    a.concInit = 0.1
    b.concInit = 0.1
    s.concInit = 1
    for enz, sub, prd, ezm, km, kcat in ((e1, s, a, a, 1, 1), (e2, s, b, a, 1, 0.5),
                                         (e3, a, s, b, 0.1, 1)):
        moose.connect(enz, 'sub', sub, 'reac')
        moose.connect(enz, 'prd', prd, 'reac')
        moose.connect(ezm, 'nOut', enz, 'enzDest')
        enz.Km = km
        enz.kcat = kcat
    moose.connect(r1, 'sub', b, 'reac')
    moose.connect(r1, 'prd', s, 'reac')
    r1.Kf = 0.3
    r1.Kb = 0
    a.diffConst = 10e-12 / 10
    b.diffConst = 10e-12
    s.diffConst = 0
    return compt


#: built-ins callable as 'name()' in a prototype spec
BUILTINS = {f.__name__: f for f in (
    make_HH_Na, make_HH_K, make_Na, make_K_DR, make_K_A, make_Ca, make_LCa, make_Ca_conc,
    make_K_AHP, make_K_C, make_glu, make_GABA, make_NMDA, make_vclamp, make_synInput,
    makePassiveHHsoma, makePassiveSpine, makeExcSpine, makeActiveSpine, makeSpineProto,
    addSpineProto, makeChemOscillator, makeDiffusivePool, makeMotorPool)}
