// admissionregistration.k8s.io tables: webhook configurations, validating and
// mutating admission policies and their bindings.

import type { TableDef } from '../types.ts';
import { age, ageColumn, arr, column, isObj, nameColumn, nameOf, rec, sortedStrings, str, strMap } from './format.ts';

function webhookTable(): TableDef {
  return {
    columns: [
      nameColumn('Name of the configuration.'),
      column('Webhooks', 'integer', 'Number of webhooks in the configuration.'),
      ageColumn(),
    ],
    cells(obj, now) {
      return [nameOf(obj), arr(obj.webhooks).length, age(obj, now)];
    },
  };
}

export const mutatingWebhookConfigurationTable = webhookTable();
export const validatingWebhookConfigurationTable = webhookTable();

function policyTable(countField: 'validations' | 'mutations', countColumn: string, what: string): TableDef {
  return {
    columns: [
      nameColumn('Name of the policy.'),
      column(countColumn, 'integer', `Number of ${what} in the policy.`),
      column('ParamKind', 'string', 'API version and kind of the parameter resource.'),
      ageColumn(),
    ],
    cells(obj, now) {
      const spec = rec(obj.spec);
      const paramKind = isObj(spec.paramKind)
        ? `${str(spec.paramKind.apiVersion)}/${str(spec.paramKind.kind)}`
        : '<unset>';
      return [nameOf(obj), arr(spec[countField]).length, paramKind, age(obj, now)];
    },
  };
}

export const validatingAdmissionPolicyTable = policyTable('validations', 'Validations', 'validation rules');
export const mutatingAdmissionPolicyTable = policyTable('mutations', 'Mutations', 'mutations');

/** A LabelSelector in the Go struct notation upstream prints for param selectors. */
function goSelectorText(sel: Record<string, unknown>): string {
  const labels = strMap(sel.matchLabels);
  const labelText = sortedStrings(Object.keys(labels)).map((k) => `${k}: ${labels[k]},`).join('');
  const exprText = arr(sel.matchExpressions).map((raw) => {
    const e = rec(raw);
    const values = arr(e.values).map(str).join(' ');
    return `LabelSelectorRequirement{Key:${str(e.key)},Operator:${str(e.operator)},Values:[${values}],},`;
  }).join('');
  return `&LabelSelector{MatchLabels:map[string]string{${labelText}},MatchExpressions:[]LabelSelectorRequirement{${exprText}},}`;
}

function paramRefText(ref: unknown): string {
  if (!isObj(ref)) return '<unset>';
  const name = str(ref.name);
  if (name !== '') return str(ref.namespace) !== '' ? `${str(ref.namespace)}/${name}` : `*/${name}`;
  if (isObj(ref.selector)) return goSelectorText(ref.selector);
  return '<unset>';
}

function bindingTable(): TableDef {
  return {
    columns: [
      nameColumn('Name of the binding.'),
      column('PolicyName', 'string', 'The policy this binding applies.'),
      column('ParamRef', 'string', 'The parameter resource given to the policy.'),
      ageColumn(),
    ],
    cells(obj, now) {
      const spec = rec(obj.spec);
      return [nameOf(obj), str(spec.policyName), paramRefText(spec.paramRef), age(obj, now)];
    },
  };
}

export const validatingAdmissionPolicyBindingTable = bindingTable();
export const mutatingAdmissionPolicyBindingTable = bindingTable();
