import { ValidationTypes, getMetadataStorage } from 'class-validator';

/*
 * A quick "does this pass every rule?" for class-validator classes: the same rule metadata and the
 * same constraint classes that `validateSync` runs, without the error tree it builds for every
 * property of every object (a ValidationError, three filtered rule lists and two contexts per
 * property, valid or not). That tree was half of everything the gateway allocated per batch row
 * and a large part of its per-event CPU; the rows are almost always valid.
 *
 * It answers `true` only where `validateSync(object, { whitelist: true, forbidNonWhitelisted:
 * false })` finds nothing, and strips the properties without rules exactly as that call does.
 * `false` means "not certain": the caller runs `validateSync` for the errors. Anything this
 * does not mirror (async or promise rules, `IsDefined`, unknown rule types) answers `false`.
 * The spec checks it against `validateSync` on random valid and invalid events.
 */

type Storage = ReturnType<typeof getMetadataStorage>;
type RuleMetadata = ReturnType<Storage['getTargetValidationMetadatas']>[number];
type Constraint = ReturnType<Storage['getTargetValidatorConstraints']>[number];

interface CustomRule {
  metadata: RuleMetadata;
  /** The constraint classes' instances, fetched once (class-validator asks its container per use). */
  validators: { validate(value: unknown, args: object): unknown }[];
  /** The same answer as `validators` for most values, without allocating (see `LENGTH_RULES`); undefined: ask them. */
  quick?: (value: unknown, constraints: unknown[]) => boolean | undefined;
}

/**
 * Characters validator.js's `isLength` does not count one for one (surrogate pairs, the emoji and
 * text presentation selectors). A string without any has a length of `.length`.
 */
const NOT_ONE_FOR_ONE = /[\uD800-\uDFFF\uFE0E\uFE0F]/;

/** `isLength(value, { min, max })` as validator.js answers it, for strings it counts one for one. */
function lengthWithin(value: unknown, min: unknown, max: unknown): boolean | undefined {
  if (typeof value !== 'string') return false;
  if (NOT_ONE_FOR_ONE.test(value)) return undefined;
  const len = value.length;
  return len >= ((min as number) || 0) && (typeof max === 'undefined' || len <= (max as number));
}

/**
 * class-validator's length rules, which call validator.js's `isLength`: it builds two arrays per
 * call (`match` with /g, or `[]`) to count characters — a fifth of what validating a batch row
 * allocated, for the ~20 length rules of a canonical event. For the strings it counts one for one,
 * this is the same comparison without them; for any other string the rule itself answers.
 */
const LENGTH_RULES: Readonly<Record<string, CustomRule['quick']>> = {
  isLength: (v, c) => lengthWithin(v, c[0], c[1]),
  maxLength: (v, c) => lengthWithin(v, 0, c[0]),
  minLength: (v, c) => lengthWithin(v, c[0], undefined),
};

interface PropertyPlan {
  name: string;
  conditions: RuleMetadata[];
  customs: CustomRule[];
  /** Nested-validation rules (one is enough to walk the value; more walk it again for nothing). */
  nested: RuleMetadata | undefined;
}

interface ClassPlan {
  /** No rules at all: class-validator reports an unknown value. */
  unknown: boolean;
  /** Something this precheck does not mirror: always defer to class-validator. */
  unsupported: boolean;
  properties: PropertyPlan[];
  allowed: Set<string>;
}

const SUPPORTED = new Set<string>([
  ValidationTypes.CUSTOM_VALIDATION,
  ValidationTypes.NESTED_VALIDATION,
  ValidationTypes.CONDITIONAL_VALIDATION,
  ValidationTypes.WHITELIST,
]);

let plans = new Map<unknown, Map<string | undefined, ClassPlan>>();
let constraintsByClass = new Map<unknown, Constraint[]>();
let hooked = false;

/** Plans are forgotten whenever rules or constraint classes are registered. */
function hookRegistration(storage: Storage): void {
  if (hooked) return;
  hooked = true;
  const forget = () => {
    plans = new Map();
    constraintsByClass = new Map();
  };
  const addRule = storage.addValidationMetadata.bind(storage);
  storage.addValidationMetadata = (m) => {
    forget();
    addRule(m);
  };
  const addConstraint = storage.addConstraintMetadata.bind(storage);
  storage.addConstraintMetadata = (m) => {
    forget();
    addConstraint(m);
  };
}

function constraintsOf(storage: Storage, cls: unknown): Constraint[] {
  let found = constraintsByClass.get(cls);
  if (!found) constraintsByClass.set(cls, (found = storage.getTargetValidatorConstraints(cls as never)));
  return found;
}

