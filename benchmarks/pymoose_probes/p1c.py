import moose, numpy as np
np.set_printoptions(precision=8, linewidth=150)
def build(method):
    if moose.exists('/m'): moose.delete('/m')
    m = moose.CubeMesh('/m'); m.volume = 1e-18
    a = moose.Pool('/m/a'); a.concInit = 1
    r = moose.Reac('/m/r'); moose.connect(r,'sub',a,'reac'); r.Kf=0.1; r.Kb=0
    t = moose.Table2('/m/t'); moose.connect(t,'requestOut',a,'getConc')
    k = moose.Ksolve('/m/k'); k.method=method
    s = moose.Stoich('/m/s'); s.compartment=m; s.ksolve=k; s.reacSystemPath='/m/##'
    return a,t
for meth in ['rk5','lsoda']:
    a,t=build(meth); moose.setClock(18,0.1); moose.reinit(); moose.start(10); v=np.array(t.vector); k=np.arange(len(v))
    print(meth,'T2 dt0.1 len',len(v),'max|v-exp(-0.01k)|', np.abs(v-np.exp(-0.01*k)).max())
    moose.setClock(18,0.05); a,t=build(meth); moose.reinit(); moose.start(1); v=np.array(t.vector); print(meth, 'T2 dt0.05 (ksolve 0.1) len', len(v), v)
    print(' exp(-0.1*0.05k)', np.exp(-0.005*np.arange(len(v))))
    moose.setClock(18,1.0)
    a,t=build(meth); moose.reinit(); moose.start(5); moose.start(5); v1=np.array(t.vector)
    a,t=build(meth); moose.reinit(); moose.start(10); v2=np.array(t.vector)
    print(meth,'start5x2 vs start10 len',len(v1),len(v2),'maxdiff',np.abs(v1-v2).max())
    for T in [0.5, 1.05, 2.5]:
        a,t=build(meth); moose.reinit(); moose.start(T); print(meth,' start',T,'len',len(t.vector),'currentTime',repr(moose.element('/clock').currentTime),'conc',a.conc,'exp(-0.1T)',np.exp(-0.1*T), 'exp at 1.1', np.exp(-0.11))
