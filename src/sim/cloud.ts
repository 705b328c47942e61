import type { SimNode } from './model.ts';

/**
 * The cloud instance behind a simulated node, as kube-state-metrics exports it in
 * `kube_node_info{provider_id}` (internal/store/node.go: the label is the node's `spec.providerID`, set by
 * the kubelet / cloud controller): `aws:///<zone>/i-<17 hex>` on EKS, `gce://<project>/<zone>/<name>` on
 * GKE, `azure:///subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Compute/virtualMachineScaleSets/<set>/virtualMachines/<n>`
 * on AKS; null on bare metal (an on-prem node without an instance type label has no provider id). The id
 * is derived from the node's name, so a node keeps its instance across its lifetimes.
 */
export function providerIdOf(node: SimNode, cluster = ''): string | null {
  if (node.instanceTypeLabel === false || node.labelStyle === 'none') return null;
  const hash = fnv1a64(`${cluster}/${node.name}`);
  switch (node.labelStyle) {
    case 'gke':
    case 'gke-preemptible':
      return `gce://sim-project/us-central1-a/${node.name}`;
    case 'aks':
      return (
        '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/mc_sim/providers/' +
        `Microsoft.Compute/virtualMachineScaleSets/aks-gpu/virtualMachines/${Number(hash % 1000n)}`
      ).replace(/^/, 'azure://');
    case 'eks':
    case 'karpenter':
      return `aws:///us-east-1a/i-${hash.toString(16).padStart(16, '0').slice(0, 16)}${(hash % 16n).toString(16)}`;
  }
}

/** FNV-1a, 64 bits: a stable hash for synthetic ids. */
export function fnv1a64(text: string): bigint {
  let h = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(text, 'utf8')) {
    h ^= BigInt(byte);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h;
}
