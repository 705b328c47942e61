/**
 * The simulated cluster: nodes, namespaces and pods with explicit lifecycles, plus how the exporters
 * are scraped. Everything is plain, JSON-serializable data (epoch milliseconds; `null` = "never" or
 * "after the simulated range"), so a simulation can be printed, diffed and stored next to its output.
 */
import type { Fraction, TimeRange } from '../core/types.ts';

/**
 * How a node spells its capacity type: Karpenter (`karpenter.sh/capacity-type=spot|on-demand`), EKS
 * managed node groups (`eks.amazonaws.com/capacityType=SPOT|ON_DEMAND`), GKE (`cloud.google.com/gke-spot=
 * "true"` on Spot VMs only), GKE preemptible (`cloud.google.com/gke-preemptible="true"`), AKS
 * (`kubernetes.azure.com/scalesetpriority=spot|regular`), or not at all (`none`, bare metal).
 */
export type NodeLabelStyle = 'karpenter' | 'eks' | 'gke' | 'gke-preemptible' | 'aks' | 'none';

/**
 * GPU sharing by the NVIDIA device plugin (api/config/v1 sharing.go, replicas.go): each shared device is
 * advertised `replicas` times; with `renameByDefault` its resource gets the ".shared" suffix
 * (DefaultSharedResourceNameSuffix). `migProfiles` lists the MIG profiles shared (absent = whole GPUs).
 */
export interface SimSharing {
  strategy: 'time-slicing' | 'mps';
  replicas: number;
  renameByDefault: boolean;
  migProfiles?: string[];
}

/**
 * How dcgm-exporter's pod labels reach Prometheus for a node group: `direct` (honor_labels: true, labels
 * `pod`/`namespace`/`container`) or `exported` (honor_labels off: the exporter's own labels become
 * `exported_pod`/`exported_namespace`/`exported_container`, and `pod`/`namespace`/`container` name the
 * dcgm-exporter pod itself, as the scrape target labels do in kube-prometheus-stack).
 */
export type DcgmLabelStyle = 'direct' | 'exported';

/** One advertised unit of a GPU extended resource on a node (what a pod's request consumes). */
export interface SimUnit {
  /** Sanitized KSM resource name, e.g. nvidia_com_gpu, nvidia_com_mig_3g_20gb. */
  resource: string;
  /** Index into the node's {@link SimDevice} list (the DCGM entity this unit runs on). */
  device: number;
  /** Physical GPUs per unit: 1 for a whole GPU, g/7 (A100/H100/H200) or g/4 (A30) for MIG, 1/replicas when time-sliced. */
  weight: Fraction;
}

/** One DCGM entity: a whole GPU, or one MIG GPU instance. */
export interface SimDevice {
  /** Physical GPU index (label `gpu`). */
  gpu: number;
  /** Parent GPU UUID (label `UUID`). */
  uuid: string;
  /** nvidia<gpu> (label `device`). */
  device: string;
  pciBusId: string;
  /** MIG profile such as 1g.5gb (label `GPU_I_PROFILE`), absent for a whole GPU. */
  migProfile?: string;
  /** MIG GPU instance id (label `GPU_I_ID`). */
  migInstanceId?: number;
}

/** A GPU node (one Kubernetes node name; it may disappear and come back under the same name). */
export interface SimNode {
  name: string;
  /** Private IP, used for the dcgm-exporter target `instance` label. */
  ip: string;
  instanceType: string;
  capacityType: 'spot' | 'on-demand';
  labelStyle: NodeLabelStyle;
  /** GPU family as used for MIG slice counts and price catalogs: T4, A10G, A100, H100, ... */
  gpuModel: string;
  /** DCGM `modelName`, e.g. "NVIDIA A10G", "Tesla T4". */
  modelName: string;
  /** Physical GPUs. */
  gpus: number;
  /** Whether DCGM profiling metrics (DCGM_FI_PROF_GR_ENGINE_ACTIVE) exist: false for T4-class GPUs. */
  profilingMetrics: boolean;
  /** MIG mixed strategy: the MIG profiles (e.g. "1g.5gb") of each physical GPU. Absent = MIG off. */
  migProfiles?: string[][];
  /** Time-slicing: each physical GPU is advertised as this many nvidia_com_gpu units. */
  timeSlicingReplicas?: number;
  /** GPU sharing in full (time-slicing or MPS, renamed or not, on whole GPUs or MIG devices). */
  sharing?: SimSharing;
  /** MIG strategy of the device plugin when `migProfiles` is set (default mixed). */
  migStrategy?: 'mixed' | 'single';
  /** `absent`: the device plugin advertises nothing (down, or the GPUs are managed by a DRA driver). */
  devicePlugin?: 'running' | 'absent';
  /** False for nodes without a node.kubernetes.io/instance-type label (bare metal, on-prem). */
  instanceTypeLabel?: boolean;
  /** GPU feature discovery labels the node (nvidia.com/gpu.count, gpu.product, ...), allowlisted in KSM. */
  gfd?: boolean;
  dcgmLabels: DcgmLabelStyle;
  /** Half-open ranges in which the node exists (its KSM and DCGM series are exported); sorted, disjoint. */
  lifetimes: TimeRange[];
  /** Offset of this node's dcgm-exporter scrapes from the epoch-aligned interval grid, in ms. */
  dcgmOffsetMs: number;
  /** Derived: advertised GPU units (see {@link SimUnit}). */
  units: SimUnit[];
  /** Derived: DCGM entities. */
  devices: SimDevice[];
}

