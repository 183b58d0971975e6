import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { tap, type Observable } from 'rxjs';
import { FORCED_BY_FAULT, type Envelope } from './platform-envelope';
import type { PlatformRequest } from './platform-request.middleware';

/** Copies the handler's envelope onto the call the middleware recorded, before it is sent. */
@Injectable()
export class PlatformCallInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const call = context.switchToHttp().getRequest<PlatformRequest>().platformCall;
    return next.handle().pipe(
      tap((envelope) => {
        const answer = envelope as Envelope | undefined;
        if (!call || !answer) return;
        call.code = answer.code;
        call.msg = answer.msg;
        call.response = answer;
        if (answer[FORCED_BY_FAULT]) call.fault = 'businessCode';
      }),
    );
  }
}
