import moose, numpy as np
np.set_printoptions(precision=8, linewidth=150)
def build(meth='rk5'):
    if moose.exists('/m'): moose.delete('/m')
    m = moose.CubeMesh('/m'); m.volume = 1e-18
    a = moose.Pool('/m/a'); a.concInit = 1
    b = moose.Pool('/m/b'); b.concInit = 0
    r = moose.Reac('/m/r'); moose.connect(r,'sub',a,'reac'); moose.connect(r,'prd',b,'reac'); r.Kf=0.1; r.Kb=0
    t = moose.Table2('/m/t'); moose.connect(t,'requestOut',a,'getConc')
    k = moose.Ksolve('/m/k'); k.method=meth; s = moose.Stoich('/m/s'); s.compartment=m; s.ksolve=k; s.reacSystemPath='/m/##'
    return a,b,r,t
a,b,r,t=build()
print('before reinit (after compile) a.conc', a.conc, 'a.n', a.n)
moose.reinit(); print('after reinit a.conc', a.conc)
moose.start(5); print('after start(5): a.conc', a.conc, 'table last', t.vector[-1], 'exp(-.5)', np.exp(-0.5), 'b.conc', b.conc)
a.conc = 2; print('set a.conc=2 -> read a.conc', a.conc, 'a.n', a.n, 'a.concInit', a.concInit)
moose.start(5); v=np.array(t.vector); print('after 2nd start(5): table', v, '\n  a.conc', a.conc, 'expected 2*exp(-.5)', 2*np.exp(-0.5), 'b.conc', b.conc)
a.n = 1000; print('set n=1000 -> conc', a.conc)
# concInit after compile then reinit
a.concInit = 3; print('set concInit=3 (no reinit): a.conc', a.conc)
moose.reinit(); print('after reinit: a.conc', a.conc, 'table', list(t.vector))
moose.start(1); print('after start(1): a.conc', a.conc, 'expected', 3*np.exp(-0.1))
# nInit
a.nInit = 602214.076; moose.reinit(); print('nInit set -> after reinit conc', a.conc, a.concInit)
# Kf change between starts
moose.reinit(); moose.start(1); r.Kf = 0; moose.start(1); print('Kf=0 between starts: a.conc', a.conc, 'exp(-.1)', np.exp(-0.1))
moose.reinit(); moose.start(1); print('after reinit with Kf=0 start(1): a.conc', a.conc)
# volume change after compile
r.Kf=0.1; m=moose.element('/m'); m.volume = 2e-18; print('vol->2e-18 after compile: a.concInit', a.concInit, 'nInit', a.nInit, 'a.volume', a.volume, 'a.conc', a.conc)
moose.reinit(); moose.start(1); print('after reinit+1s: a.conc', a.conc, 'a.n', a.n, 'expected conc', np.exp(-0.1))
# BufPool conc set mid-run
