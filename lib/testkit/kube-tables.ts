// Server-side printing (meta.k8s.io/v1 Table), which kubectl asks for on every `get`. Without it
// kubectl shows only NAME and AGE; the columns below mirror the real ones for the kinds people
// look at while debugging a Service.

interface AnyObject {
  metadata: { name: string; namespace?: string; creationTimestamp?: string; [k: string]: unknown };
  spec?: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- printer reads arbitrary API shapes
  status?: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- same
  [k: string]: unknown;
}

interface Column {
  name: string;
  type: 'string' | 'integer';
  cell: (obj: AnyObject, now: number) => string | number;
}

/** kubectl's own age format: 45s, 12m, 5h, 3d. */
export function humanAge(created: string | undefined, now: number): string {
  if (!created) return '<unknown>';
  const seconds = Math.max(0, Math.floor((now - Date.parse(created)) / 1000));
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 120) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h`;
  return `${Math.floor(hours / 24)}d`;
}

const nameColumn: Column = { name: 'Name', type: 'string', cell: (o) => o.metadata.name };
const ageColumn: Column = { name: 'Age', type: 'string', cell: (o, now) => humanAge(o.metadata.creationTimestamp, now) };

function servicePorts(o: AnyObject): string {
  const ports = (o.spec?.ports ?? []) as { port: number; nodePort?: number; protocol?: string }[];
  if (ports.length === 0) return '<none>';
  return ports.map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`).join(',');
}

function externalIP(o: AnyObject): string {
  const type = o.spec?.type ?? 'ClusterIP';
  if (type === 'ExternalName') return o.spec?.externalName ?? '<none>';
  if (type === 'LoadBalancer') {
    const ingress = (o.status?.loadBalancer?.ingress ?? []) as { ip?: string; hostname?: string }[];
    return ingress.length ? ingress.map((i) => i.ip ?? i.hostname).join(',') : '<pending>';
  }
  return '<none>';
}

function podStatus(o: AnyObject): string {
  if (o.metadata.deletionTimestamp) return 'Terminating';
  const statuses = (o.status?.containerStatuses ?? []) as { state?: Record<string, { reason?: string }> }[];
  for (const s of statuses) {
    const reason = s.state?.waiting?.reason ?? s.state?.terminated?.reason;
    if (reason) return reason;
  }
  return o.status?.phase ?? 'Unknown';
}

function podReady(o: AnyObject): string {
  const statuses = (o.status?.containerStatuses ?? []) as { ready?: boolean }[];
  const containers = (o.spec?.containers ?? []) as unknown[];
  return `${statuses.filter((s) => s.ready).length}/${containers.length}`;
}

function nodeStatus(o: AnyObject): string {
  const ready = ((o.status?.conditions ?? []) as { type: string; status: string }[]).find((c) => c.type === 'Ready');
  const base = ready?.status === 'True' ? 'Ready' : 'NotReady';
  return o.spec?.unschedulable ? `${base},SchedulingDisabled` : base;
}

const COLUMNS: Record<string, Column[]> = {
  services: [
    nameColumn,
    { name: 'Type', type: 'string', cell: (o) => o.spec?.type ?? 'ClusterIP' },
    { name: 'Cluster-IP', type: 'string', cell: (o) => o.spec?.clusterIP ?? '<none>' },
    { name: 'External-IP', type: 'string', cell: externalIP },
    { name: 'Port(s)', type: 'string', cell: servicePorts },
    ageColumn,
  ],
  pods: [
    nameColumn,
    { name: 'Ready', type: 'string', cell: podReady },
    { name: 'Status', type: 'string', cell: podStatus },
    {
      name: 'Restarts',
      type: 'integer',
      cell: (o) => ((o.status?.containerStatuses ?? []) as { restartCount?: number }[]).reduce((n, s) => n + (s.restartCount ?? 0), 0),
    },
    ageColumn,
  ],
  nodes: [nameColumn, { name: 'Status', type: 'string', cell: nodeStatus }, ageColumn, { name: 'Version', type: 'string', cell: (o) => o.status?.nodeInfo?.kubeletVersion ?? '' }],
  endpoints: [
    nameColumn,
    {
      name: 'Endpoints',
      type: 'string',
      cell: (o) => {
        const subsets = (o as { subsets?: { addresses?: { ip: string }[]; ports?: { port: number }[] }[] }).subsets ?? [];
        const pairs = subsets.flatMap((s) => (s.addresses ?? []).flatMap((a) => (s.ports ?? []).map((p) => `${a.ip}:${p.port}`)));
        return pairs.length ? pairs.join(',') : '<none>';
      },
    },
    ageColumn,
  ],
  daemonsets: [
    nameColumn,
    { name: 'Desired', type: 'integer', cell: (o) => o.status?.desiredNumberScheduled ?? 0 },
    { name: 'Ready', type: 'integer', cell: (o) => o.status?.numberReady ?? 0 },
    { name: 'Available', type: 'integer', cell: (o) => o.status?.numberAvailable ?? 0 },
    ageColumn,
  ],
};

export function buildTable(resource: string, objects: AnyObject[], resourceVersion: string, continueToken: string | undefined, now: number): object {
  const columns = COLUMNS[resource] ?? [nameColumn, ageColumn];
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion, ...(continueToken ? { continue: continueToken } : {}) },
    columnDefinitions: columns.map((c) => ({
      name: c.name,
      type: c.type,
      format: c.name === 'Name' ? 'name' : '',
      description: `${c.name} of the ${resource}`,
      priority: 0,
    })),
    rows: objects.map((o) => ({
      cells: columns.map((c) => c.cell(o, now)),
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
    })),
  };
}
