import request from 'supertest';
import type { RunningSimulator } from '#gw/simulator';

/** The simulator's admin API, as the tests use it. */
export function platformAdmin(sim: RunningSimulator) {
  const admin = () => request(sim.origin);
  return {
    received: async (query: Record<string, string> = {}) => (await admin().get('/admin/received').query(query).expect(200)).body as any[],
    cases: async () => (await admin().get('/admin/cases').expect(200)).body as any[],
    deleteCase: async (projectNo: string) => {
      await admin().delete(`/admin/cases/${encodeURIComponent(projectNo)}`).expect(200);
    },
    stats: async () => (await admin().get('/admin/stats').expect(200)).body as any,
    setFaults: async (faults: Record<string, unknown>) => {
      await admin().put('/admin/faults').send(faults).expect(200);
    },
    clearFaults: async () => {
      await admin().delete('/admin/faults').expect((r) => (r.status < 300 ? undefined : Promise.reject(new Error(String(r.status)))));
    },
  };
}
