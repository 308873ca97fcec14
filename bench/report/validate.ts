/**
 * A small JSON Schema validator for the report's schema (bench/report/schema.json). It implements
 * the keywords that schema uses, and refuses a schema with any other keyword, so the schema cannot
 * silently say more than is checked: type, const, enum, properties, required,
 * additionalProperties, items, minItems, minLength, pattern, minimum, exclusiveMinimum, and local
 * `$ref`s (`#/$defs/name`). Annotations (title, description, $schema, $id, $defs) are skipped.
 */
import reportSchema from './schema.json';

/** A JSON Schema (the subset above). */
export type JsonSchema = { [keyword: string]: unknown };

const CHECKED = new Set([
  'type',
  'const',
  'enum',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'minItems',
  'minLength',
  'pattern',
  'minimum',
  'exclusiveMinimum',
  '$ref',
]);
const ANNOTATIONS = new Set(['$schema', '$id', '$defs', 'title', 'description']);

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function hasType(v: unknown, t: string): boolean {
  const actual = typeOf(v);
  return actual === t || (t === 'number' && actual === 'integer');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function resolveRef(root: JsonSchema, ref: string): JsonSchema {
  const m = /^#\/\$defs\/([\w-]+)$/.exec(ref);
  const defs = root.$defs as Record<string, JsonSchema> | undefined;
  const target = m && defs ? defs[m[1]] : undefined;
  if (!target) throw new Error(`schema: unresolvable $ref ${ref}`);
  return target;
}

function check(root: JsonSchema, schema: JsonSchema, v: unknown, path: string, errors: string[]): void {
  for (const k of Object.keys(schema)) {
    if (!CHECKED.has(k) && !ANNOTATIONS.has(k)) throw new Error(`schema: keyword "${k}" at ${path} is not supported by this validator`);
  }
  if (typeof schema.$ref === 'string') check(root, resolveRef(root, schema.$ref), v, path, errors);
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    if (!types.some((t) => hasType(v, t))) {
      errors.push(`${path}: expected ${types.join(' or ')}, got ${typeOf(v)}`);
      return;
    }
  }
  if ('const' in schema && v !== schema.const) errors.push(`${path}: expected ${JSON.stringify(schema.const)}, got ${JSON.stringify(v)}`);
  if (Array.isArray(schema.enum) && !schema.enum.includes(v)) errors.push(`${path}: ${JSON.stringify(v)} is not one of ${JSON.stringify(schema.enum)}`);
  if (typeof v === 'number') {
    if (typeof schema.minimum === 'number' && !(v >= schema.minimum)) errors.push(`${path}: ${v} is below the minimum ${schema.minimum}`);
    if (typeof schema.exclusiveMinimum === 'number' && !(v > schema.exclusiveMinimum)) errors.push(`${path}: ${v} is not above ${schema.exclusiveMinimum}`);
  }
  if (typeof v === 'string') {
    if (typeof schema.minLength === 'number' && v.length < schema.minLength) errors.push(`${path}: shorter than ${schema.minLength} characters`);
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(v))
      errors.push(`${path}: ${JSON.stringify(v)} does not match ${schema.pattern}`);
  }
  if (Array.isArray(v)) {
    if (typeof schema.minItems === 'number' && v.length < schema.minItems) errors.push(`${path}: fewer than ${schema.minItems} items`);
    if (isObject(schema.items)) v.forEach((x, i) => check(root, schema.items as JsonSchema, x, `${path}[${i}]`, errors));
  }
  if (isObject(v)) {
    const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
    // A property holding `undefined` is absent, as it is once the report is written as JSON.
    for (const name of (schema.required ?? []) as string[]) if (v[name] === undefined) errors.push(`${path}: missing required property "${name}"`);
    for (const [name, value] of Object.entries(v)) {
      if (value === undefined) continue;
      const where = `${path}.${name}`;
      if (props[name]) check(root, props[name], value, where, errors);
      else if (schema.additionalProperties === false) errors.push(`${where}: unexpected property`);
      else if (isObject(schema.additionalProperties)) check(root, schema.additionalProperties, value, where, errors);
    }
  }
}

/** Validates `value` against `schema`; returns the errors (empty when valid), each with its JSON path. */
export function validateJson(schema: JsonSchema, value: unknown): string[] {
  const errors: string[] = [];
  check(schema, schema, value, '$', errors);
  return errors;
}

/** The report's JSON Schema. */
export const REPORT_SCHEMA = reportSchema as JsonSchema;

/** Validates a report (e.g. a parsed JSON file) against bench/report/schema.json. */
export function validateReport(value: unknown): string[] {
  return validateJson(REPORT_SCHEMA, value);
}
