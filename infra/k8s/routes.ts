// How a client reaches one node: a Service per pod (selecting the StatefulSet's own pod-name label) and an Ingress
// host per pod, resident-N.<domain>, which is the PUBLIC_ADDRESS that node hands out with its seats. The lobby host
// play.<domain> reaches any ready node. Rendered for every ordinal the HPA may create (MAX_NODES); a Service whose
// pod does not exist has no endpoints and costs nothing.

import { MAX_NODES, STATEFUL_SET } from './layout.ts';

const HTTP_PORT = { name: 'http' } as const;
export const LOBBY_HOST = 'play';

export const podName = (ordinal: number): string => `${STATEFUL_SET}-${ordinal}`;

function podService(ordinal: number) {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: podName(ordinal) },
    spec: {
      selector: { 'statefulset.kubernetes.io/pod-name': podName(ordinal) },
      ports: [{ name: 'http', port: 80, targetPort: 'http' }],
    },
  };
}

const rule = (host: string, service: string) => ({
  host,
  http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: service, port: HTTP_PORT } } }] },
});

function ingress(count: number) {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name: STATEFUL_SET,
      annotations: {
        // ingress-nginx: WebSockets pass through, but its 60 s read timeout would close quiet ones.
        'nginx.ingress.kubernetes.io/proxy-read-timeout': '3600',
        'nginx.ingress.kubernetes.io/proxy-send-timeout': '3600',
      },
    },
    spec: {
      ingressClassName: 'nginx',
      // One wildcard certificate for the lobby and every node; components/public-domain appends the domain.
      tls: [{ hosts: ['*'], secretName: 'resident-tls' }],
      rules: [rule(LOBBY_HOST, STATEFUL_SET), ...Array.from({ length: count }, (_, i) => rule(podName(i), podName(i)))],
    },
  };
}

/** The objects of base/routes.yaml. */
export function routeObjects(count = MAX_NODES): object[] {
  return [...Array.from({ length: count }, (_, i) => podService(i)), ingress(count)];
}
