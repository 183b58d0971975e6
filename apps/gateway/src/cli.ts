import { ConfigError, GatewayError, PRIVATE_FILE_MODE, PersonalDataCipher, loadGatewayConfig, restrictFile } from '#gw/common';
import { CatalogueError } from '#gw/catalogue';
import { createGatewayContext } from '#gw/ingress';
import { OperatorAccountRepository, OperatorAccountService, loadOpsConfig } from '#gw/ops';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AUDIT_CSV_HEADER,
  AuditRepository,
  KEY_ROTATION_TARGETS,
  KeyRotationJob,
  auditCsvLine,
  backupSqlite,
  loadKeyRotationConfig,
  mysqlBackupCommands,
  openDatabase,
  restoreSqlite,
} from '#gw/persistence';

/**
 * Operator accounts from the command line (the first admin, a forgotten password):
 *
 *   echo "$PASSWORD" | node dist/apps/gateway/src/cli.js create-operator --user chencan --role admin
 *   node dist/apps/gateway/src/cli.js set-password --user chencan        (asks, without echo)
 *   node dist/apps/gateway/src/cli.js list-operators
 *   node dist/apps/gateway/src/cli.js verify-audit                      (exit 1 naming the first broken entry)
 *   node dist/apps/gateway/src/cli.js export-audit --from 2026-01-01 [--to 2026-02-01] [--out FILE]
 *   node dist/apps/gateway/src/cli.js backup [--to DIR]                  (SQLite; MariaDB: prints the dump command)
 *   node dist/apps/gateway/src/cli.js restore --from DIR --data-dir NEWDIR
 *   node dist/apps/gateway/src/cli.js reset-totp --user chencan         (a lost phone: enrol again at sign-in)
 *   node dist/apps/gateway/src/cli.js rotate-data-key [--finish]        (embedded mode: new data key in secrets.json)
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
  verify-audit                                               校验审计链 check the audit chain (exit 1 if broken)
  export-audit --from 时间 [--to 时间] [--out 文件]            导出审计记录 CSV export audit entries as CSV
  backup [--to 目录]                                          在线备份（默认 ./backups） online backup (SQLite; MariaDB: the dump command)
  restore --from 备份目录 --data-dir 新数据目录                  恢复到空的数据目录 restore into an empty data folder
  rotate-data-key                                             轮换数据密钥（嵌入模式）：新密钥写入 secrets.json，旧密钥留作 previous new data key (embedded mode)
  rotate-data-key --finish [--force]                           重新加密完成后删除旧密钥 remove the previous key once re-encryption is done
`;

const COMMANDS = ['create-operator', 'set-password', 'list-operators', 'reset-totp', 'verify-audit', 'export-audit', 'backup', 'restore', 'rotate-data-key'];

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
  if (!command || !COMMANDS.includes(command)) {
    io.stderr.write(USAGE);
    return 2;
  }
  let db: Awaited<ReturnType<typeof openDatabase>> | undefined;
  try {
    if (command === 'restore') return await restore(args, io);
    if (command === 'rotate-data-key') return await rotateDataKey(args, io);
    const ctx = createGatewayContext(io.env);
    const opsConfig = loadOpsConfig(io.env);
    db = await openDatabase(ctx.config.database);
    const audit = new AuditRepository(db, ctx.secrets.auditKey);
    if (command === 'backup') {
      const database = ctx.config.database;
      if (database.kind !== 'sqlite') {
        const c = mysqlBackupCommands(database.url);
        io.stdout.write(
          `MariaDB/MySQL：网关不自行导出，请用数据库自带工具（一致性快照，不锁表） the gateway does not dump MariaDB itself; use its own tool (a consistent snapshot, no table locks):\n` +
            `  ${c.dump}\n恢复 restore into a new, empty database:\n  ${c.restore}\n` +
            `另须妥善保存 GATEWAY_DATA_KEY（及 GATEWAY_AUDIT_KEY）：没有它们备份无法读取 keep GATEWAY_DATA_KEY (and GATEWAY_AUDIT_KEY) safe too: without them the dump cannot be read\n`,
        );
        return 0;
      }
      const { folder, manifest } = await backupSqlite({ databasePath: database.path, dataDir: ctx.config.dataDir, toDir: option(args, 'to') ?? 'backups' });
      await audit.append({ actor: 'cli', action: 'BACKUP_CREATED', targetType: 'backup', targetId: folder.split('/').pop(), detail: { counts: manifest.counts } });
      io.stdout.write(`已备份 backed up to ${folder}\n  ${Object.entries(manifest.counts).map(([t, n]) => `${t}=${n}`).join(' ')}\n`);
      if (!manifest.files['secrets.json']) io.stdout.write('注意：数据密钥来自环境变量，未包含在备份中，请另行保存 note: the data key comes from the environment and is not in the backup: keep it safe separately\n');
      return 0;
    }
    if (command === 'verify-audit') {
      const v = await audit.verify();
      if (v.ok) {
        io.stdout.write(`审计链完整 audit chain intact: ${v.checked} 条 entries checked (seq ${v.firstSeq}–${v.headSeq})\n`);
        return 0;
      }
      io.stderr.write(`审计链断裂 audit chain broken (${v.broken!.problem}): ${v.broken!.message}\n`);
      return 1;
    }
    if (command === 'export-audit') return await exportAudit(audit, args, io);
    const accounts = new OperatorAccountService(new OperatorAccountRepository(db), audit, opsConfig, (s) => ctx.cipher.lookupHash(s), Date.now, ctx.cipher);
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

/**
 * `restore --from DIR --data-dir NEWDIR`: the backup into an empty data folder, then its audit chain
 * checked with the restored key (the restore itself is the chain's next entry).
 */
