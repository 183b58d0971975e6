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