/** A container of a pod. */
export interface SimContainer {
  name: string;
  cpuCores: number;
  /** The GPU extended resource this container requests, if any. */
  gpuResource?: string;
  /** Units of gpuResource requested. */
  gpuCount: number;
  /** Indices into the node's `units` assigned to this container once bound (empty while unbound). */
  units: number[];
  /** Init containers only: `Always` makes it a native sidecar that runs alongside the app containers. */
  restartPolicy?: 'Always';
  /**
   * GPUs allocated through a DRA ResourceClaim instead of an extended resource (no `gpuResource`
   * request): indices into the node's `units` the claim's devices are.
   */
  draUnits?: number[];
}

export type TerminalPhase = 'Succeeded' | 'Failed';

/**
 * A pod, identified by uid. Lifecycle (each time null = never / after the simulated range):
 * created → (scheduledMs: bound to `node`) → (runningMs: Running) → (endMs: endPhase) → deletedMs.
 * Pending without node = [created, scheduled); Pending on node (image pull) = [scheduled, running);
 * KSM exports the pod's series during [created, deleted), including after it finished.
 */
export interface SimPod {
  uid: string;
  namespace: string;
  name: string;
  createdByKind: string;
  createdByName: string;
  /** Kubernetes labels of the pod (only the allowlisted `team` and `project` are exported by KSM). */
  labels: Record<string, string>;
  node: string | null;
  createdMs: number;
  scheduledMs: number | null;
  runningMs: number | null;
  endMs: number | null;
  endPhase: TerminalPhase;
  deletedMs: number | null;
  containers: SimContainer[];
  /**
   * Init containers (kube_pod_init_container_*): a GPU request of a non-restartable one counts toward the
   * pod's effective request (it holds its units before the app containers); a sidecar's holds while Running.
   */
  initContainers?: SimContainer[];
  /** Mean GR-engine activity 0..1 while Running, and the amplitude of per-sample noise around it. */
  utilization: { mean: number; jitter: number };
  /** Why this pod exists in an edge-case scenario (e.g. "statefulset-recreated"), for tests and docs. */
  role?: string;
}

export interface SimNamespace {
  name: string;
  /** Kubernetes labels of the namespace (KSM exports all of them as label_<name>). */
  labels: Record<string, string>;
  /**
   * A GPU ResourceQuota of the namespace: its object name and hard limits by quota resource name as
   * Kubernetes spells it (`requests.nvidia.com/gpu`, `requests.nvidia.com/mig-1g.5gb`); see src/sim/quota.ts.
   */
  gpuQuota?: { name: string; hard: Record<string, number> };
}

/** Scrape schedule of the exporters. Sample times are offset + k·interval (epoch-aligned). */
export interface SimScrape {
  ksmSeconds: number;
  dcgmSeconds: number;
  /** Offset of kube-state-metrics scrapes, ms. */
  ksmOffsetMs: number;
}

/** Default scrape schedule: kube-state-metrics 60 s, dcgm-exporter 30 s (the exporters' defaults), KSM offset 17 s. */
export const DEFAULT_SCRAPE = { ksmSeconds: 60, dcgmSeconds: 30, ksmOffsetMs: 17_000 } as const;

/**
 * An instant at which series change labels for the rest of the range, without any gap in samples:
 * `ksm-rescheduled` (the kube-state-metrics pod moves: new `instance` and target `pod`),
 * `driver-upgraded` (dcgm-exporter's `DCGM_FI_DRIVER_VERSION` changes), `dcgm-exporter-restarted`
 * (every dcgm-exporter pod is re-created: new exporter `pod` and `Hostname`).
 */
