import 'reflect-metadata';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsIn,
  IsArray,
  IsInt,
  IsISO8601,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import {
  APPLY_CHANNEL_NAMES,
  ApplyChannel,
  CERT_TYPE_CODES,
  CertType,
  PARTY_KIND_NAMES,
  PartyKind,
  ResultType,
} from './codes';
import { STAGES, Stage } from './stages';

/** An applicant, co-owner or agent. */
export class PartyDto {
  @IsIn(PARTY_KIND_NAMES)
  kind!: PartyKind;

  @IsString()
  @Length(1, 200)
  name!: string;

  @IsIn(CERT_TYPE_CODES)
  certType!: CertType;

  @IsString()
  @Length(1, 64)
  certNo!: string;

  @IsOptional()
  @IsString()
  @MaxLength(32)
  phone?: string;

  /** 法定代表人, for organisations. */
  @IsOptional()
  @IsString()
  @MaxLength(100)
  legalRep?: string;
}

export class HandlerDto {
  @IsOptional()
  @IsString()
  @MaxLength(100)
  name?: string;

  @IsOptional()
  @IsString()
  @MaxLength(200)
  unit?: string;
}

export class CaseResultDto {
  @IsInt()
  @Min(0)
  @Max(6)
  type!: ResultType;

  @IsOptional()
  @IsString()
  @MaxLength(2000)
  explain?: string;

  @IsOptional()
  @IsString()
  @MaxLength(200)
  certificateName?: string;

  @IsOptional()
  @IsString()
  @MaxLength(100)
  certificateNo?: string;
}

export class SpecialProcedureDto {
  /** 听证 · 公示 · 核实/检验检测 · 专家评审 · 挂起. */
  @IsString()
  @Length(1, 50)
  name!: string;

  @IsOptional()
  @IsString()
  @MaxLength(2000)
  reason?: string;

  @IsOptional()
  @IsString()
  @MaxLength(2000)
  result?: string;
}

export class MaterialDto {
  @IsString()
  @Length(1, 200)
  name!: string;

  @IsOptional()
  @IsString()
  @MaxLength(20)
  getType?: string;

  @IsOptional()
  @IsInt()
  @Min(0)
  count?: number;
}

/**
 * One stage event of one case, in the gateway's own language. Every department adapter maps its
 * dialect into this; every platform adapter maps this into the platform's fields.
 */
export class CanonicalEventDto {
  /** Department code from the catalogue, e.g. `SCJG`. */
  @IsString()
  @Length(2, 16)
  department!: string;

  /** The department's own event / message id: the idempotency key. */
  @IsString()
  @Length(1, 128)
  sourceEventId!: string;

  /** The department's own case number (受理编号 / 业务编号). */
  @IsString()
  @Length(1, 64)
  sourceCaseNo!: string;

  /** The platform's project_no when the case came in online (申办号). */
  @IsOptional()
  @IsString()
  @Length(1, 64)
  platformProjectNo?: string;

  @IsString()
  @Length(12, 36)
  matterCode!: string;

  @IsString()
  @Length(1, 200)
  matterName!: string;

  @IsIn(STAGES)
  stage!: Stage;

  /** The department's own name for the step (e.g. 缴费), shown as process_name. */
  @IsOptional()
  @IsString()
  @MaxLength(50)
  stageName?: string;

  /** When the stage happened, ISO-8601 with offset. */
  @IsISO8601({ strict: true, strictSeparator: true })
  stageTime!: string;

  /** The department's own sequence number within the case, when it has one. */
  @IsOptional()
  @IsInt()
  @Min(0)
  sourceSeq?: number;

  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => HandlerDto)
  handler?: HandlerDto;

  @IsOptional()
  @IsString()
  @MaxLength(2000)
  opinion?: string;

  @IsArray()
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
  @Type(() => PartyDto)
  applicants!: PartyDto[];

  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => PartyDto)
  agent?: PartyDto;

  /** Address of the object of the case (坐落), not personal contact data. */
  @IsOptional()
  @IsString()
  @MaxLength(300)
  address?: string;

  /** Division code of where the case was handled (county hall, township centre, village point). */
  @IsOptional()
  @IsString()
  location?: string;

  @IsOptional()
  @IsIn(APPLY_CHANNEL_NAMES)
  applyChannel?: ApplyChannel;

  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => CaseResultDto)
  result?: CaseResultDto;

  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => SpecialProcedureDto)
  special?: SpecialProcedureDto;

  @IsOptional()
  @IsArray()
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @ArrayMaxSize(200)
  @Type(() => MaterialDto)
  materials?: MaterialDto[];
}

/** Plain-object form of the canonical event (what adapters build and what is stored). */
export type CanonicalEvent = {
  [K in keyof CanonicalEventDto]: CanonicalEventDto[K];
};

/** A problem with one field: the 422 answer lists every one. */
export interface FieldIssue {
  /** Path in the canonical event, e.g. `agent.certNo`. */
  field: string;
  /** Stable code, e.g. `ID_CHECK_DIGIT`. */
  code: string;
  message: string;
}

/** Something accepted but worth recording on the case (a converted ID, a pilot USCC). */
export type CaseWarning = FieldIssue;
