import { ConfigError, GatewayError } from '#gw/common';
import { CatalogueError } from '#gw/catalogue';
import { createGatewayContext } from '#gw/ingress';
import { OperatorAccountRepository, OperatorAccountService, loadOpsConfig } from '#gw/ops';
import { AuditRepository, openDatabase } from '#gw/persistence';

/**
 * Operator accounts from the command line (the first admin, a forgotten password):
 *
 *   echo "$PASSWORD" | node dist/apps/gateway/src/cli.js create-operator --user chencan --role admin
 *   node dist/apps/gateway/src/cli.js set-password --user chencan        (asks, without echo)
 *   node dist/apps/gateway/src/cli.js list-operators
 *   node dist/apps/gateway/src/cli.js reset-totp --user chencan         (a lost phone: enrol again at sign-in)
 *
 * Uses the same configuration as the gateway (DATABASE_URL or DATA_DIR); the password is read
 * from standard input, never from the command line (it would stay in the shell history).
 */
export interface CliIo {
  env: Record<string, string | undefined>;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (on: boolean) => unknown };
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
}

const USAGE = `用法 usage:
  create-operator --user 用户名 --role viewer|operator|admin|auditor   (密码从标准输入读取 password from stdin)
  set-password --user 用户名                                          (密码从标准输入读取 password from stdin)
  reset-totp --user 用户名      清除动态验证码，下次登录时重新绑定 remove the second factor; enrol again at the next sign-in
  list-operators
`;

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  if (i >= 0) return args[i + 1];
  const eq = args.find((a) => a.startsWith(`--${name}=`));
  return eq?.slice(name.length + 3);
}

/** One line from a pipe, or typed at a terminal without echo. */
export async function readPassword(io: CliIo, prompt: string): Promise<string> {
  const stdin = io.stdin;
  if (stdin.isTTY && stdin.setRawMode) {
    io.stderr.write(prompt);
    stdin.setRawMode(true);
    stdin.resume();
    return new Promise((resolve, reject) => {
      let value = '';
      const onData = (chunk: Buffer | string) => {
        for (const ch of String(chunk)) {
          if (ch === '\r' || ch === '\n') {
            done();
            return resolve(value);
          }
          if (ch === '\u0003') {
            done();
            return reject(new Error('cancelled'));
          }
          if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
          else value += ch;
        }
      };
      const done = () => {
        stdin.removeListener('data', onData);
        stdin.setRawMode!(false);
        stdin.pause();
        io.stderr.write('\n');
      };
      stdin.on('data', onData);
    });
  }
  let text = '';
  for await (const chunk of stdin) {
    text += String(chunk);
    if (text.includes('\n')) break;
  }
  return text.split(/\r?\n/)[0];
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [command, ...args] = argv;
  if (!command || !['create-operator', 'set-password', 'list-operators', 'reset-totp'].includes(command)) {
    io.stderr.write(USAGE);
    return 2;
  }
  let db: Awaited<ReturnType<typeof openDatabase>> | undefined;
  try {
    const ctx = createGatewayContext(io.env);
    const opsConfig = loadOpsConfig(io.env);
    db = await openDatabase(ctx.config.database);
    const accounts = new OperatorAccountService(new OperatorAccountRepository(db), new AuditRepository(db), opsConfig, (s) => ctx.cipher.lookupHash(s), Date.now, ctx.cipher);
    if (command === 'list-operators') {
      for (const a of await accounts.list()) {
        io.stdout.write(`${a.username}\t${a.role}\t${a.disabled ? 'disabled' : 'active'}\t${a.lastLoginAt ?? '-'}\ttotp:${a.totp}\n`);
      }
      return 0;
    }
    const user = option(args, 'user');
    if (!user) {
      io.stderr.write(`缺少 --user missing --user\n${USAGE}`);
      return 2;
    }
    if (command === 'reset-totp') {
      await accounts.resetTotp(user, 'cli');
      io.stdout.write(`已清除动态验证码 second factor removed for ${user.toLowerCase()}; 下次登录时重新绑定 enrol again at the next sign-in\n`);
      return 0;
    }
    if (command === 'create-operator') {
      const role = option(args, 'role') ?? 'viewer';
      const password = await readPassword(io, `为 ${user} 设置密码（至少12位，含大写、小写、数字、符号中的三类）password for ${user} (12+ characters, three of upper/lower/digit/symbol): `);
      const created = await accounts.create({ username: user, role, password }, 'cli');
      io.stdout.write(`已创建 created ${created.username} (${created.role})\n`);
      return 0;
    }
    const password = await readPassword(io, `${user} 的新密码（至少12位，含三类字符）new password for ${user} (12+ characters, three classes): `);
    await accounts.update(user, { password, disabled: false }, 'cli');
    io.stdout.write(`已重设密码 password set for ${user.toLowerCase()}\n`);
    return 0;
  } catch (e) {
    if (e instanceof GatewayError || e instanceof ConfigError || e instanceof CatalogueError) {
      io.stderr.write(`${e.message}\n`);
      return 1;
    }
    throw e;
  } finally {
    await db?.close();
  }
}

if (require.main === module) {
  runCli(process.argv.slice(2), {
    env: process.env,
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
  }).then(
    (code) => process.exit(code),
    (e: Error) => {
      process.stderr.write(`${e.stack ?? e.message}\n`);
      process.exit(1);
    },
  );
}
