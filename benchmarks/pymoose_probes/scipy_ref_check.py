import sys, json, numpy as np; sys.path.insert(0,'/work/main')
from scipy.integrate import solve_ivp
from benchmarks.kin_models import _draw_network
mass, reactions, conc0 = _draw_network(np.random.default_rng(1), 200, 400)
def rhs(t, c):
    d = np.zeros_like(c)
    for subs, prds, kf, kb in reactions:
        v = kf*np.prod(c[subs]) - kb*np.prod(c[prds])
        d[subs] -= v; d[prds] += v
    return d
sol = solve_ivp(rhs, (0,100), conc0, method='LSODA', rtol=1e-11, atol=1e-13)
ref = sol.y[:,-1]
for m in ['lsoda','default']:
    d=json.load(open('/work/main/benchmarks/pymoose_ref_%s.json'%m))['models']['kin_large']
    fc=np.array(d['final_conc']); print(m, 'kin_large max abs err vs scipy', np.abs(fc-ref).max(), 'max rel', (np.abs(fc-ref)/np.maximum(ref,1e-6)).max())
# small
def rhs2(t,y):
    A,B,C,P,E=y; v1=0.5*A*B-0.05*C; v2=1.0*E*C/(0.2+C); v3=0.02*P
    return [-v1+v3, -v1+v3, v1-v2, v2-v3, 0]
s2=solve_ivp(rhs2,(0,1000),[1,0.8,0,0,0.01],method='LSODA',rtol=1e-11,atol=1e-13); r2=s2.y[:,-1]; print('small ref', r2)
for m in ['lsoda','default']:
    d=json.load(open('/work/main/benchmarks/pymoose_ref_%s.json'%m))['models']['kin_small']
    print(m,'kin_small max abs err', np.abs(np.array(d['final_conc'])-r2).max())
