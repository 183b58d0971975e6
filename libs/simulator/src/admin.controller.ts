import { randomUUID } from 'node:crypto';
import { formatBeijingDateTime } from '#gw/case';
import {
  BadRequestException,
  ConflictException,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  NotFoundException,
  Patch,
  Post,
  Put,
  Query,
  UseGuards,
} from '@nestjs/common';
import { AdminTokenGuard } from './admin-token.guard';
import { CallbackRequestError, CallbackService, type CallbackDelivery } from './callback.service';
import { FaultService, FaultSettingsError, type FaultSettings } from './fault.service';
import { JsonBody } from './json-body.decorator';
import { RateLimitService } from './rate-limit.service';
import { SimulatorState, type ReceivedCall, type SimulatedCase, type SimulatorStatistics } from './simulator-state';

const optionalString = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

/** Inspection and fault control for tests and demos. Not signed; optionally bearer-protected. */
@Controller('admin')
@UseGuards(AdminTokenGuard)
export class AdminController {
  constructor(
    private readonly state: SimulatorState,
    private readonly faults: FaultService,
    private readonly rateLimit: RateLimitService,
    private readonly callbacks: CallbackService,
  ) {}

  @Get('received')
  received(
    @Query('project_no') projectNo: unknown,
    @Query('source_case_id') sourceCaseId: unknown,
    @Query('org_code') orgCode: unknown,
    @Query('endpoint') endpoint: unknown,
    @Query('app_id') appId: unknown,
  ): ReceivedCall[] {
    return this.state.receivedCalls({
      projectNo: optionalString(projectNo),
      sourceCaseId: optionalString(sourceCaseId),
      orgCode: optionalString(orgCode),
      endpoint: optionalString(endpoint),
      appId: optionalString(appId),
    });
  }

  @Get('cases')
  cases(): SimulatedCase[] {
    return this.state.listCases();
  }

  @Get('cases/:projectNo')
  case(@Param('projectNo') projectNo: string): SimulatedCase {
    const found = this.state.findCase(projectNo);
    if (!found) throw new NotFoundException(`unknown project_no ${projectNo}`);
    return found;
  }

  /** Deletes a case from the platform (data loss on the platform's side): reconciliation must find and re-send it. */
  @Delete('cases/:projectNo')
  deleteCase(@Param('projectNo') projectNo: string): { deleted: string } {
    if (!this.state.deleteCase(projectNo)) throw new NotFoundException(`unknown project_no ${projectNo}`);
    return { deleted: projectNo };
  }

  @Get('licenses')
  licenses() {
    return this.state.listLicenses();
  }

  @Get('stats')
  stats(): SimulatorStatistics & { callbacks: Record<CallbackDelivery['status'], number> } {
    const callbacks = { PENDING: 0, DELIVERED: 0, FAILED: 0 };
    for (const delivery of this.callbacks.list()) callbacks[delivery.status]++;
    return { ...this.state.statistics(), callbacks };
  }

  @Get('faults')
  currentFaults(): FaultSettings {
    return this.faults.current();
  }

  /** Replaces every fault setting: what the body leaves out is switched off. */
  @Put('faults')
  replaceFaults(@JsonBody() body: unknown): FaultSettings {
    return this.applyFaults(body, false);
  }

  /** Changes only the settings named in the body. */
  @Patch('faults')
  mergeFaults(@JsonBody() body: unknown): FaultSettings {
    return this.applyFaults(body, true);
  }

  @Delete('faults')
  clearFaults(): FaultSettings {
    this.faults.clear();
    return this.faults.current();
  }

  /** Forgets cases, calls, licences, callbacks, rate buckets and faults. */
  @Post('reset')
  @HttpCode(200)
  reset(): { status: 'reset' } {
    this.state.reset();
    this.faults.clear();
    this.rateLimit.reset();
    this.callbacks.reset();
    return { status: 'reset' };
  }

  @Post('callbacks')
  @HttpCode(202)
  sendCallback(@JsonBody() body: unknown): CallbackDelivery {
    try {
      return this.callbacks.send(body);
    } catch (e) {
      if (e instanceof CallbackRequestError)
        throw e.conflict ? new ConflictException(e.message) : new BadRequestException(e.message);
      throw e;
    }
  }

  /**
   * A citizen applies online on the platform: the platform opens the case under a new project_no
   * (seq starts at 1 for the department's reports) and calls the gateway back with the application.
   */
  @Post('online-applications')
  @HttpCode(202)
  onlineApplication(@JsonBody() body: unknown): { projectNo: string; callback: CallbackDelivery } {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BadRequestException('body must be a JSON object');
    const app = body as Record<string, unknown>;
    if (typeof app.task_code !== 'string' || !/^[0-9A-Z]{12,36}$/.test(app.task_code)) throw new BadRequestException('task_code is required');
    const now = Date.now();
    const applyDate = typeof app.apply_date === 'string' ? app.apply_date : formatBeijingDateTime(now);
    const created = this.state.createCase(
      {
        sourceCaseId: `online:${randomUUID()}`,
        orgCode: typeof app.org_code === 'string' ? app.org_code : app.task_code.slice(0, 18),
        taskCode: app.task_code,
        businessDate: applyDate.slice(0, 10),
        accept: { ...app, apply_type: 2, status: 'SUBMITTED', apply_date: applyDate },
        status: 'SUBMITTED',
      },
      now,
    );
    try {
      const callback = this.callbacks.send({
        type: 'ONLINE_APPLICATION',
        callback_id: typeof app.callback_id === 'string' ? app.callback_id : undefined,
        data: { ...app, project_no: created.projectNo, apply_date: applyDate, apply_type: 2 },
      });
      return { projectNo: created.projectNo, callback };
    } catch (e) {
      if (e instanceof CallbackRequestError) throw e.conflict ? new ConflictException(e.message) : new BadRequestException(e.message);
      throw e;
    }
  }

  @Get('callbacks')
  listCallbacks(): CallbackDelivery[] {
    return this.callbacks.list();
  }

  private applyFaults(body: unknown, merge: boolean): FaultSettings {
    try {
      return this.faults.apply(body, merge);
    } catch (e) {
      if (e instanceof FaultSettingsError) throw new BadRequestException(e.message);
      throw e;
    }
  }
}
