import { Controller, Param, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiConsumes, ApiHeader, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Request, Response } from 'express';
import { textSlices } from '#gw/common';
import { BatchIngestService } from '../batch-ingest.service';
import { headerRecord } from './ingress.controller';
import { clientAddressOf } from '../ingress-throttle';

@ApiTags('部门接入 Department ingress')
@Controller('api/v1/departments')
export class BatchController {
  constructor(private readonly batches: BatchIngestService) {}

  @Post(':dept/batches')
  @ApiBearerAuth()
  @ApiOperation({
    summary: '部门系统上传批量文件（医保 CSV） A department uploads a batch file (YBJ nightly CSV)',
    description: 'UTF-8 with BOM, or GBK with `X-Charset: GBK`; `X-Batch-Id` names the file. The answer lists every row: ACCEPTED / DUPLICATE / REJECTED (with reasons). Valid rows are kept when others fail; the same batch again changes nothing.',
  })
  @ApiParam({ name: 'dept', example: 'ybj' })
  @ApiConsumes('text/csv')
  @ApiHeader({ name: 'X-Batch-Id', required: false })
  @ApiHeader({ name: 'X-Charset', required: false, description: 'GBK' })
  async postBatch(@Param('dept') dept: string, @Req() req: Request & { id?: string }, @Res() res: Response): Promise<void> {
    const reply = await this.batches.receiveBatch({
      department: dept,
      authorization: req.headers.authorization,
      headers: headerRecord(req),
      contentType: req.headers['content-type'],
      body: req,
      correlationId: req.id,
      clientAddress: clientAddressOf(req),
    });
    if (reply.headers) res.set(reply.headers);
    if (!reply.jsonParts) {
      res.status(reply.status).json(reply.body);
      return;
    }
    res.status(reply.status).type('application/json');
    await writeInSlices(res, reply.jsonParts);
  }
}

/**
 * Sends the pieces of a large answer a slice at a time, with the connection's back-pressure: the
 * answer is never joined, and only a slice or two of it is held encoded at a time (writing it
 * whole encoded all 11 MB of a 50,000-row answer into one buffer at once).
 */
async function writeInSlices(res: Response, parts: string[]): Promise<void> {
  function* slices() {
    for (const part of parts) yield* textSlices(part);
  }
  // A failure here is the client gone away: there is nobody left to answer.
  await pipeline(Readable.from(slices()), res).catch(() => undefined);
}
