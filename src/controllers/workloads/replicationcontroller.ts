// ReplicationControllers are run by the ReplicaSet controller's implementation
// (as upstream does), with a map selector, core/v1 owner references and the
// `replication-controller` event source.

export { startReplicationControllerController } from './replicaset.ts';
