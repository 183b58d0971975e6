import { Controller, Get, HttpCode, Inject, NotFoundException, Param, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { PINGJIANG_COUNTY, maskFreeText, maskName } from '#gw/case';
import { ErrorCodes, GatewayError, PersonalDataCipher } from '#gw/common';
import { DepartmentAuth, OperatorGuard } from '#gw/ingress';
import { CallbackRepository } from '#gw/persistence';
import { CallbackService } from './callback.service';

@ApiTags('平台回调 Platform callbacks')
@Controller('api/v1/platform')
export class PlatformCallbackController {
  constructor(private readonly callbacks: CallbackService) {}

  @Post('callbacks')
  @HttpCode(200)
  @ApiOperation({
    summary: '市平台回调（网上申报、补正、撤件、督办、好差评） The city platform calls back',
    description: 'Signed like every platform call (X-App-Id, X-Timestamp, X-Nonce, X-Signature over the raw body). Answers {"code":"0"} once stored; the same answer again for a callback_id already stored.',
  })
  async receive(@Req() req: Request & { id?: string }, @Res() res: Response): Promise<void> {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const answer = await this.callbacks.receive(req.headers, raw, req.id, req.ip);
    res.status(200).json(answer);
  }
}

@ApiTags('平台回调 Platform callbacks')
@ApiBearerAuth()
@ApiCookieAuth()
@UseGuards(OperatorGuard)
@Controller('api/v1/callbacks')
export class CallbackQueryController {
  constructor(
    private readonly repo: CallbackRepository,
    private readonly cipher: PersonalDataCipher,
  ) {}

  private decrypt<T>(enc: string | null | undefined, fallback: T): T {
    try {
      return enc ? this.cipher.decryptJson<T>(enc) : fallback;
    } catch {
      return fallback;
    }
  }

  /** 督办: the platform's message (ID and mobile numbers, and the case's parties' names, masked) and deadline. */
  private urging(dataEnc: string | null, partiesEnc: string | undefined): { message: string; deadline: string | null } {
    const data = this.decrypt<Record<string, unknown>>(dataEnc, {});
    const parties = this.decrypt<{ applicants?: { name?: string }[]; agent?: { name?: string } | null }>(partiesEnc, {});
    const names = [...(parties.applicants ?? []), ...(parties.agent ? [parties.agent] : [])].map((p) => p.name ?? '').filter((n) => n.length > 1);
    let message = maskFreeText(typeof data.message === 'string' ? data.message.slice(0, 1000) : '');
    for (const name of names) message = message.split(name).join(maskName(name));
    return { message, deadline: typeof data.deadline === 'string' ? data.deadline.slice(0, 32) : null };
  }

  @Get()
  @ApiOperation({
    summary: '收到的回调（督办附内容与期限），个人信息脱敏 Callbacks received; urgings with their message and deadline, personal data masked',
    description: 'status: ROUTED / STORED / UNROUTABLE (待人工处理 waits for an operator) / REFUSED (涉密 classified). ?status= filters.',
  })
  async list(@Query('type') type?: string, @Query('dept') dept?: string, @Query('status') status?: string) {
    const rows = await this.repo.list({ type, department: dept?.toUpperCase(), status: status?.toUpperCase() });
    const parties = await this.repo.partiesOfProjects(rows.filter((r) => r.type === 'URGE').map((r) => r.projectNo ?? ''));
    return {
      items: rows.map((r) => ({
        waitsForOperator: r.status === 'UNROUTABLE',
        reason: /\[(\w+)\]/.exec(r.answerMsg ?? '')?.[1] ?? null,
        urging: r.type === 'URGE' ? this.urging(r.dataEnc, parties.get(r.projectNo ?? '')) : undefined,
        id: r.id,
        callbackId: r.callbackId,
        type: r.type,
        occurredAt: r.occurredAt,
        receivedAt: r.receivedAt.toISOString(),
        projectNo: r.projectNo,
        taskCode: r.taskCode,
        department: r.department,
        departmentCaseNo: r.departmentCaseNo,
        status: r.status,
        answerCode: r.answerCode,
        answerMsg: r.answerMsg,
        evaluationLevel: r.evaluationLevel,
      })),
    };
  }

  @Get('satisfaction')
  @ApiOperation({ summary: '好差评：按部门与事项的满意度 Satisfaction per department and matter' })
  async satisfaction() {
    return { county: PINGJIANG_COUNTY, items: await this.repo.satisfaction() };
  }
}

export const INBOX_SETTINGS = Symbol('INBOX_SETTINGS');
export interface InboxSettings {
  inboxLeaseMs: number;
  inboxDepartments: string[];
}

@ApiTags('部门接入 Department ingress')
@ApiBearerAuth()
@Controller('api/v1/departments')
export class InboxController {
  constructor(
    private readonly repo: CallbackRepository,
    private readonly auth: DepartmentAuth,
    private readonly cipher: PersonalDataCipher,
    @Inject(INBOX_SETTINGS) private readonly settings: InboxSettings,
  ) {}

  private async check(dept: string, authorization?: string): Promise<string> {
    const code = dept.toUpperCase();
    if (!this.settings.inboxDepartments.includes(code)) throw new GatewayError(ErrorCodes.NOT_FOUND, 404, `部门 ${code} 不使用收件箱 ${code} receives pushes, it has no inbox`);
    await this.auth.verify(code, authorization);
    return code;
  }

  @Get(':dept/inbox')
  @ApiOperation({ summary: '部门取件（医保） A department fetches what the platform sent for it; unacknowledged items come back after a lease' })
  async fetch(@Param('dept') dept: string, @Req() req: Request, @Query('limit') limit?: string) {
    const code = await this.check(dept, req.headers.authorization);
    const rows = await this.repo.leaseInbox(`INBOX:${code}`, Math.min(Math.max(Number(limit) || 50, 1), 500), this.settings.inboxLeaseMs);
    const items = [];
    for (const row of rows) {
      const cb = row.refId ? await this.repo.get(row.refId) : null;
      if (!cb) continue;
      items.push({
        // A text id whatever the driver returns for the BIGINT key (SQLite: a number).
        id: String(row.id),
        type: cb.type,
        callbackId: cb.callbackId,
        projectNo: cb.projectNo,
        occurredAt: cb.occurredAt,
        payload: cb.dataEnc ? this.cipher.decryptJson(cb.dataEnc) : null,
        deliveredAt: new Date().toISOString(),
        leaseUntil: row.leaseUntil?.toISOString(),
      });
    }
    return { items };
  }

  @Post(':dept/inbox/:id/ack')
  @HttpCode(200)
  @ApiOperation({ summary: '确认已取件 Acknowledge an item taken from the inbox' })
  async ack(@Param('dept') dept: string, @Param('id') id: string, @Req() req: Request) {
    const code = await this.check(dept, req.headers.authorization);
    const result = await this.repo.ackInbox(`INBOX:${code}`, id);
    if (result === 'UNKNOWN') throw new NotFoundException('收件箱中没有这一项 no such inbox item');
    return { id, status: result };
  }
}
