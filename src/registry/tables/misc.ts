// Tables for the smaller API groups: policy, coordination, scheduling, node,
// certificates, flowcontrol, apiregistration, apiserverinternal,
// storagemigration.

import type { TableDef } from '../types.ts';
import {
  age, ageColumn, arr, column, conditionStatus, humanDuration, int, intOrString, isObj, listWithMore,
  nameColumn, nameOf, rec, str,
} from './format.ts';

export const podDisruptionBudgetTable: TableDef = {
  columns: [
    nameColumn(),
    column('Min Available', 'string', 'Pods that must stay available.'),
    column('Max Unavailable', 'string', 'Pods that may be unavailable at once.'),
    column('Allowed Disruptions', 'integer', 'Pods that may be evicted right now.'),
    ageColumn(),
  ],
  cells(obj, now) {
    const spec = rec(obj.spec);
    const orNA = (v: unknown) => (v === undefined || v === null ? 'N/A' : intOrString(v));
    return [
      nameOf(obj), orNA(spec.minAvailable), orNA(spec.maxUnavailable),
      int(rec(obj.status).disruptionsAllowed), age(obj, now),
    ];
  },
};

export const leaseTable: TableDef = {
  columns: [
    nameColumn(),
    column('Holder', 'string', 'Identity of the current lease holder.'),
    ageColumn(),
  ],
  cells(obj, now) {
    return [nameOf(obj), str(rec(obj.spec).holderIdentity), age(obj, now)];
  },
};

export const leaseCandidateTable: TableDef = {
  columns: [
    nameColumn(),
    column('LeaseName', 'string', 'Lease the candidate competes for.'),
    column('BinaryVersion', 'string', 'Binary version of the candidate.'),
    column('EmulationVersion', 'string', 'Version the candidate emulates.'),
    ageColumn(),
  ],
  cells(obj, now) {
    const spec = rec(obj.spec);
    return [nameOf(obj), str(spec.leaseName), str(spec.binaryVersion), str(spec.emulationVersion), age(obj, now)];
  },
};

export const priorityClassTable: TableDef = {
  columns: [
    nameColumn('Name of the priority class.'),
    column('Value', 'integer', 'Priority given to pods of this class.'),
    column('Global-Default', 'boolean', 'Whether pods without a class get this one.'),
    ageColumn(),
    column('PreemptionPolicy', 'string', 'Whether pods of this class may preempt others.'),
  ],
  cells(obj, now) {
    return [nameOf(obj), int(obj.value), obj.globalDefault === true, age(obj, now), str(obj.preemptionPolicy)];
  },
};

export const runtimeClassTable: TableDef = {
  columns: [
    nameColumn('Name of the runtime class.'),
    column('Handler', 'string', 'Container runtime handler the class selects.'),
    ageColumn(),
  ],
  cells(obj, now) {
    return [nameOf(obj), str(obj.handler), age(obj, now)];
  },
};

/** "Approved,Issued", "Pending", "Denied,Failed", ... */
function csrCondition(status: Record<string, unknown>): string {
  const types = new Set(arr(status.conditions).map((c) => rec(c).type));
  let text = types.has('Denied') ? 'Denied' : types.has('Approved') ? 'Approved' : 'Pending';
  if (types.has('Failed')) text += ',Failed';
  if (str(status.certificate).length > 0) text += ',Issued';
  return text;
}

export const certificateSigningRequestTable: TableDef = {
  columns: [
    nameColumn('Name of the request.'),
    ageColumn(),
    column('SignerName', 'string', 'Signer asked to issue the certificate.'),
    column('Requestor', 'string', 'User who made the request.'),
    column('RequestedDuration', 'string', 'Validity period asked for.'),
    column('Condition', 'string', 'Approval and issuance state.'),
  ],
  cells(obj, now) {
    const spec = rec(obj.spec);
    const duration = typeof spec.expirationSeconds === 'number'
      ? humanDuration(Math.trunc(spec.expirationSeconds) * 1000)
      : '<none>';
    return [
      nameOf(obj), age(obj, now), str(spec.signerName) || '<none>', str(spec.username), duration,
      csrCondition(rec(obj.status)),
    ];
  },
};

export const clusterTrustBundleTable: TableDef = {
  columns: [
    nameColumn('Name of the trust bundle.'),
    column('SignerName', 'string', 'Signer whose trust anchors the bundle holds.'),
  ],
  cells(obj) {
    return [nameOf(obj), str(rec(obj.spec).signerName) || '<none>'];
  },
};

