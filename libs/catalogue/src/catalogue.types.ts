import type { MatterType, TimeLimitUnit } from '#gw/case';

/** Why a matter may not pass the gateway. */
export type MatterRestriction = 'CLASSIFIED' | 'UPSTREAM';

export interface DepartmentEntry {
  /** Short upper-case code used in URLs (lower case there) and env names: `SCJG`. */
  code: string;
  name: string;
  /** The department's unified social credit code (org_code on the platform). */
  orgCode: string;
  /** Name of the adapter folder under libs/adapters/src/departments/. */
  adapter: string;
  enabled: boolean;
  /** All of the department's data is classified: every request is refused with 403, payload not kept. */
  restricted: boolean;
  /** Where the department system receives forwarded online applications (push departments). */
  deliveryUrl?: string;
  /** Adapter-specific settings (the declarative mapping of a configuration-only adapter). */
  options?: Record<string, unknown>;
}

export interface MatterEntry {
  /** 事项实施编码. */
  taskCode: string;
  name: string;
  /** Code of the implementing department. */
  department: string;
  type: MatterType;
  /** 办件类型: 1 即办 2 承诺 3 联办 4 上报. */
  projectType: 1 | 2 | 3 | 4;
  onlineCapable: boolean;
  restriction: MatterRestriction | null;
  timeLimit?: { value: number; unit: TimeLimitUnit };
  /** Whether completion with result 0 issues a certificate (its number is then required). */
  issuesCertificate: boolean;
}
