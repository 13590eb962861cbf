// The test Kubernetes API server as a child process inside a node namespace, so pods reach it
// like a control plane on a node: objects from the JSON file in argv[2], bound to argv[3]:argv[4].
// Prints {"url", "kubeconfigPath"} once listening; SIGTERM closes it (and removes the kubeconfig).
import { readFile } from 'node:fs/promises';
import { startKubeApiServer } from '../../lib/testkit/kube-api-server.js';
import { OPTIONAL_GROUPS } from '../../lib/testkit/kube-resources.js';

const [objectsFile, host, port] = process.argv.slice(2);
if (!objectsFile || !host || !port) {
  process.stderr.write('usage: kube-api.ts <objects.json> <host> <port>\n');
  process.exit(2);
}
const objects = JSON.parse(await readFile(objectsFile, 'utf8')) as unknown[];
// A policy CRD group is served when the lab's objects use it, as on a cluster with that CNI installed.
const groups = objects.map((o) => String((o as { apiVersion?: unknown }).apiVersion ?? '').split('/')[0] ?? '');
const serveGroups = OPTIONAL_GROUPS.filter((g) => groups.includes(g));
const server = await startKubeApiServer({ objects, host, port: Number(port), serveGroups });
process.stdout.write(`${JSON.stringify({ url: server.url, kubeconfigPath: server.kubeconfigPath })}\n`);
process.once('SIGTERM', () => {
  server.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
