import moose, numpy as np, sys
def build(tabclass='Table2', tick=None, dt=None):
    if moose.exists('/m'): moose.delete('/m')
    m = moose.CubeMesh('/m'); m.volume = 1e-18
    a = moose.Pool('/m/a'); a.concInit = 1
    r = moose.Reac('/m/r'); moose.connect(r,'sub',a,'reac'); r.Kf=0.1; r.Kb=0
    t = getattr(moose, tabclass)('/m/t_' + tabclass)
    moose.connect(t,'requestOut',a,'getConc')
    k = moose.Ksolve('/m/k'); k.method='lsoda'; s = moose.Stoich('/m/s'); s.compartment=m; s.ksolve=k; s.reacSystemPath='/m/##'
    return a, t
np.set_printoptions(precision=6, linewidth=150)
for cls, tick in [('Table2',18),('Table',8)]:
    a,t = build(cls)
    print(cls, 'tick', t.tick, 'dt', t.dt)
    moose.reinit(); moose.start(10)
    v = np.array(t.vector); print(' len', len(v), 'vec', v)
    k = np.arange(len(v)); print(' exp(-0.1k)', np.exp(-0.1*k)); print(' diff', v-np.exp(-0.1*k))
    print(' currentTime', moose.element('/clock').currentTime, 'a.conc', a.conc, np.exp(-1))
# Table2 with setClock(18, 0.1)
a,t = build('Table2'); moose.setClock(18, 0.1); print('dt after setClock', t.dt)
moose.reinit(); moose.start(10); v=np.array(t.vector); print('T2 dt0.1 len', len(v), v[:5], v[-3:]); k=np.arange(len(v))
print(' maxdiff vs exp(-0.1*0.1k)', np.abs(v-np.exp(-0.01*k)).max())
print(' maxdiff vs exp(-0.1*0.1(k-1))', np.abs(v[1:]-np.exp(-0.01*(k[1:]-1))).max())
moose.setClock(18, 1.0)
a,t = build('Table2'); moose.reinit(); moose.start(5); moose.start(5); v1=np.array(t.vector)
a,t = build('Table2'); moose.reinit(); moose.start(10); v2=np.array(t.vector)
print('start5x2 len', len(v1), 'start10 len', len(v2), 'identical', len(v1)==len(v2) and np.array_equal(v1,v2), 'maxdiff', np.abs(v1-v2).max() if len(v1)==len(v2) else None)
print(v1); print(v2)
