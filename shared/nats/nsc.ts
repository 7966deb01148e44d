// The same roles for operators who run NATS in operator mode (JWT accounts, managed with nsc): one user per role.

import { permissionsFor, ROLES, type Role, type SubjectRules } from './roles.ts';

const shellList = (subjects: readonly string[]): string => `'${subjects.join(',')}'`;

function ruleFlags(kind: 'pub' | 'sub', r: SubjectRules): string[] {
  return [
    ...(r.allow ? [`--allow-${kind} ${shellList(r.allow)}`] : []),
    ...(r.deny ? [`--deny-${kind} ${shellList(r.deny)}`] : []),
  ];
}

export const nscUserName = (cluster: string, role: Role): string => `rsd-${cluster}-${role}`;

/** `nsc add user` for each role of the cluster, in the account `account`, then a creds file for each. */
export function renderNscCommands(cluster: string, account = 'RESIDENT'): string {
  const lines: string[] = [];
  for (const role of ROLES) {
    const p = permissionsFor(role, cluster);
    const flags = [...ruleFlags('pub', p.publish), ...ruleFlags('sub', p.subscribe)];
    if (p.allowResponses) flags.push('--allow-pub-response 1');
    lines.push(
      `nsc add user --account ${account} --name ${nscUserName(cluster, role)} \\`,
      `  ${flags.join(' \\\n  ')}`,
    );
  }
  for (const role of ROLES) {
    const user = nscUserName(cluster, role);
    lines.push(`nsc generate creds --account ${account} --name ${user} > ${user}.creds`);
  }
  return lines.join('\n');
}
