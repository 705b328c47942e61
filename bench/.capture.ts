// temp: capture one day's raw answers of the 24-GPU month (not committed)
import { writeFile } from 'node:fs/promises';
import { startPrometheusWithData } from '../test/support/prometheus.ts';
const prom = await startPrometheusWithData([], { cacheKey: 'bench-scale-v1-24gpu-2026-10-31d-UTC-ksm60-dcgm30-s42' });
const at = Date.parse('2026-10-11T00:00:00Z') / 1000;
const qs = [
  '{__name__="DCGM_FI_PROF_GR_ENGINE_ACTIVE", exported_pod="", pod!=""}[86399999ms]',
  '{__name__="DCGM_FI_DEV_GPU_UTIL", exported_pod="", pod!=""}[86399999ms]',
  '{__name__=~"kube_node_info|kube_node_labels", node!=""}[93599999ms]',
  'kube_node_status_capacity{resource=~"nvidia_com_.+"}[93599999ms]',
  'kube_pod_status_phase{phase="Running"}[93599999ms]',
  '{__name__=~"kube_pod_container_resource_requests|kube_pod_init_container_resource_requests", resource=~"nvidia_com_.+"}[93599999ms]',
];
let i = 0;
for (const q of qs) {
  const r = await fetch(`${prom.url}/api/v1/query`, { method: 'POST', body: new URLSearchParams({ query: q, time: String(at) }) });
  const b = new Uint8Array(await r.arrayBuffer());
  await writeFile(`/tmp/bodies/${i++}.json`, b);
  console.log(q.slice(0, 60), b.length);
}
await prom.stop();
