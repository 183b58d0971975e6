import { Inject, Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { SIMULATOR_OPTIONS, type ResolvedSimulatorOptions } from './simulator-options';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** `Authorization: Bearer <SIMULATOR_ADMIN_TOKEN>` on /admin when a token is configured. */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  constructor(@Inject(SIMULATOR_OPTIONS) private readonly options: ResolvedSimulatorOptions) {}

  canActivate(context: ExecutionContext): boolean {
    const expected = this.options.adminToken;
    if (!expected) return true;
    const header = context.switchToHttp().getRequest<Request>().headers.authorization ?? '';
    const given = /^Bearer\s+(.+)$/i.exec(header)?.[1] ?? '';
    // Hashing first gives equal lengths, which timingSafeEqual needs.
    if (!timingSafeEqual(digest(given), digest(expected))) throw new UnauthorizedException('admin token required');
    return true;
  }
}
