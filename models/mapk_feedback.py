"""Default model of ``moosepy run``: a small MAPK-like cascade with negative
feedback, written with the MOOSE API (concentrations in mM, rates in 1/s
and 1/(mM s), volume 1e-18 m^3).

   S (stimulus, buffered) activates K1 -> K1p  (MMenz on S)
   K1p phosphorylates K2 -> K2p               (explicit Enz with complex)
   K2p -> K2 and K1p -> K1                     (first-order dephosphorylation)
   K2p inhibits: a Function drives the S-dependent rate down as K2p rises

``build(moose, path)`` returns the tables it records; the CLI runs it for
``RUNTIME`` seconds.
"""

RUNTIME = 300.0


def build(moose, path='/model'):
    if moose.exists(path):
        moose.delete(path)
    moose.Neutral(path)
    mesh = moose.CubeMesh(path + '/kinetics')
    mesh.volume = 1e-18

    def pool(name, conc, cls='Pool'):
        p = getattr(moose, cls)(mesh.path + '/' + name)
        p.concInit = conc
        return p

    S = pool('S', 0.01, 'BufPool')
    K1, K1p = pool('K1', 0.1), pool('K1p', 0.0)
    K2, K2p = pool('K2', 0.3), pool('K2p', 0.0)

    e1 = moose.MMenz(S.path + '/act')
    moose.connect(S, 'nOut', e1, 'enzDest')
    moose.connect(e1, 'sub', K1, 'reac')
    moose.connect(e1, 'prd', K1p, 'reac')
    e1.Km = 0.05
    e1.kcat = 10.0

    e2 = moose.Enz(K1p.path + '/phos')
    cplx = moose.Pool(e2.path + '/cplx')
    moose.connect(e2, 'enz', K1p, 'reac')
    moose.connect(e2, 'sub', K2, 'reac')
    moose.connect(e2, 'prd', K2p, 'reac')
    moose.connect(e2, 'cplx', cplx, 'reac')
    e2.Km = 0.1
    e2.kcat = 2.0
    e2.ratio = 4.0

    d1 = moose.Reac(mesh.path + '/dephos1')
    moose.connect(d1, 'sub', K1p, 'reac')
    moose.connect(d1, 'prd', K1, 'reac')
    d1.Kf, d1.Kb = 0.5, 0.0
    d2 = moose.Reac(mesh.path + '/dephos2')
    moose.connect(d2, 'sub', K2p, 'reac')
    moose.connect(d2, 'prd', K2, 'reac')
    d2.Kf, d2.Kb = 0.1, 0.0

    # feedback: K2p speeds up the dephosphorylation of K1p
    # (nOut sends molecules: K is 0.05 mM expressed in molecules)
    fb = moose.Function(mesh.path + '/feedback')
    fb.c['K'] = 0.05 * moose.NA * mesh.volume
    fb.expr = '0.5 + 20 * x0 / (K + x0)'
    moose.connect(K2p, 'nOut', fb.x[0], 'input')
    moose.connect(fb, 'valueOut', d1, 'setNumKf')

    graphs = moose.Neutral(path + '/graphs')
    tables = {}
    for p in (K1p, K2p, K1, K2):
        t = moose.Table2(graphs.path + '/' + p.name)
        moose.connect(t, 'requestOut', p, 'getConc')
        tables[p.name] = t

    stoich = moose.Stoich(mesh.path + '/stoich')
    ksolve = moose.Ksolve(mesh.path + '/ksolve')
    ksolve.method = 'lsoda'
    stoich.compartment = mesh
    stoich.ksolve = ksolve
    stoich.reacSystemPath = mesh.path + '/##'
    return tables
