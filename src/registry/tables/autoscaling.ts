// HorizontalPodAutoscaler (autoscaling/v1 and v2 shapes) and Scale tables.

import type { TableDef } from '../types.ts';
import { age, ageColumn, column, int, isObj, nameColumn, nameOf, rec, str } from './format.ts';
import { formatQuantity } from './quantity.ts';

type Json = Record<string, unknown>;

/** A *Quantity field: "<nil>" when absent, as Go prints a nil pointer. */
function q(v: unknown): string {
  return v === undefined || v === null ? '<nil>' : formatQuantity(v);
}

function percent(v: unknown): string | undefined {
  return typeof v === 'number' ? `${Math.trunc(v)}%` : undefined;
}

/** spec.metrics, converting the autoscaling/v1 CPU target when that is what the object has. */
function specMetrics(spec: Json): Json[] {
  if (Array.isArray(spec.metrics)) return spec.metrics.map(rec);
  if (typeof spec.targetCPUUtilizationPercentage === 'number') {
    return [{
      type: 'Resource',
      resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: spec.targetCPUUtilizationPercentage } },
    }];
  }
  return [];
}

function statusMetrics(status: Json): Json[] {
  if (Array.isArray(status.currentMetrics)) return status.currentMetrics.map(rec);
  if (typeof status.currentCPUUtilizationPercentage === 'number') {
    return [{
      type: 'Resource',
      resource: { name: 'cpu', current: { averageUtilization: status.currentCPUUtilizationPercentage } },
    }];
  }
  return [];
}

/** "current/target" for a value or average-value metric; "(avg)" marks the latter. */
function valueOrAverage(target: Json, current: Json | undefined): string {
  if (target.averageValue !== undefined && target.averageValue !== null) {
    const cur = current && current.averageValue !== undefined && current.averageValue !== null
      ? formatQuantity(current.averageValue) : '<unknown>';
    return `${cur}/${formatQuantity(target.averageValue)} (avg)`;
  }
  const cur = current ? q(current.value) : '<unknown>';
  return `${cur}/${q(target.value)}`;
}

/** "cpu: 50%/80%" style text for a (container) resource metric. */
function resourceMetric(source: Json, status: Json | undefined): string {
  const target = rec(source.target);
  const name = str(source.name);
  const current = status ? rec(status.current) : undefined;
  if (target.averageValue !== undefined && target.averageValue !== null) {
    return `${name}: ${current ? q(current.averageValue) : '<unknown>'}/${formatQuantity(target.averageValue)}`;
  }
  const cur = (current && percent(current.averageUtilization)) ?? '<unknown>';
  return `${name}: ${cur}/${percent(target.averageUtilization) ?? '<auto>'}`;
}

/** The TARGETS cell: up to two metrics, then "+ N more...". */
export function formatHPAMetrics(specs: Json[], statuses: Json[]): string {
  if (specs.length === 0) return '<none>';
  const list = specs.map((spec, i) => {
    const st = statuses[i] ?? {};
    const field = (key: string): Json | undefined => (isObj(st[key]) ? (st[key] as Json) : undefined);
    switch (spec.type) {
      case 'External': {
        const s = field('external');
        return valueOrAverage(rec(rec(spec.external).target), s ? rec(s.current) : undefined);
      }
      case 'Pods': {
        const s = field('pods');
        const cur = s ? q(rec(s.current).averageValue) : '<unknown>';
        return `${cur}/${q(rec(rec(spec.pods).target).averageValue)}`;
      }
      case 'Object': {
        const s = field('object');
        return valueOrAverage(rec(rec(spec.object).target), s ? rec(s.current) : undefined);
      }
      case 'Resource':
        return resourceMetric(rec(spec.resource), field('resource'));
      case 'ContainerResource':
        return resourceMetric(rec(spec.containerResource), field('containerResource'));
      default:
        return '<unknown type>';
    }
  });
  const max = 2;
  if (list.length > max) return `${list.slice(0, max).join(', ')} + ${list.length - max} more...`;
  return list.join(', ');
}

export const horizontalPodAutoscalerTable: TableDef = {
  columns: [
    nameColumn(),
    column('Reference', 'string', 'Kind and name of the object being scaled.'),
    column('Targets', 'string', 'Current and target values of the scaling metrics.'),
    column('MinPods', 'string', 'Lowest replica count the autoscaler may set.'),
    column('MaxPods', 'string', 'Highest replica count the autoscaler may set.'),
    column('Replicas', 'string', 'Replica count last seen by the autoscaler.'),
    ageColumn(),
  ],
  cells(obj, now) {
    const spec = rec(obj.spec);
    const status = rec(obj.status);
    const ref = rec(spec.scaleTargetRef);
    return [
      nameOf(obj),
      `${str(ref.kind)}/${str(ref.name)}`,
      formatHPAMetrics(specMetrics(spec), statusMetrics(status)),
      typeof spec.minReplicas === 'number' ? String(Math.trunc(spec.minReplicas)) : '<unset>',
      int(spec.maxReplicas),
      int(status.currentReplicas),
      age(obj, now),
    ];
  },
};

/** The scale subresource (autoscaling/v1 Scale). Its name column has no "name" format upstream. */
export const scaleTable: TableDef = {
  columns: [
    column('Name', 'string', 'Name of the scaled object.'),
    column('Desired', 'integer', 'Replicas asked for.'),
    column('Available', 'integer', 'Replicas observed.'),
    ageColumn(),
  ],
  cells(obj, now) {
    return [nameOf(obj), int(rec(obj.spec).replicas), int(rec(obj.status).replicas), age(obj, now)];
  },
};
