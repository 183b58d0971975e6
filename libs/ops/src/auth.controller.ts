import { Body, Controller, Get, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';
import type { Response } from 'express';
import { GatewayError, operatorTokenAccepted } from '#gw/common';
import { GATEWAY_CONTEXT, GatewayContext } from '#gw/ingress';
import { LoginLockedError, OperatorAccountService } from './operator-account.service';
import { OperatorRequest, SESSION_COOKIE, readCookie, sessionCookie } from './session.middleware';

export class LoginDto {
  @IsString()
  @Length(1, 64)
  username!: string;

  @IsString()
  @Length(1, 200)
  password!: string;
}

@ApiTags('运维登录 Operator sign-in')
@Controller('api/v1/auth')
export class AuthController {
  constructor(
    private readonly accounts: OperatorAccountService,
    @Inject(GATEWAY_CONTEXT) private readonly ctx: GatewayContext,
  ) {}

  @Post('login')
  @HttpCode(200)
  @ApiOperation({
    summary: '登录运维看板（设置 gw_session 会话 Cookie） Sign in to the dashboard (sets the gw_session cookie)',
  })
  async login(
    @Body() body: LoginDto,
    @Req() req: OperatorRequest & { id?: string },
    @Res({ passthrough: true }) res: Response,
  ) {
    const s = await this.accounts.login(body.username, body.password, { ip: req.ip, correlationId: req.id }).catch((e: unknown) => {
      if (e instanceof LoginLockedError) res.setHeader('Retry-After', String(e.retryAfterSeconds));
      throw e;
    });
    res.append('Set-Cookie', sessionCookie(req, s.sessionId, this.accounts.sessionMs / 1000));
    res.setHeader('Cache-Control', 'no-store');
    return { username: s.username, role: s.role, expiresAt: s.expiresAt.toISOString() };
  }

  @Post('logout')
  @HttpCode(200)
  @ApiOperation({ summary: '退出登录 Sign out' })
  async logout(@Req() req: OperatorRequest & { id?: string }, @Res({ passthrough: true }) res: Response) {
    const id = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (id) await this.accounts.logout(id, { ip: req.ip, correlationId: req.id });
    res.append('Set-Cookie', sessionCookie(req, '', 0));
    return { signedOut: true };
  }

  @Get('me')
  @ApiOperation({ summary: '当前登录的运维人员 Who is signed in' })
  me(@Req() req: OperatorRequest) {
    if (req.operatorSession) {
      return {
        username: req.operatorSession.username,
        role: req.operatorRole,
        expiresAt: req.operatorSession.expiresAt.toISOString(),
        sessionMinutes: this.accounts.sessionMs / 60000,
      };
    }
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (m && operatorTokenAccepted(m[1], this.ctx.secrets.operatorToken, this.ctx.operatorTokenExpiresAt ?? null))
      return { username: 'token', role: 'admin', expiresAt: this.ctx.operatorTokenExpiresAt?.toISOString() ?? null, sessionMinutes: null };
    throw new GatewayError('OPERATOR_UNAUTHORIZED', 401, '未登录或会话已过期 not signed in, or the session expired');
  }
}
