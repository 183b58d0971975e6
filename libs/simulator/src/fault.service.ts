import { Inject, Injectable } from '@nestjs/common';
import { isPlatformEndpoint, PLATFORM_ENDPOINTS, type PlatformEndpoint } from './platform-endpoints';
import { SIMULATOR_OPTIONS, type ResolvedSimulatorOptions } from './simulator-options';

/** `reset` drops the connection without an answer; `503` answers Service Unavailable. */
export type OutageMode = 'reset' | '503';

export interface BusinessCodeFault {
  code: string;
  projectNo?: string;
  sourceCaseId?: string;
  taskCode?: string;
  endpoint?: PlatformEndpoint;
  /** How many matching calls get the code; unlimited when absent. */
  times?: number;
}

export interface FaultSettings {
  latencyMs: number;
  errorRate: number;
  outage: OutageMode | false;
  /** Overrides the configured rate limit while set. */
  rateLimitPerSecond?: number;
  businessCodes: (BusinessCodeFault & { hits: number })[];
}

export interface CallFacts {
  endpoint: PlatformEndpoint;
  projectNo?: string;
  sourceCaseId?: string;
  taskCode?: string;
}

export class FaultSettingsError extends Error {}

const NO_FAULTS = (): FaultSettings => ({ latencyMs: 0, errorRate: 0, outage: false, businessCodes: [] });

function parseBusinessCode(raw: unknown, index: number): BusinessCodeFault {
  const where = `businessCodes[${index}]`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new FaultSettingsError(`${where} must be an object`);
  const r = raw as Record<string, unknown>;
  if ((typeof r.code !== 'string' && typeof r.code !== 'number') || String(r.code) === '') {
    throw new FaultSettingsError(`${where}.code must be a business code such as "9999"`);
  }
  const fault: BusinessCodeFault = { code: String(r.code) };
  for (const key of ['projectNo', 'sourceCaseId', 'taskCode'] as const) {
    if (r[key] === undefined || r[key] === null) continue;
    if (typeof r[key] !== 'string') throw new FaultSettingsError(`${where}.${key} must be a string`);
    fault[key] = r[key];
  }
  if (r.endpoint !== undefined && r.endpoint !== null) {
    if (!isPlatformEndpoint(r.endpoint))
      throw new FaultSettingsError(`${where}.endpoint must be one of ${PLATFORM_ENDPOINTS.join(', ')}`);
    fault.endpoint = r.endpoint;
  }
  if (r.times !== undefined && r.times !== null) {
    if (typeof r.times !== 'number' || !Number.isInteger(r.times) || r.times < 1)
      throw new FaultSettingsError(`${where}.times must be an integer >= 1`);
    fault.times = r.times;
  }
  return fault;
}

/** Injected faults: latency, random HTTP 500s, an outage, a rate-limit override, forced business codes. */
@Injectable()
export class FaultService {
  private settings: FaultSettings = NO_FAULTS();

  constructor(@Inject(SIMULATOR_OPTIONS) private readonly options: ResolvedSimulatorOptions) {}

  current(): FaultSettings {
    return structuredClone(this.settings);
  }

  /** Replaces all faults (PUT); `merge` keeps the ones not mentioned (PATCH). */
  apply(input: unknown, merge = false): FaultSettings {
    if (typeof input !== 'object' || input === null || Array.isArray(input))
      throw new FaultSettingsError('faults must be a JSON object');
    const r = input as Record<string, unknown>;
    const next: FaultSettings = merge ? structuredClone(this.settings) : NO_FAULTS();
    if (r.latencyMs !== undefined) {
      if (typeof r.latencyMs !== 'number' || !(r.latencyMs >= 0) || r.latencyMs > 600_000)
        throw new FaultSettingsError('latencyMs must be a number of milliseconds between 0 and 600000');
      next.latencyMs = r.latencyMs;
    }
    if (r.errorRate !== undefined) {
      if (typeof r.errorRate !== 'number' || !(r.errorRate >= 0 && r.errorRate <= 1))
        throw new FaultSettingsError('errorRate must be a number between 0 and 1');
      next.errorRate = r.errorRate;
    }
    if (r.outage !== undefined) {
      if (r.outage === true || r.outage === 'reset') next.outage = 'reset';
      else if (r.outage === '503' || r.outage === 503) next.outage = '503';
      else if (r.outage === false || r.outage === null) next.outage = false;
      else throw new FaultSettingsError('outage must be true / "reset" (drop connections), "503", or false');
    }
    if (r.rateLimitPerSecond !== undefined) {
      if (r.rateLimitPerSecond === null) delete next.rateLimitPerSecond;
      else if (typeof r.rateLimitPerSecond !== 'number' || !(r.rateLimitPerSecond > 0))
        throw new FaultSettingsError('rateLimitPerSecond must be a positive number');
      else next.rateLimitPerSecond = r.rateLimitPerSecond;
    }
    if (r.businessCodes !== undefined) {
      if (!Array.isArray(r.businessCodes)) throw new FaultSettingsError('businessCodes must be an array');
      next.businessCodes = r.businessCodes.map((raw, i) => ({ ...parseBusinessCode(raw, i), hits: 0 }));
    }
    this.settings = next;
    return this.current();
  }

  clear(): void {
    this.settings = NO_FAULTS();
  }

  latencyMs(): number {
    return this.settings.latencyMs;
  }

  outage(): OutageMode | false {
    return this.settings.outage;
  }

  shouldFail(random: () => number = Math.random): boolean {
    return this.settings.errorRate > 0 && random() < this.settings.errorRate;
  }

  rateLimitPerSecond(): number {
    return this.settings.rateLimitPerSecond ?? this.options.rateLimitPerSecond;
  }

  /** The business code to force on this call, if a fault matches; counts the hit. */
  takeBusinessCode(facts: CallFacts): string | undefined {
    const fault = this.settings.businessCodes.find(
      (f) =>
        (f.times === undefined || f.hits < f.times) &&
        (f.endpoint === undefined || f.endpoint === facts.endpoint) &&
        (f.projectNo === undefined || f.projectNo === facts.projectNo) &&
        (f.sourceCaseId === undefined || f.sourceCaseId === facts.sourceCaseId) &&
        (f.taskCode === undefined || f.taskCode === facts.taskCode),
    );
    if (!fault) return undefined;
    fault.hits++;
    return fault.code;
  }
}