export interface SeriesLabelChange {
  atMs: number;
  kind: 'ksm-rescheduled' | 'driver-upgraded' | 'dcgm-exporter-restarted';
}

/**
 * How the series of a simulation look beyond the textbook labels (everything optional; absent = the
 * textbook shape). None of it changes what happened in the cluster, so the bill must not change.
 */
export interface SeriesShape {
  /**
   * Scrape-target and exporter labels of a kube-prometheus-stack + GPU Operator install: on
   * kube-state-metrics series (honor_labels: true) `container`, `endpoint`, `namespace`, `pod`,
   * `service` of the KSM target where the series lacks them; on dcgm-exporter series `endpoint`,
   * `service`, `DCGM_FI_DRIVER_VERSION`, `Hostname` = the exporter pod's name, and (honor_labels: true)
   * the exporter's `container`/`namespace`/`pod` on series without pod labels (idle GPUs).
   */
  targetLabels?: boolean;
  /** Labels added to every series, as Prometheus external labels are (e.g. `{ region: "us-east-1" }`). */
  externalLabels?: Record<string, string>;
  /** Label changes during the range (see {@link SeriesLabelChange}). */
  changes?: SeriesLabelChange[];
  /**
   * kube-state-metrics replicas (default 1): each one exports every KSM series again under its own
   * `instance` (and target `pod`), its scrapes `offsetMs` × replica index later.
   */
  ksmReplicas?: { count: number; offsetMs?: number };
  /**
   * An HA Prometheus pair (or more): every series is stored once per replica, with `label` set to the
   * replica's value, the scrapes of replica i `offsetMs` × i later.
   */
  haReplicas?: { label: string; values: string[]; offsetMs?: number };
  /**
   * kube-state-metrics v2.0.x: `uid` only on kube_pod_info, not on the other pod series (it is on every
   * pod metric from v2.1, internal/store/pod.go wrapPodFunc).
   */
  ksmUidOnPodInfoOnly?: boolean;
}

/** A complete simulated cluster over `range`; produce it with `simulate`. */
export interface Simulation {
  /** Preset name, or "custom". */
  name: string;
  seed: number;
  /** When set, every series gets a `cluster` label with this value (multi-cluster setups). */
  cluster?: string;
  /** Real-world label shapes of the series (target labels, label changes, duplicates); absent = textbook. */
  shape?: SeriesShape;
  /** IANA zone the scenario was laid out in (local days, business hours). */
  zone: string;
  /** Samples exist only in [startMs, endMs). */
  range: TimeRange;
  scrape: SimScrape;
  /** Prometheus outages: no sample from any target in these ranges. Sorted, disjoint. */
  outages: TimeRange[];
  nodes: SimNode[];
  namespaces: SimNamespace[];
  pods: SimPod[];
  /** Named edge cases: case name → pod uid or node name (edge-cases preset). */
  cases: Record<string, string>;
}

/** A node as written by a scenario; `units`, `devices` and `dcgmOffsetMs` are derived by `simulate`. */
export type SimNodeSpec = Omit<SimNode, 'units' | 'devices' | 'dcgmOffsetMs'> & { dcgmOffsetMs?: number };

/** A pod as written by a scenario. */
export type SimPodSpec = SimPod;

/** Options of a preset scenario. */
export interface PresetOptions {
  /** YYYY-MM. */
  month: string;
  /** IANA zone of the billing month. */
  zone: string;
  seed: number;
  scrape?: { ksmSeconds: number; dcgmSeconds: number };
  /** Simulate only [from, from + days) of the month (short test runs); default the whole month. */
  days?: number;
  cluster?: string;
  shape?: SeriesShape;
}

/** An explicit cluster to simulate (what presets expand to). */
export interface ExplicitSimulateOptions {
  preset?: undefined;
  name?: string;
  seed: number;
  zone: string;
  /** Samples are produced only in [startMs, endMs). */
  range: TimeRange;
  scrape?: Partial<SimScrape>;
  outages?: TimeRange[];
  nodes: SimNodeSpec[];
  namespaces: SimNamespace[];
  pods: SimPodSpec[];
  cluster?: string;
  shape?: SeriesShape;
  cases?: Record<string, string>;
}

/** Either a named preset, or an explicit cluster. */
export type SimulateOptions =
  ({ preset: 'demo' | 'edge-cases' | 'real-shapes' } & PresetOptions) | ExplicitSimulateOptions;
