import moose, numpy as np
np.set_printoptions(precision=6, linewidth=150)
def build(Bcls, src, dst, meth='rk5'):
    if moose.exists('/m'): moose.delete('/m')
    m = moose.CubeMesh('/m'); m.volume = 1e-18
    a = moose.Pool('/m/a'); a.concInit = 1
    b = getattr(moose,Bcls)('/m/b'); b.concInit = 0.3
    r = moose.Reac('/m/r'); moose.connect(r,'sub',a,'reac'); r.Kf=0.1; r.Kb=0
    f = moose.Function('/m/b/f'); f.expr = '2*x0'
    moose.connect(a, src, f.x[0], 'input')
    moose.connect(f, 'valueOut', b, dst)
    ta = moose.Table2('/m/ta'); moose.connect(ta,'requestOut',a,'getConc')
    tb = moose.Table2('/m/tb'); moose.connect(tb,'requestOut',b,'getConc')
    k = moose.Ksolve('/m/k'); k.method=meth; s = moose.Stoich('/m/s'); s.compartment=m; s.ksolve=k; s.reacSystemPath='/m/##'
    return a,b,f,ta,tb
for Bcls in ['BufPool','Pool']:
  for src,dst in [('nOut','setN'),('concOut','setConc')]:
    try:
        a,b,f,ta,tb = build(Bcls,src,dst)
        moose.reinit(); moose.start(5)
        print(Bcls, src,'->',dst, 'a', np.array(ta.vector), '\n   b', np.array(tb.vector), '\n   b/a', np.array(tb.vector)/np.array(ta.vector), 'f.value', f.value, 'b.conc', b.conc, 'b.n', b.n)
    except Exception as ex: print(Bcls, src, dst, 'EXC', ex)
# function in no-solver case
if moose.exists('/m'): moose.delete('/m')
