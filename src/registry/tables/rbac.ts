// RBAC tables. RoleBinding and ClusterRoleBinding have printers; Role and
// ClusterRole do not and get the default Name / Created At table.

import type { TableDef } from '../types.ts';
import { age, ageColumn, arr, column, nameColumn, nameOf, rec, str, wide } from './format.ts';

/** Users, groups and "namespace/name" service accounts among the subjects. */
export function subjectNames(subjects: unknown): { users: string[]; groups: string[]; serviceAccounts: string[] } {
  const users: string[] = [];
  const groups: string[] = [];
  const serviceAccounts: string[] = [];
  for (const raw of arr(subjects)) {
    const s = rec(raw);
    switch (s.kind) {
      case 'ServiceAccount': serviceAccounts.push(`${str(s.namespace)}/${str(s.name)}`); break;
      case 'User': users.push(str(s.name)); break;
      case 'Group': groups.push(str(s.name)); break;
    }
  }
  return { users, groups, serviceAccounts };
}

function bindingTable(what: string): TableDef {
  return {
    columns: [
      nameColumn(),
      column('Role', 'string', 'Kind and name of the role being granted.'),
      ageColumn(),
      wide('Users', 'string', `Users named in the ${what}.`),
      wide('Groups', 'string', `Groups named in the ${what}.`),
      wide('ServiceAccounts', 'string', `Service accounts named in the ${what}.`),
    ],
    cells(obj, now) {
      const roleRef = rec(obj.roleRef);
      const { users, groups, serviceAccounts } = subjectNames(obj.subjects);
      return [
        nameOf(obj), `${str(roleRef.kind)}/${str(roleRef.name)}`, age(obj, now),
        users.join(', '), groups.join(', '), serviceAccounts.join(', '),
      ];
    },
  };
}

export const roleBindingTable = bindingTable('role binding');
export const clusterRoleBindingTable = bindingTable('cluster role binding');
