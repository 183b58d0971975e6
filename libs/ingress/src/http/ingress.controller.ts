import type { IncomingMessage } from 'node:http';
import { Controller, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiConsumes, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { IngestService } from '../ingest.service';
import { clientAddressOf } from '../ingress-throttle';

export function headerRecord(req: Pick<IncomingMessage, 'headers'>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') out[k.toLowerCase()] = v;
  return out;
}

@ApiTags('部门接入 Department ingress')
@Controller('api/v1/departments')
export class IngressController {
  constructor(private readonly ingest: IngestService) {}

  @Post(':dept/events')
  @HttpCode(202)
  @ApiBearerAuth()
  @ApiOperation({
    summary: '部门系统推送一个环节事件 A department system posts one stage event, in its own format',
    description: 'Body in the department\'s own dialect (departments.md). Answers 202 accepted · 200 duplicate · 400 unreadable · 401 bad token · 403 restricted/another department · 404 unknown department · 413 too large · 429 over a rate limit (Retry-After) · 415 wrong content type · 422 invalid (every failing field listed) · 503 cannot store now.',
  })
  @ApiParam({ name: 'dept', example: 'scjg' })
  @ApiConsumes('application/json', 'text/xml', 'application/x-www-form-urlencoded')
  @ApiResponse({ status: 202, description: '{"eventId","caseId","status"}' })
  @ApiResponse({ status: 422, description: '{"code","message","errors":[{"field","code","message"}]}' })
  async postEvent(@Param('dept') dept: string, @Req() req: Request & { id?: string }, @Res() res: Response): Promise<void> {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const reply = await this.ingest.receiveEvent({
      department: dept,
      authorization: req.headers.authorization,
      headers: headerRecord(req),
      contentType: req.headers['content-type'],
      body,
      correlationId: req.id,
      clientAddress: clientAddressOf(req),
    });
    if (reply.headers) res.set(reply.headers);
    res.status(reply.status).type(reply.contentType).send(reply.body);
  }
}