async function restore(args: string[], io: CliIo): Promise<number> {
  const from = option(args, 'from');
  const dataDir = option(args, 'data-dir');
  if (!from || !dataDir) {
    io.stderr.write(`需要 --from 与 --data-dir needs --from and --data-dir\n${USAGE}`);
    return 2;
  }
  const { databasePath, manifest } = restoreSqlite({ fromDir: from, dataDir });
  const env = { ...io.env, DATA_DIR: dataDir, DATABASE_URL: undefined };
  const ctx = createGatewayContext(env);
  const db = await openDatabase(ctx.config.database);
  try {
    const audit = new AuditRepository(db, ctx.secrets.auditKey);
    const chain = await audit.verify();
    await audit.append({ actor: 'cli', action: 'BACKUP_RESTORED', targetType: 'backup', targetId: from.split('/').filter(Boolean).pop(), detail: { createdAt: manifest.createdAt, chainOk: chain.ok } });
    io.stdout.write(
      `已恢复 restored ${databasePath} (备份于 backed up at ${manifest.createdAt})\n` +
        `  审计链 audit chain: ${chain.ok ? `完整 intact (${chain.checked})` : `断裂 broken: ${chain.broken!.message}`}\n` +
        `启动 start with: DATA_DIR=${dataDir} npm start\n`,
    );
    return chain.ok ? 0 : 1;
  } finally {
    await db.close();
  }
}

/**
 * `rotate-data-key`: embedded mode, with the data key in `<DATA_DIR>/secrets.json` — a new key
 * becomes `personalDataKey`, the old one `previousPersonalDataKey` (the audit chain's key stays
 * pinned to the old value). After a restart the gateway reads with both, writes with the new one
 * and re-encrypts in the background. `--finish` removes the previous key once nothing is left
 * under it (`--force`: also when values neither key opens remain). A data key given by the
 * environment (production) is rotated there: GATEWAY_DATA_KEY_PREVIOUS=old, GATEWAY_DATA_KEY=new.
 */