function planFor(target: unknown, schema: string | undefined): ClassPlan {
  let bySchema = plans.get(target);
  if (!bySchema) plans.set(target, (bySchema = new Map()));
  const cached = bySchema.get(schema);
  if (cached) return cached;
  const storage = getMetadataStorage();
  hookRegistration(storage);

  // The arguments class-validator's executor passes (no groups, not `always`, not strict).
  const rules = storage.getTargetValidationMetadatas(target as never, schema as never, false, false, undefined as never);
  const grouped = storage.groupByPropertyName(rules);
  const plan: ClassPlan = { unknown: rules.length === 0, unsupported: false, properties: [], allowed: new Set() };
  for (const [name, list] of Object.entries(grouped)) {
    if (list.length) plan.allowed.add(name);
    const property: PropertyPlan = { name, conditions: [], customs: [], nested: undefined };
    for (const m of list) {
      if (!SUPPORTED.has(m.type)) plan.unsupported = true;
      else if (m.type === ValidationTypes.CONDITIONAL_VALIDATION) property.conditions.push(m);
      else if (m.type === ValidationTypes.NESTED_VALIDATION) property.nested ??= m;
      else if (m.type === ValidationTypes.CUSTOM_VALIDATION) {
        const constraints = constraintsOf(storage, m.constraintCls);
        if (constraints.some((c) => c.async)) plan.unsupported = true;
        const quick = constraints.length === 1 && Object.hasOwn(LENGTH_RULES, constraints[0].name) ? LENGTH_RULES[constraints[0].name] : undefined;
        property.customs.push({ metadata: m, validators: constraints.map((c) => c.instance as CustomRule['validators'][number]), quick });
      }
    }
    plan.properties.push(property);
  }
  bySchema.set(schema, plan);
  return plan;
}

const isCollection = (v: unknown): v is unknown[] | Set<unknown> | Map<unknown, unknown> => Array.isArray(v) || v instanceof Set || v instanceof Map;

/**
 * The arguments class-validator passes a constraint (`ValidationArguments`). One object per checked
 * object, refilled for each rule: the constraints read it while they run and keep nothing (async
 * ones are not run here). A new one per rule, with a closure per property, was two thirds of what
 * this precheck allocated.
 */
interface RuleArguments {
  targetName: string | undefined;
  property: string;
  object: object;
  value: unknown;
  constraints: unknown[];
}

function passesCustom(object: object, value: unknown, rule: CustomRule, args: RuleArguments): boolean {
  const m = rule.metadata;
  if (m.validateIf && !m.validateIf(object, value)) return true;
  if (rule.quick && !m.each) {
    const answer = rule.quick(value, m.constraints);
    if (answer !== undefined) return answer;
  }
  args.property = m.propertyName;
  args.value = value;
  args.constraints = m.constraints;
  for (const validator of rule.validators) {
    if (!m.each || !isCollection(value)) {
      if (validator.validate(value, args) !== true) return false;
    } else {
      for (const item of value instanceof Map ? value.values() : value) if (validator.validate(item, args) !== true) return false;
    }
  }
  return true;
}

/** Mirrors `nestedValidations` for one value (an element of a collection is checked the same way). */
function passesNested(value: unknown, rule: RuleMetadata): boolean {
  if (value === undefined) return true;
  if (isCollection(value)) {
    for (const item of value instanceof Map ? value.values() : value) if (!passesNested(item, rule)) return false;
    return true;
  }
  if (!(value instanceof Object)) return false;
  const schema = typeof rule.target === 'string' ? rule.target : rule.target.name;
  return passesObject(value, schema);
}

function passesObject(object: object, schema: string | undefined): boolean {
  const plan = planFor(object.constructor, schema);
  if (plan.unknown || plan.unsupported) return false;
  // whitelist: properties without rules are removed (forbidNonWhitelisted is off).
  for (const key of Object.keys(object)) if (!plan.allowed.has(key)) delete (object as Record<string, unknown>)[key];
  const args: RuleArguments = { targetName: object.constructor ? object.constructor.name : undefined, property: '', object, value: undefined, constraints: [] };
  for (const p of plan.properties) {
    const value = (object as Record<string, unknown>)[p.name];
    if (value instanceof Promise) return false;
    if (!meetsConditions(object, value, p.conditions)) continue;
    for (const rule of p.customs) if (!passesCustom(object, value, rule, args)) return false;
    if (p.nested && !passesNested(value, p.nested)) return false;
  }
  return true;
}

/** Whether every `ValidateIf` of a property holds (a loop: a closure per property added up). */
function meetsConditions(object: object, value: unknown, conditions: RuleMetadata[]): boolean {
  for (const c of conditions) if (!(c.constraints[0] as (o: object, v: unknown) => boolean)(object, value)) return false;
  return true;
}

/**
 * True when `validateSync(object, { whitelist: true, forbidNonWhitelisted: false })` would report
 * no error; false when it would, or when this cannot tell. Strips rule-less properties as that
 * call does either way.
 */
export function passesAllRules(object: object): boolean {
  return passesObject(object, undefined);
}
