import moose, numpy as np
np.set_printoptions(precision=8, linewidth=150)
def build(method, eps=None):
    if moose.exists('/m'): moose.delete('/m')
    m = moose.CubeMesh('/m'); m.volume = 1e-18
    a = moose.Pool('/m/a'); a.concInit = 1
    r = moose.Reac('/m/r'); moose.connect(r,'sub',a,'reac'); r.Kf=0.1; r.Kb=0
    t = moose.Table2('/m/t'); moose.connect(t,'requestOut',a,'getConc')
    t1 = moose.Table('/m/t1'); moose.connect(t1,'requestOut',a,'getConc')
    k = moose.Ksolve('/m/k'); k.method=method
    if eps: k.epsAbs=eps; k.epsRel=eps
    s = moose.Stoich('/m/s'); s.compartment=m; s.ksolve=k; s.reacSystemPath='/m/##'
    print(method, 'ticks: ksolve', k.tick, k.dt, 'pool', a.tick, a.dt, 'stoich', s.tick, 'reac', r.tick, 'mesh', m.tick, 'Table', t1.tick, t1.dt, 'Table2', t.tick, t.dt)
    return a,t,t1
for meth,eps in [('lsoda',None),('lsoda',1e-12),('rk5',None),('rk5',1e-12),('rk4',None),('gillespie',None) ]:
    a,t,t1 = build(meth,eps)
    moose.reinit(); 
    print(' after reinit len', len(t.vector), len(t1.vector))
    moose.start(10)
    v=np.array(t.vector); k=np.arange(len(v))
    print(' T2 v-exp(-0.1k):', v-np.exp(-0.1*k))
    w=np.array(t1.vector); 
    idx=[0,1,2,999,1000,1001,1002,1999,2000,2001,100000]
    print(' Table(tick8) samples', [(i, round(w[i],8)) for i in idx])
    print(' conc at 0.1,0.2', np.exp(-0.01), np.exp(-0.02))