async function rotateDataKey(args: string[], io: CliIo): Promise<number> {
  const config = loadGatewayConfig(io.env);
  const file = join(config.dataDir, 'secrets.json');
  if (config.mode === 'production' || config.personalDataKey) {
    io.stderr.write(
      '数据密钥来自环境变量：请在环境中轮换——GATEWAY_DATA_KEY_PREVIOUS 设为当前值，GATEWAY_DATA_KEY 设为新值（openssl rand -hex 32），' +
        '未设 GATEWAY_AUDIT_KEY 时将其设为旧值，然后重启所有实例（见 docs/security.md）\n' +
        'the data key comes from the environment: rotate it there — GATEWAY_DATA_KEY_PREVIOUS=<current>, GATEWAY_DATA_KEY=<new> (openssl rand -hex 32), ' +
        'GATEWAY_AUDIT_KEY=<old> if it is not set — then restart every instance (docs/security.md)\n',
    );
    return 1;
  }
  if (!existsSync(file)) {
    io.stderr.write(`没有 ${file}：请先启动一次网关 no ${file}: start the gateway once first\n`);
    return 1;
  }
  restrictFile(file);
  const stored = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown> & { personalDataKey?: string; previousPersonalDataKey?: string; auditKey?: string };
  if (!stored.personalDataKey) {
    io.stderr.write(`${file} 中没有数据密钥 holds no data key: start the gateway once first\n`);
    return 1;
  }
  const save = (next: Record<string, unknown>) => {
    writeFileSync(file, JSON.stringify(next, null, 2) + '\n', { mode: PRIVATE_FILE_MODE });
    restrictFile(file);
  };
  const db = await openDatabase(config.database);
  try {
    if (args.includes('--finish')) {
      if (!stored.previousPersonalDataKey) {
        io.stderr.write('没有正在进行的轮换 no rotation under way (no previous key in secrets.json)\n');
        return 1;
      }
      const cipher = new PersonalDataCipher(stored.personalDataKey, stored.previousPersonalDataKey);
      const job = new KeyRotationJob(db, cipher, new AuditRepository(db, stored.auditKey ?? stored.previousPersonalDataKey), loadKeyRotationConfig({}));
      const left: string[] = [];
      for (const t of KEY_ROTATION_TARGETS) {
        const n = await job.countLeft(t);
        if (n) left.push(`${t.table}=${n}`);
      }
      if (left.length && !args.includes('--force')) {
        io.stderr.write(`仍有数据未用新密钥重新加密，旧密钥仍然需要 values are still under the previous key, which is still needed: ${left.join(' ')}\n  (重启网关让后台任务完成；任一密钥都无法解开的数据可加 --force start the gateway to let the job finish; --force if only unreadable values remain)\n`);
        return 1;
      }
      const { previousPersonalDataKey, ...rest } = stored;
      save({ ...rest, auditKey: stored.auditKey ?? previousPersonalDataKey });
      const ctx = createGatewayContext(io.env);
      await new AuditRepository(db, ctx.secrets.auditKey).append({ actor: 'cli', action: 'DATA_KEY_PREVIOUS_REMOVED', targetType: 'data-key', targetId: cipher.keyId, detail: { previousKeyId: cipher.previousKeyId, left: left.join(' ') || undefined } });
      io.stdout.write('旧数据密钥已从 secrets.json 删除，重启网关后只使用新密钥 the previous data key was removed from secrets.json; after a restart the gateway uses the new key alone\n');
      return 0;
    }
    if (stored.previousPersonalDataKey) {
      io.stderr.write('上一次轮换尚未结束：请先运行 rotate-data-key --finish a rotation is under way: finish it first (rotate-data-key --finish)\n');
      return 1;
    }
    const next = randomBytes(32).toString('hex');
    // The audit chain keeps the key it was started with (unless GATEWAY_AUDIT_KEY names one).
    const auditKey = stored.auditKey ?? (io.env.GATEWAY_AUDIT_KEY ? undefined : stored.personalDataKey);
    save({ ...stored, personalDataKey: next, previousPersonalDataKey: stored.personalDataKey, ...(auditKey ? { auditKey } : {}) });
    const ctx = createGatewayContext(io.env);
    await new AuditRepository(db, ctx.secrets.auditKey).append({ actor: 'cli', action: 'DATA_KEY_ROTATION_REQUESTED', targetType: 'data-key', targetId: ctx.cipher.keyId, detail: { previousKeyId: ctx.cipher.previousKeyId } });
    io.stdout.write(
      `新数据密钥（${ctx.cipher.keyId}）已写入 ${file}，旧密钥（${ctx.cipher.previousKeyId}）留作 previous。请重启网关：之后用新密钥写入、两把密钥都能读取，并在后台重新加密，进度见看板或 GET /api/v1/ops/key-rotation；完成后运行 rotate-data-key --finish\n` +
        `new data key (${ctx.cipher.keyId}) written to ${file}, the old one (${ctx.cipher.previousKeyId}) kept as previous. Restart the gateway: it then writes with the new key, reads with both and re-encrypts in the background (progress: GET /api/v1/ops/key-rotation); when it is done run rotate-data-key --finish\n`,
    );
    return 0;
  } finally {
    await db.close();
  }
}

/** `export-audit --from --to [--out FILE]`: CSV to the file (mode 600) or to standard output; the export is audited. */
async function exportAudit(audit: AuditRepository, args: string[], io: CliIo): Promise<number> {
  const fromText = option(args, 'from');
  const toText = option(args, 'to');
  const from = fromText ? new Date(fromText) : undefined;
  const to = toText ? new Date(toText) : new Date();
  if (!from || isNaN(from.getTime()) || isNaN(to.getTime()) || from >= to) {
    io.stderr.write(`需要有效的 --from（早于 --to） a valid --from before --to is needed (e.g. --from 2026-01-01 --to 2026-02-01)\n${USAGE}`);
    return 2;
  }
  await audit.append({ actor: 'cli', action: 'AUDIT_EXPORTED', targetType: 'audit', detail: { from: from.toISOString(), to: to.toISOString() } });
  const out = option(args, 'out');
  const file = out ? createWriteStream(out, { mode: 0o600 }) : undefined;
  const write = (s: string) => (file ? new Promise<void>((r, j) => file.write(s, (e) => (e ? j(e) : r()))) : (io.stdout.write(s), Promise.resolve()));
  let count = 0;
  await write('\ufeff' + AUDIT_CSV_HEADER);
  for await (const rows of audit.range(from, to)) {
    await write(rows.map(auditCsvLine).join(''));
    count += rows.length;
  }
  if (file) {
    await new Promise<void>((r) => file.end(r));
    io.stderr.write(`已导出 exported ${count} 条 entries to ${out}\n`);
  }
  return 0;
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