export const flowSchemaTable: TableDef = {
  columns: [
    nameColumn('Name of the flow schema.'),
    column('PriorityLevel', 'string', 'Priority level matching requests are assigned to.'),
    column('MatchingPrecedence', 'string', 'Order in which schemas are tried; lower goes first.'),
    column('DistinguisherMethod', 'string', 'How matching requests are split into flows.'),
    ageColumn(),
    column('MissingPL', 'string', 'Whether the referenced priority level is missing.'),
  ],
  cells(obj, now) {
    const spec = rec(obj.spec);
    const distinguisher = isObj(spec.distinguisherMethod) ? str(spec.distinguisherMethod.type) : '<none>';
    const dangling = conditionStatus(rec(obj.status).conditions, 'Dangling') ?? '?';
    return [
      nameOf(obj), str(rec(spec.priorityLevelConfiguration).name), int(spec.matchingPrecedence),
      distinguisher, age(obj, now), dangling,
    ];
  },
};

export const priorityLevelConfigurationTable: TableDef = {
  columns: [
    nameColumn('Name of the priority level.'),
    column('Type', 'string', 'Exempt or Limited.'),
    column('NominalConcurrencyShares', 'string', 'Share of the server\'s concurrency this level gets.'),
    column('Queues', 'string', 'Number of queues.'),
    column('HandSize', 'string', 'Queues each flow is shuffle-sharded onto.'),
    column('QueueLengthLimit', 'string', 'Requests each queue may hold.'),
    ageColumn(),
  ],
  cells(obj, now) {
    const spec = rec(obj.spec);
    let shares: number | string = '<none>';
    let queues: number | string = '<none>';
    let handSize: number | string = '<none>';
    let queueLengthLimit: number | string = '<none>';
    if (isObj(spec.limited)) {
      shares = int(spec.limited.nominalConcurrencyShares);
      const queuing = rec(spec.limited.limitResponse).queuing;
      if (isObj(queuing)) {
        queues = int(queuing.queues);
        handSize = int(queuing.handSize);
        queueLengthLimit = int(queuing.queueLengthLimit);
      }
    }
    return [nameOf(obj), str(spec.type), shares, queues, handSize, queueLengthLimit, age(obj, now)];
  },
};

export const apiServiceTable: TableDef = {
  columns: [
    nameColumn('Name of the API service, version.group.'),
    column('Service', 'string', 'The reference to the service that hosts this API endpoint.'),
    column('Available', 'string', 'Whether this service is available.'),
    ageColumn(),
  ],
  cells(obj, now) {
    const spec = rec(obj.spec);
    const service = isObj(spec.service) ? `${str(spec.service.namespace)}/${str(spec.service.name)}` : 'Local';
    let available = 'Unknown';
    const cond = arr(rec(obj.status).conditions).map(rec).find((c) => c.type === 'Available');
    if (cond) {
      const status = str(cond.status);
      available = status !== 'True' && str(cond.reason) !== '' ? `${status} (${str(cond.reason)})` : status;
    }
    return [nameOf(obj), service, available, age(obj, now)];
  },
};

export const storageVersionTable: TableDef = {
  columns: [
    nameColumn('Name of the storage version, group.resource.'),
    column('CommonEncodingVersion', 'string', 'Encoding version all API servers agree on.'),
    column('StorageVersions', 'string', 'Encoding version each API server uses.'),
    ageColumn(),
  ],
  cells(obj, now) {
    const status = rec(obj.status);
    const versions = arr(status.storageVersions).map((v) => `${str(rec(v).apiServerID)}=${str(rec(v).encodingVersion)}`);
    return [
      nameOf(obj),
      typeof status.commonEncodingVersion === 'string' ? status.commonEncodingVersion : '<unset>',
      listWithMore(versions, 3),
      age(obj, now),
    ];
  },
};

/** Its name column carries no "name" format upstream. */
export const storageVersionMigrationTable: TableDef = {
  columns: [
    column('Name', 'string', 'Name of the migration.'),
    column('Resource', 'string', 'Resource being rewritten, resource.version.group.'),
  ],
  cells(obj) {
    const r = rec(rec(obj.spec).resource);
    const resource = typeof r.version === 'string'
      ? `${str(r.resource)}.${r.version}.${str(r.group)}`
      : str(r.group) ? `${str(r.resource)}.${str(r.group)}` : str(r.resource);
    return [nameOf(obj), resource];
  },
};
