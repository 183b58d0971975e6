import { Body, CanActivate, Controller, ExecutionContext, Get, HttpCode, Inject, Injectable, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { IsOptional, IsString, Length } from 'class-validator';
import type { Response } from 'express';
import { GatewayError, operatorTokenAccepted } from '#gw/common';
import { GATEWAY_CONTEXT, GatewayContext } from '#gw/ingress';
import { LoginLockedError, OpenedSession, OperatorAccountService } from './operator-account.service';
import { OperatorRequest, SESSION_COOKIE, readCookie, sessionCookie } from './session.middleware';

export class LoginDto {
  @IsString()
  @Length(1, 64)
  username!: string;

  @IsString()
  @Length(1, 200)
  password!: string;

  /** The second factor's code, for a sign-in in one request (else the answer asks for it). */
  @IsOptional()
  @IsString()
  @Length(0, 16)
  code?: string;
}

export class TotpLoginDto {
  @IsString()
  @Length(1, 600)
  pendingToken!: string;

  @IsString()
  @Length(1, 16)
  code!: string;
}

export class TotpCodeDto {
  @IsString()
  @Length(1, 16)
  code!: string;
}

export class PasswordChangeDto {
  @IsString()
  @Length(1, 200)
  currentPassword!: string;

  @IsString()
  @Length(1, 200)
  newPassword!: string;
}

/** Routes for one's own account need a dashboard session (whatever it still has to set up): checked before the body is. */
@Injectable()
export class OwnAccountGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    sessionUser(context.switchToHttp().getRequest<OperatorRequest>());
    return true;
  }
}

/** The signed-in account of a request (a session, whatever it still has to set up), or 401. */
function sessionUser(req: OperatorRequest): string {
  if (!req.operatorSession)
    throw new GatewayError('OPERATOR_UNAUTHORIZED', 401, '未登录或会话已过期 not signed in, or the session expired');
  return req.operatorSession.username;
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
    summary:
      '登录运维看板（设置 gw_session 会话 Cookie）；已启用动态验证码的账号同时给 code，或先得到 needsTotp 再调用 login/totp ' +
      'Sign in (sets the gw_session cookie); with a second factor give `code` too, or get `needsTotp` and continue at login/totp',
  })
  async login(
    @Body() body: LoginDto,
    @Req() req: OperatorRequest & { id?: string },
    @Res({ passthrough: true }) res: Response,
  ) {
    res.setHeader('Cache-Control', 'no-store');
    const s = await this.accounts.login(body.username, body.password, { ip: req.ip, correlationId: req.id }, body.code).catch(retryAfter(res));
    if ('needsTotp' in s) return { needsTotp: true, pendingToken: s.pendingToken, expiresAt: s.expiresAt.toISOString() };
    return this.signedIn(req, res, s);
  }

  @Post('login/totp')
  @HttpCode(200)
  @ApiOperation({
    summary: '登录第二步：动态验证码（TOTP） Sign-in, second step: the one-time code of the authenticator app',
  })
  async loginTotp(
    @Body() body: TotpLoginDto,
    @Req() req: OperatorRequest & { id?: string },
    @Res({ passthrough: true }) res: Response,
  ) {
    res.setHeader('Cache-Control', 'no-store');
    const s = await this.accounts.loginWithTotp(body.pendingToken, body.code, { ip: req.ip, correlationId: req.id }).catch(retryAfter(res));
    return this.signedIn(req, res, s);
  }

  private signedIn(req: OperatorRequest, res: Response, s: OpenedSession) {
    res.append('Set-Cookie', sessionCookie(req, s.sessionId, this.accounts.sessionMs / 1000));
    return { username: s.username, role: s.role, expiresAt: s.expiresAt.toISOString(), setup: s.setup };
  }

  @Post('totp/enrol')
  @UseGuards(OwnAccountGuard)
  @HttpCode(200)
  @ApiOperation({
    summary: '绑定动态验证码：生成密钥与二维码（尚未启用） Enrol a second factor: a new secret and its QR code (not active yet)',
  })
  async totpEnrol(@Req() req: OperatorRequest & { id?: string }, @Res({ passthrough: true }) res: Response) {
    const username = sessionUser(req);
    if (req.operatorSetup === 'password-change')
      throw new GatewayError('PASSWORD_EXPIRED', 403, '密码已过期，请先修改密码 the password expired: change it first');
    res.setHeader('Cache-Control', 'no-store');
    return this.accounts.startTotpEnrolment(username, { correlationId: req.id });
  }

  @Post('totp/confirm')
  @UseGuards(OwnAccountGuard)
  @HttpCode(200)
  @ApiOperation({ summary: '输入应用显示的验证码，启用动态验证码 Confirm with a code from the app: the second factor is on' })
  async totpConfirm(@Body() body: TotpCodeDto, @Req() req: OperatorRequest & { id?: string }) {
    const v = await this.accounts.confirmTotpEnrolment(sessionUser(req), body.code, { correlationId: req.id });
    return { username: v.username, totp: v.totp };
  }

  @Post('password')
  @UseGuards(OwnAccountGuard)
  @HttpCode(200)
  @ApiOperation({ summary: '修改自己的密码 Change your own password' })
  async changePassword(
    @Body() body: PasswordChangeDto,
    @Req() req: OperatorRequest & { id?: string },
    @Res({ passthrough: true }) res: Response,
  ) {
    await this.accounts
      .changeOwnPassword(sessionUser(req), body.currentPassword, body.newPassword, { ip: req.ip, correlationId: req.id })
      .catch(retryAfter(res));
    return { changed: true };
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
        setup: req.operatorSetup ?? null,
        totp: req.operatorSession.totp,
        totpRequired: req.operatorSession.totpRequired,
      };
    }
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (m && operatorTokenAccepted(m[1], this.ctx.secrets.operatorToken, this.ctx.operatorTokenExpiresAt ?? null))
      return { username: 'token', role: 'operator', expiresAt: this.ctx.operatorTokenExpiresAt?.toISOString() ?? null, sessionMinutes: null, setup: null };
    throw new GatewayError('OPERATOR_UNAUTHORIZED', 401, '未登录或会话已过期 not signed in, or the session expired');
  }
}

/** A lock-out answers with Retry-After. */
const retryAfter = (res: Response) => (e: unknown): never => {
  if (e instanceof LoginLockedError) res.setHeader('Retry-After', String(e.retryAfterSeconds));
  throw e;
};
