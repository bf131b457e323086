import moose
m = moose.CubeMesh('/m'); m.volume=1e-18
e=moose.Pool('/m/e'); s=moose.Pool('/m/s'); p=moose.Pool('/m/p')
def show(tag, z): print('%-18s k1=%r k2=%r k3=%r Km=%r kcat=%r ratio=%r concK1=%r'%(tag,z.k1,z.k2,z.k3,z.Km,z.kcat,z.ratio,z.concK1))
z=moose.Enz('/m/e/z'); moose.connect(z,'enz',e,'reac'); moose.connect(z,'sub',s,'reac'); moose.connect(z,'prd',p,'reac')
cplx=moose.Pool('/m/e/z/cplx'); moose.connect(z,'cplx',cplx,'reac')
show('defaults', z); z.k2=8; show('k2=8', z); z.k1=1e-3; show('k1=1e-3',z); z.Km=0.1; show('Km=0.1',z); z.kcat=2; show('kcat=2',z)
# Enz without cplx message connected: values
z3=moose.Enz('/m/e/z3'); moose.connect(z3,'enz',e,'reac'); moose.connect(z3,'sub',s,'reac'); show('z3 no cplx',z3)
